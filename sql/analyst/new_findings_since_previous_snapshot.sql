-- Findings that are new since the previous snapshot: what changed overnight, and who owns it.
SELECT severity, rule_id, organization, project, resource_kind, resource_name, resource_id
FROM latest_findings
WHERE status = 'new' AND NOT exempt
ORDER BY severity, rule_id, organization, project, resource_name
