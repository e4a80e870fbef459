-- id: ADO-SC-003
-- title: Azure service connections use workload identity federation
-- severity: medium
-- resource_kind: service_connection
-- description: The Azure Resource Manager connection authenticates with a service principal secret (or certificate) stored in Azure DevOps, which can leak and must be rotated, instead of workload identity federation.
-- remediation: Project settings > Service connections > (connection) > Convert (to workload identity federation); or create a new Azure Resource Manager connection with "Workload identity federation" and move the pipelines to it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity
-- defender: none
-- azsk: ADO_ServiceConnection_AuthN_Use_Secure_Auth_Method (High)
-- psrule: Azure.DevOps.ServiceConnections.WorkloadIdentityFederation (Important)
--
-- Managed identities (ManagedServiceIdentity) hold no secret either, so they pass. Types and schemes
-- compared case-insensitively.
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'Azure Resource Manager connection authenticates with ' || COALESCE(c.authorization_scheme, 'an unknown scheme') AS details
FROM service_connections c
WHERE LOWER(c.type) = 'azurerm' AND LOWER(COALESCE(c.authorization_scheme, '')) NOT IN ('workloadidentityfederation', 'managedserviceidentity')
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
