-- id: ADO-REPO-010
-- title: Push protection blocks pushes that contain secrets
-- severity: medium
-- resource_kind: repository
-- description: Secret protection is on for the repository but its push protection is off, so credentials can be pushed and land in its history before any alert.
-- remediation: Repository settings > Advanced Security: turn on secret protection with "Block pushes" (secretProtectionFeatures.blockPushes = true).
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-push-protection
-- defender: none
-- azsk: ADO_Repository_DP_Enable_Credentials_And_Secrets_Policy (High)
-- psrule: Azure.DevOps.Repos.GitHubAdvancedSecurityBlockPushes (Important)
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled).
-- Judges repositories with secret protection on (off is ADO-REPO-009's or ADO-REPO-015's finding).
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       'fail' AS result, 'push protection (block pushes with secrets) is off' AS details
FROM advanced_security_repositories
WHERE LOWER(status) IN ('on', 'partial') AND COALESCE(secret_protection_enabled, false) AND NOT COALESCE(block_pushes, false)
