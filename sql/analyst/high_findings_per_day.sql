-- High-severity findings per snapshot day, over the history the dataset keeps.
SELECT snapshot_date, COUNT(*) AS high_findings
FROM findings
WHERE severity = 'high'
GROUP BY snapshot_date
ORDER BY snapshot_date
