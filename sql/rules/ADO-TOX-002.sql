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
-- As ADO-REPO-011 (secret_scanning_exposure: where secret protection is on; unreadable alerts are
-- not evaluated), in public projects.
SELECT x.connector, x.organization, x.project_id, x.project,
       x.repository_id AS resource_id, x.repository AS resource_name,
       CASE WHEN x.alerts_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN x.alerts_status = 'read' THEN CAST(x.open_secret_alerts AS STRING) || ' open secret-scanning alert(s) in a public project: the secret is published'
            ELSE 'the alerts of a repository in a public project could not be read' || COALESCE(': ' || x.alerts_reason, '') END AS details
FROM secret_scanning_exposure x
JOIN projects p
  ON p.connector = x.connector AND p.organization = x.organization AND p.project_id = x.project_id
WHERE LOWER(COALESCE(p.visibility, '')) = 'public'
