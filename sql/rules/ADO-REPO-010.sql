-- id: ADO-REPO-010
-- title: Push protection blocks pushes that contain secrets
-- severity: medium
-- resource_kind: repository
-- description: Secret protection's push protection is off for the repository, so credentials can be pushed and land in its history before any alert.
-- remediation: Repository settings > Advanced Security: turn on secret protection with "Block pushes" (secretProtectionFeatures.blockPushes = true).
-- references: PSRule: Azure.ADO.Repos.GHAS.PushProtection (ADO-RP-010) | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-push-protection
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled). Not
-- evaluated where Advanced Security is not available (Azure DevOps Server, no API) or the
-- identity may not read it.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'push protection (block pushes with secrets) is off'
            ELSE 'Advanced Security status is ' || status || COALESCE(': ' || alerts_reason, '') END AS details
FROM advanced_security_repositories
WHERE status NOT IN ('on', 'partial', 'off') OR (NOT COALESCE(block_pushes, false))
