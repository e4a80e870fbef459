-- id: ADO-SC-005
-- title: Service connections are not shared across projects
-- severity: medium
-- resource_kind: service_connection
-- description: The service connection is shared with other projects (referenced by more than one project, or marked shared), so their pipelines (and administrators) can use its credentials too.
-- remediation: Project settings > Service connections > (connection) > ... > Security > Project permissions: remove the other projects, and give each project its own connection with only the access it needs.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints#share-a-service-connection
-- defender: none
-- azsk: ADO_ServiceConnection_SI_Dont_Share_Across_Projects (High)
-- psrule: none
--
-- One finding per connection (its id, unique in the organization), not one per project that lists it:
-- the project named is the first (by id) of those that list it.
WITH shared AS (
    SELECT connector, organization, service_connection_id, MIN(project_id) AS first_project_id,
           MAX(project_reference_count) AS references_listed, COUNT(DISTINCT project_id) AS projects_listing
    FROM service_connections
    GROUP BY connector, organization, service_connection_id
)
SELECT c.connector, c.organization, c.project_id, c.project,
       c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result,
       'shared with ' || CAST(CASE WHEN s.references_listed > s.projects_listing THEN s.references_listed ELSE s.projects_listing END - 1 AS STRING) || ' other project(s)' AS details
FROM service_connections c
JOIN shared s
  ON s.connector = c.connector AND s.organization = c.organization
 AND s.service_connection_id = c.service_connection_id AND s.first_project_id = c.project_id
WHERE s.references_listed > 1 OR s.projects_listing > 1
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
