-- id: ADO-REPO-014
-- title: Advanced Security code security is enabled
-- severity: medium
-- resource_kind: repository
-- description: Code security (CodeQL code scanning and dependency scanning) of GitHub Advanced Security is off for the repository, so vulnerable code and dependencies go unnoticed.
-- remediation: Repository settings > Advanced Security: turn on code security, then add the CodeQL and dependency-scanning tasks to a pipeline (or turn on default setup).
-- references: Defender for Cloud: Azure DevOps repositories should have code scanning findings resolved | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-code-scanning
--
-- Reads advanced_security (one row per repository). Disabled repositories are not evaluated.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       'fail' AS result, 'code security (CodeQL, dependency scanning) is off' AS details
FROM advanced_security a
JOIN repositories r
  ON r.connector = a.connector AND r.organization = a.organization AND r.repository_id = a.repository_id
WHERE a.status IN ('on', 'partial', 'off') AND NOT r.is_disabled
  AND NOT COALESCE(a.code_security_enabled, false)
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
