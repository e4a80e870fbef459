-- What changed in the estate since the previous snapshot (the change feed): per table, the
-- resources added and removed and each watched attribute that changed. `changes` has the
-- before and after values; the watched attributes are listed in docs/dataset.md.
SELECT table_name,
       change,
       COALESCE(attribute, '') AS attribute,
       COUNT(*) AS changes
FROM latest_changes
GROUP BY table_name, change, COALESCE(attribute, '')
ORDER BY table_name, change, attribute
