-- id: ADO-SC-001
-- title: Service connections are not open to all pipelines
-- severity: high
-- resource_kind: service_connection
-- description: The service connection is authorized for every pipeline of a project it is available in, so any pipeline of that project (including one created by any contributor) can use its credentials. Judged per project: a connection shared with several projects is one finding per project where it is open.
-- remediation: Project settings > Service connections > (connection) > ... > Security > Pipeline permissions: remove "Open access" and add only the pipelines that need it (PATCH _apis/pipelines/pipelinepermissions/endpoint/{id} with allPipelines.authorized = false).
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#pipeline-permissions
-- defender: Azure DevOps service connections shouldn't grant access to all pipelines (High)
-- azsk: ADO_ServiceConnection_AuthZ_Dont_Grant_All_Pipelines_Access (High)
-- psrule: none
--
-- Per project (service_connection_projects): pipeline permissions belong to each project a
-- shared connection is available in.
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result,
       CASE WHEN c.is_owner THEN 'authorized for all pipelines of the project'
            ELSE 'authorized for all pipelines of this project, which it is shared with' END AS details
FROM service_connection_projects c
WHERE c.open_to_all_pipelines
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
