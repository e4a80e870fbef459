-- id: ADO-REPO-011
-- title: No open secret-scanning alerts
-- severity: high
-- resource_kind: repository
-- description: The repository has active secret-scanning alerts: credentials were committed and may still be valid.
-- remediation: Repos > Advanced Security > Secrets: for each alert, revoke and rotate the credential at its issuer first, then remove it from the code and close the alert (fixed, or dismissed with a reason).
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-secret-scanning
-- defender: Azure DevOps repositories should have secret scanning findings resolved (High)
-- azsk: none
-- psrule: none
--
-- Evaluated where the feature is on: a repository whose alerts could not be read is not evaluated;
-- where the feature is off there is nothing to judge (ADO-REPO-009, 014 or 015 is the finding).
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       CASE WHEN alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN alerts_status = 'read' THEN CAST(open_secret_alerts AS STRING) || ' open secret-scanning alert(s) on the default branch'
            ELSE 'the alerts could not be read' || COALESCE(': ' || alerts_reason, '') END AS details
FROM secret_scanning_exposure
