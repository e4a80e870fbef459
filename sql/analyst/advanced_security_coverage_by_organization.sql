-- GitHub Advanced Security coverage per organization: repositories with it on (fully or
-- partly), off, and not available or not evaluated.
SELECT organization,
       COUNT(*) AS repositories,
       SUM(CASE WHEN status IN ('on', 'partial') THEN 1 ELSE 0 END) AS with_advanced_security,
       SUM(CASE WHEN status = 'off' THEN 1 ELSE 0 END) AS without_advanced_security,
       SUM(CASE WHEN status IN ('not_available', 'not_evaluated') THEN 1 ELSE 0 END) AS unknown
FROM latest_advanced_security
GROUP BY organization
ORDER BY organization
