-- The twenty projects with the most open findings, critical (toxic combinations) then high first.
SELECT organization, project,
       SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS critical,
       SUM(CASE WHEN severity = 'high' THEN 1 ELSE 0 END) AS high,
       COUNT(*) AS findings
FROM latest_findings
WHERE status IN ('new', 'persisting') AND NOT exempt AND project IS NOT NULL
GROUP BY organization, project
ORDER BY critical DESC, high DESC, findings DESC, organization, project
LIMIT 20
