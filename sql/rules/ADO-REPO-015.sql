-- id: ADO-REPO-015
-- title: Advanced Security secret protection is enabled
-- severity: high
-- resource_kind: repository
-- description: Secret protection (secret scanning) of GitHub Advanced Security is off for the repository, so leaked credentials in its history are not found.
-- remediation: Repository settings > Advanced Security: turn on secret protection (and "Block pushes").
-- references: Defender for Cloud: Azure DevOps repositories should have secret scanning findings resolved | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-secret-scanning
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled). Not
-- evaluated where Advanced Security is not available (Azure DevOps Server, no API) or the
-- identity may not read it.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status IN ('on', 'partial', 'off') THEN 'secret protection (secret scanning) is off'
            ELSE 'Advanced Security status is ' || status || COALESCE(': ' || alerts_reason, '') END AS details
FROM advanced_security_repositories
WHERE status NOT IN ('on', 'partial', 'off') OR (NOT COALESCE(secret_protection_enabled, false))
