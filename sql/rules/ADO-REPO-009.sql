-- id: ADO-REPO-009
-- title: GitHub Advanced Security is enabled on the repository
-- severity: high
-- resource_kind: repository
-- description: Neither code security nor secret protection of GitHub Advanced Security for Azure DevOps is on for the repository: its code, dependencies and history are not scanned for vulnerabilities and leaked secrets.
-- remediation: Project settings > Repositories > (repository) > Settings > Advanced Security: turn it on (code security and secret protection), or enable it for the whole project or organization with "Enable for all repositories"; via the API, PATCH advsec.dev.azure.com/{org}/{project}/_apis/management/repositories/{repository}/enablement.
-- references: Defender for Cloud: Azure DevOps repositories should have GitHub Advanced Security for Azure DevOps enabled | https://learn.microsoft.com/azure/devops/repos/security/configure-github-advanced-security-features
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled). Not
-- evaluated where Advanced Security is not available (Azure DevOps Server, no API) or the
-- identity may not read it.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'Advanced Security is off (no code security, no secret protection)'
            ELSE 'Advanced Security status is ' || status || COALESCE(': ' || alerts_reason, '') END AS details
FROM advanced_security_repositories
WHERE status NOT IN ('on', 'partial', 'off') OR (status = 'off')
