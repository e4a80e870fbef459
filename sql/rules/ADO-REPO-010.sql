-- id: ADO-REPO-010
-- title: Push protection blocks pushes that contain secrets
-- severity: medium
-- resource_kind: repository
-- description: Secret protection's push protection is off for the repository, so credentials can be pushed and land in its history before any alert.
-- remediation: Repository settings > Advanced Security: turn on secret protection with "Block pushes" (secretProtectionFeatures.blockPushes = true).
-- references: PSRule: Azure.ADO.Repos.GHAS.PushProtection (ADO-RP-010) | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-push-protection
--
-- Reads advanced_security (one row per repository). Disabled repositories are not evaluated.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       'fail' AS result, 'push protection (block pushes with secrets) is off' AS details
FROM advanced_security a
JOIN repositories r
  ON r.connector = a.connector AND r.organization = a.organization AND r.repository_id = a.repository_id
WHERE a.status IN ('on', 'partial', 'off') AND NOT r.is_disabled
  AND NOT COALESCE(a.block_pushes, false)
UNION ALL
-- Not evaluated: Advanced Security is not available (Azure DevOps Server, no API) or the
-- identity may not read it.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       'not_evaluated' AS result,
       'Advanced Security status is ' || a.status || COALESCE(': ' || a.alerts_reason, '') AS details
FROM advanced_security a
JOIN repositories r
  ON r.connector = a.connector AND r.organization = a.organization AND r.repository_id = a.repository_id
WHERE a.status IN ('not_available', 'not_evaluated') AND NOT r.is_disabled
