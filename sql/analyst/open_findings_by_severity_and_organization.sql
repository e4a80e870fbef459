-- Open findings by severity and organization in the newest snapshot.
SELECT organization, severity, COUNT(*) AS findings
FROM latest_findings
GROUP BY organization, severity
ORDER BY organization, severity
