-- Repositories with active secret-scanning alerts: leaked credentials to rotate first.
SELECT organization, project, repository, COUNT(*) AS active_secret_alerts
FROM latest_advsec_alerts
WHERE alert_type = 'secret' AND state = 'active'
GROUP BY organization, project, repository
ORDER BY active_secret_alerts DESC, organization, project, repository
