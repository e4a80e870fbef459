-- Open high-severity findings per snapshot day, over the history the dataset keeps (open: new or
-- persisting, not exempt).
SELECT snapshot_date, COUNT(*) AS high_findings
FROM findings
WHERE severity = 'high' AND status IN ('new', 'persisting') AND NOT exempt
GROUP BY snapshot_date
ORDER BY snapshot_date
