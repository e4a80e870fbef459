-- What the newest snapshot could not evaluate, per rule: the blind spots of a too-narrow
-- identity, Azure DevOps Server, or unlicensed Advanced Security (never counted as passing).
SELECT rule_id, severity, COUNT(*) AS resources, MIN(details) AS example_reason
FROM latest_findings
WHERE status = 'not_evaluated'
GROUP BY rule_id, severity
ORDER BY resources DESC, rule_id
