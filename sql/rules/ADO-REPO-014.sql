-- id: ADO-REPO-014
-- title: Advanced Security code security is enabled
-- severity: medium
-- resource_kind: repository
-- description: Code security (CodeQL code scanning and dependency scanning) of GitHub Advanced Security is off for the repository, so vulnerable code and dependencies go unnoticed.
-- remediation: Repository settings > Advanced Security: turn on code security, then add the CodeQL and dependency-scanning tasks to a pipeline (or turn on default setup).
-- references: Defender for Cloud: Azure DevOps repositories should have code scanning findings resolved | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-code-scanning
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled). Not
-- evaluated where Advanced Security is not available (Azure DevOps Server, no API) or the
-- identity may not read it.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'code security (CodeQL, dependency scanning) is off'
            ELSE 'Advanced Security status is ' || status || COALESCE(': ' || alerts_reason, '') END AS details
FROM advanced_security_repositories
WHERE status NOT IN ('on', 'partial', 'off') OR (NOT COALESCE(code_security_enabled, false))
