-- view: secret_scanning_exposure
-- description: One row per repository with secret protection on (Advanced Security fully or partly on) that has open secret-scanning alerts or whose alerts could not be read: `open_secret_alerts` (null when unread), `alerts_status`, `alerts_reason`. What ADO-REPO-011 and ADO-TOX-002 judge.
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE LOWER(state) = 'active' AND LOWER(alert_type) = 'secret'
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id, a.repository, a.alerts_status, a.alerts_reason,
       o.n AS open_secret_alerts
FROM advanced_security_repositories a
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE LOWER(a.status) IN ('on', 'partial') AND COALESCE(a.secret_protection_enabled, false)
  AND (o.n IS NOT NULL OR a.alerts_status <> 'read')
