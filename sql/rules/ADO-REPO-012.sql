-- id: ADO-REPO-012
-- title: No open high or critical code-scanning alerts
-- severity: medium
-- resource_kind: repository
-- description: The repository has active code-scanning (CodeQL) alerts of high or critical severity on its default branch.
-- remediation: Repos > Advanced Security > Code scanning: fix the flagged code (or dismiss false positives with a reason); a pull request that fixes it closes the alert on the next scan.
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-code-scanning
-- defender: Azure DevOps repositories should have code scanning findings resolved (Medium)
-- azsk: none
-- psrule: none
--
-- Evaluated where the feature is on: a repository whose alerts could not be read is not evaluated;
-- where the feature is off there is nothing to judge (ADO-REPO-009, 014 or 015 is the finding).
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE LOWER(state) = 'active' AND LOWER(alert_type) = 'code' AND LOWER(severity) IN ('high', 'critical')
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       CASE WHEN a.alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.alerts_status = 'read' THEN CAST(o.n AS STRING) || ' open high/critical code-scanning alert(s) on the default branch'
            ELSE 'the alerts could not be read' || COALESCE(': ' || a.alerts_reason, '') END AS details
FROM advanced_security_repositories a
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE LOWER(a.status) IN ('on', 'partial') AND COALESCE(a.code_security_enabled, false)
  AND (o.n IS NOT NULL OR a.alerts_status <> 'read')
