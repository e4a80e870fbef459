-- view: advanced_security_repositories
-- description: Advanced Security state of every repository that is not disabled (disabled repositories cannot be scanned, so Advanced Security rules do not judge them).
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id, a.repository, a.status,
       a.code_security_enabled, a.secret_protection_enabled, a.block_pushes,
       a.alerts_status, a.alerts_reason
FROM advanced_security a
JOIN repositories r
  ON r.connector = a.connector AND r.organization = a.organization AND r.repository_id = a.repository_id
WHERE NOT r.is_disabled
