-- id: ADO-REPO-014
-- title: Advanced Security code security is enabled
-- severity: medium
-- resource_kind: repository
-- description: Code security (CodeQL code scanning and dependency scanning) of GitHub Advanced Security is off for the repository while its other feature is on, so vulnerable code and dependencies go unnoticed.
-- remediation: Repository settings > Advanced Security: turn on code security, then add the CodeQL and dependency-scanning tasks to a pipeline (or turn on default setup).
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-code-scanning
-- defender: none
-- azsk: none
-- psrule: none
--
-- Reads advanced_security_repositories (sql/views/: repositories that are not disabled).
-- Judges partially enabled repositories only: with both features off, ADO-REPO-009 is the finding.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       'fail' AS result, 'code security (CodeQL, dependency scanning) is off while secret protection is on' AS details
FROM advanced_security_repositories
WHERE LOWER(status) = 'partial' AND NOT COALESCE(code_security_enabled, false)
