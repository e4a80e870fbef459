-- id: ADO-REPO-009
-- title: GitHub Advanced Security is enabled on the repository
-- severity: high
-- resource_kind: repository
-- description: Neither code security nor secret protection of GitHub Advanced Security for Azure DevOps is on for the repository: its code, dependencies and history are not scanned for vulnerabilities and leaked secrets.
-- remediation: Project settings > Repositories > (repository) > Settings > Advanced Security: turn it on (code security and secret protection), or enable it for the whole project or organization with "Enable for all repositories"; via the API, PATCH advsec.dev.azure.com/{org}/{project}/_apis/management/repositories/{repository}/enablement.
-- references: https://learn.microsoft.com/azure/devops/repos/security/configure-github-advanced-security-features
-- defender: Azure DevOps repositories should have GitHub Advanced Security for Azure DevOps (GHAzDO) enabled (High)
-- azsk: none
-- psrule: Azure.DevOps.Repos.GitHubAdvancedSecurityEnabled (Important)
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled).
-- The one rule that reports a repository whose Advanced Security is off or unknown (not available
-- on Azure DevOps Server, refused, or missing from the enablement list): the feature rules
-- (ADO-REPO-010…015) judge only what is on, so one root cause gives one finding.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN LOWER(status) = 'off' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN LOWER(status) = 'off' THEN 'Advanced Security is off (no code security, no secret protection)'
            ELSE 'Advanced Security status is ' || status || COALESCE(': ' || alerts_reason, '') END AS details
FROM advanced_security_repositories
WHERE LOWER(status) NOT IN ('on', 'partial')
