-- id: ADO-SC-001
-- title: Service connections are not open to all pipelines
-- severity: high
-- resource_kind: service_connection
-- description: The service connection is authorized for every pipeline of the project, so any pipeline (including one created by any contributor) can use its credentials.
-- remediation: Project settings > Service connections > (connection) > ... > Security > Pipeline permissions: remove "Open access" and add only the pipelines that need it (PATCH _apis/pipelines/pipelinepermissions/endpoint/{id} with allPipelines.authorized = false).
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#pipeline-permissions
-- defender: Azure DevOps service connections shouldn't grant access to all pipelines (High)
-- azsk: ADO_ServiceConnection_AuthZ_Dont_Grant_All_Pipelines_Access (High)
-- psrule: none
--
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'authorized for all pipelines of the project' AS details
FROM service_connections c
WHERE c.open_to_all_pipelines
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
