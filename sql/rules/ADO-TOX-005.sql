-- id: ADO-TOX-005
-- title: Service connections open to all pipelines are not in public projects
-- severity: critical
-- resource_kind: service_connection
-- description: Attack path across resources. The project is public (anyone can read its pipelines, their definitions and logs) and the service connection is open to every one of its pipelines: the connection's target and how it is used are published, and any pipeline a contributor adds can use it. ADO-PROJ-001 and ADO-SC-001 each see one side. Judged per project the connection is available in.
-- remediation: Remove "Open access" from the service connection (Pipeline permissions) and authorize the pipelines that need it; keep deployment credentials out of public projects; make the project private unless it must be public.
-- references: https://learn.microsoft.com/azure/devops/organizations/projects/make-project-public, https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#pipeline-permissions
-- defender: none
-- azsk: none
-- psrule: none
--
SELECT sp.connector, sp.organization, sp.project_id, sp.project,
       sp.project_id || '/' || sp.service_connection_id AS resource_id, sp.service_connection AS resource_name,
       'fail' AS result,
       'open to all pipelines of a public project' AS details
FROM service_connection_projects sp
JOIN projects p
  ON p.connector = sp.connector AND p.organization = sp.organization AND p.project_id = sp.project_id
WHERE sp.open_to_all_pipelines AND LOWER(COALESCE(p.visibility, '')) = 'public'
