-- Findings fixed since the previous snapshot, with how long they had been open.
SELECT severity, rule_id, organization, project, resource_kind, resource_name, first_seen
FROM latest_findings
WHERE status = 'resolved'
ORDER BY severity, rule_id, organization, project, resource_name
