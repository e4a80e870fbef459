-- id: ADO-TOX-002
-- title: Public projects hold no open secret-scanning alert
-- severity: critical
-- resource_kind: repository
-- description: Attack path across resources. The repository is in a public project, so anyone on the internet can read it and its history, and secret scanning reports a leaked credential in it that is still open: the secret is published, not just stored. ADO-REPO-011 reports the open alert and ADO-PROJ-001 the public project; together they are an exposed credential.
-- remediation: Revoke and rotate the secret at once (closing the alert does not remove it from the history), then close the alert; make the project private unless it must be public.
-- references: https://learn.microsoft.com/azure/devops/repos/security/github-advanced-security-secret-scanning, https://learn.microsoft.com/azure/devops/organizations/projects/make-project-public
-- defender: none
-- azsk: none
-- psrule: none
--
-- As ADO-REPO-011 (where secret protection is on; unreadable alerts are not evaluated), in public projects.
WITH open_alerts AS (
    SELECT connector, organization, repository_id, COUNT(*) AS n
    FROM advsec_alerts
    WHERE LOWER(state) = 'active' AND LOWER(alert_type) = 'secret'
    GROUP BY connector, organization, repository_id
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.repository_id AS resource_id, a.repository AS resource_name,
       CASE WHEN a.alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.alerts_status = 'read' THEN CAST(o.n AS STRING) || ' open secret-scanning alert(s) in a public project: the secret is published'
            ELSE 'the alerts of a repository in a public project could not be read' || COALESCE(': ' || a.alerts_reason, '') END AS details
FROM advanced_security_repositories a
JOIN projects p
  ON p.connector = a.connector AND p.organization = a.organization AND p.project_id = a.project_id
LEFT JOIN open_alerts o
  ON o.connector = a.connector AND o.organization = a.organization AND o.repository_id = a.repository_id
WHERE LOWER(COALESCE(p.visibility, '')) = 'public'
  AND LOWER(a.status) IN ('on', 'partial') AND COALESCE(a.secret_protection_enabled, false)
  AND (o.n IS NOT NULL OR a.alerts_status <> 'read')
