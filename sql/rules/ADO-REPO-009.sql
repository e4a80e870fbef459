-- id: ADO-REPO-009
-- title: GitHub Advanced Security is enabled on the repository
-- severity: high
-- resource_kind: repository
-- description: Neither code security nor secret protection of GitHub Advanced Security for Azure DevOps is on for the repository: its code, dependencies and history are not scanned for vulnerabilities and leaked secrets.
-- remediation: Project settings > Repositories > (repository) > Settings > Advanced Security: turn it on (code security and secret protection), or enable it for the whole project or organization with "Enable for all repositories"; via the API, PATCH advsec.dev.azure.com/{org}/{project}/_apis/management/repositories/{repository}/enablement.
-- references: Defender for Cloud: Azure DevOps repositories should have GitHub Advanced Security for Azure DevOps enabled | https://learn.microsoft.com/azure/devops/repos/security/configure-github-advanced-security-features
--
-- Reads advanced_security (one row per repository). Disabled repositories are not evaluated.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       'fail' AS result, 'Advanced Security is off (no code security, no secret protection)' AS details
FROM advanced_security a
JOIN repositories r
  ON r.connector = a.connector AND r.organization = a.organization AND r.repository_id = a.repository_id
WHERE a.status IN ('on', 'partial', 'off') AND NOT r.is_disabled
  AND a.status = 'off'
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
