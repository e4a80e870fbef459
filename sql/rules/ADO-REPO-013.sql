-- id: ADO-REPO-013
-- title: No open high or critical dependency alerts
-- severity: medium
-- resource_kind: repository
-- description: The repository has active dependency-scanning alerts of high or critical severity: it depends on packages with known vulnerabilities.
-- remediation: Repos > Advanced Security > Dependencies: upgrade each vulnerable package to the fixed version the alert names (or remove it), then let the next scan close the alert.
-- references: Defender for Cloud: Azure DevOps repositories should have dependency vulnerability scanning findings resolved | https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-dependency-scanning
--
-- Evaluated where code security is on and the alerts could be read; elsewhere the repository is
-- not evaluated (the feature is off, Advanced Security is not available, or 403 on the alerts).
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE state = 'active' AND alert_type = 'dependency' AND severity IN ('high', 'critical')
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       CASE WHEN a.alerts_status = 'read' AND COALESCE(a.code_security_enabled, false)
            THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.alerts_status = 'read' AND COALESCE(a.code_security_enabled, false)
            THEN CAST(o.n AS STRING) || ' open high/critical dependency alert(s) on the default branch'
            WHEN a.status IN ('not_available', 'not_evaluated')
            THEN 'Advanced Security status is ' || a.status || COALESCE(': ' || a.alerts_reason, '')
            WHEN a.alerts_status = 'not_evaluated'
            THEN 'the alerts could not be read' || COALESCE(': ' || a.alerts_reason, '')
            ELSE 'code security is off, so there are no alerts to judge' END AS details
FROM advanced_security_repositories a
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE o.n IS NOT NULL OR NOT (a.alerts_status = 'read' AND COALESCE(a.code_security_enabled, false))
