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
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE LOWER(state) = 'active' AND LOWER(alert_type) = 'secret'
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       CASE WHEN a.alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.alerts_status = 'read' THEN CAST(o.n AS STRING) || ' open secret-scanning alert(s) on the default branch'
            ELSE 'the alerts could not be read' || COALESCE(': ' || a.alerts_reason, '') END AS details
FROM advanced_security_repositories a
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE LOWER(a.status) IN ('on', 'partial') AND COALESCE(a.secret_protection_enabled, false)
  AND (o.n IS NOT NULL OR a.alerts_status <> 'read')
