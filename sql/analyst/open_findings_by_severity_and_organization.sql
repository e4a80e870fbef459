-- Open findings (new or persisting, not exempt) by severity and organization in the newest snapshot.
SELECT organization, severity, COUNT(*) AS findings
FROM latest_findings
WHERE status IN ('new', 'persisting') AND NOT exempt
GROUP BY organization, severity
ORDER BY organization, severity
