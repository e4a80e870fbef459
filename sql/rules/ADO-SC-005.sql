-- id: ADO-SC-005
-- title: Service connections are not shared across projects
-- severity: medium
-- resource_kind: service_connection
-- description: The service connection is shared with other projects, so their pipelines (and administrators) can use its credentials too.
-- remediation: Project settings > Service connections > (connection) > ... > Security > Project permissions: remove the other projects, and give each project its own connection with only the access it needs.
-- references: AzSK: ADO_ServiceConnection_AuthZ_Dont_Share_Across_Projects | https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#share-a-service-connection
--
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'shared with ' || CAST(c.project_reference_count - 1 AS STRING) || ' other project(s)' AS details
FROM service_connections c
WHERE c.project_reference_count > 1
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'not_evaluated' AS result,
       'service connections could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM crawl_coverage
WHERE resource_kind = 'service_connections' AND status <> 'read'
