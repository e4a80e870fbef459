-- Open critical and high findings per snapshot day, over the history the dataset keeps (open: new
-- or persisting, not exempt).
SELECT snapshot_date,
       SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS critical_findings,
       SUM(CASE WHEN severity = 'high' THEN 1 ELSE 0 END) AS high_findings
FROM findings
WHERE severity IN ('critical', 'high') AND status IN ('new', 'persisting') AND NOT exempt
GROUP BY snapshot_date
ORDER BY snapshot_date
