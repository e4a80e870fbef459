-- id: ADO-REPO-013
-- title: No open high or critical dependency alerts
-- severity: medium
-- resource_kind: repository
-- description: The repository has active dependency-scanning alerts of high or critical severity: it depends on packages with known vulnerabilities.
-- remediation: Repos > Advanced Security > Dependencies: upgrade each vulnerable package to the fixed version the alert names (or remove it), then let the next scan close the alert.
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-dependency-scanning
-- defender: Azure DevOps repositories should have dependency vulnerability scanning findings resolved (Medium)
-- azsk: none
-- psrule: none
--
-- Evaluated where the feature is on: a repository whose alerts could not be read is not evaluated;
-- where the feature is off there is nothing to judge (ADO-REPO-009, 014 or 015 is the finding).
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE LOWER(state) = 'active' AND LOWER(alert_type) = 'dependency' AND LOWER(severity) IN ('high', 'critical')
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       CASE WHEN a.alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.alerts_status = 'read' THEN CAST(o.n AS STRING) || ' open high/critical dependency alert(s) on the default branch'
            ELSE 'the alerts could not be read' || COALESCE(': ' || a.alerts_reason, '') END AS details
FROM advanced_security_repositories a
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE LOWER(a.status) IN ('on', 'partial') AND COALESCE(a.code_security_enabled, false)
  AND (o.n IS NOT NULL OR a.alerts_status <> 'read')
