-- id: ADO-SC-004
-- title: Azure service connections have approvals or checks
-- severity: medium
-- resource_kind: service_connection
-- description: The Azure service connection (classic or Resource Manager) has no approval and no real check (an exclusive lock does not count), so any authorized pipeline reaches the subscription without a human or automated gate.
-- remediation: Project settings > Service connections > (connection) > ... > Approvals and checks: add an Approval (or a Branch control / Business hours check) for pipelines that deploy to the subscription.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.ServiceConnections.ProductionCheckProtection (Severe)
--
-- Counts every check on the connection except ExclusiveLock (2ef31ad6-baa0-403a-8b45-2cbc9b4e5563), which
-- serialises runs and gates nothing. Types compared case-insensitively.
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'no approval or check is configured' AS details
FROM service_connections c
WHERE LOWER(c.type) IN ('azurerm', 'azure')
  AND c.project_id || '/' || LOWER(c.service_connection_id) NOT IN (
      SELECT project_id || '/' || LOWER(resource_id) FROM checks
      WHERE LOWER(resource_type) = 'endpoint' AND LOWER(check_type_id) <> '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563')
  AND c.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'checks' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's checks could not be read.
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'not_evaluated' AS result, 'checks could not be read: ' || g.status || COALESCE(' (' || g.reason || ')', '') AS details
FROM service_connections c
JOIN crawl_coverage g
  ON g.connector = c.connector AND g.organization = c.organization AND g.project_id = c.project_id
WHERE LOWER(c.type) IN ('azurerm', 'azure') AND g.resource_kind = 'checks' AND g.status <> 'read'
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
