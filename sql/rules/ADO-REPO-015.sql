-- id: ADO-REPO-015
-- title: Advanced Security secret protection is enabled
-- severity: high
-- resource_kind: repository
-- description: Secret protection (secret scanning) of GitHub Advanced Security is off for the repository while its other feature is on, so leaked credentials in its history are not found.
-- remediation: Repository settings > Advanced Security: turn on secret protection (and "Block pushes").
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-secret-scanning
-- defender: none
-- azsk: none
-- psrule: none
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled).
-- Judges partially enabled repositories only: with both features off, ADO-REPO-009 is the finding.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       'fail' AS result, 'secret protection (secret scanning) is off while code security is on' AS details
FROM advanced_security_repositories
WHERE LOWER(status) = 'partial' AND NOT COALESCE(secret_protection_enabled, false)
