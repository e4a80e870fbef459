-- id: ADO-SC-002
-- title: No classic Azure service connections
-- severity: medium
-- resource_kind: service_connection
-- description: The service connection uses the classic Azure (Azure Service Management, type `azure`) model, with certificate or credential authentication that cannot be scoped like Azure Resource Manager connections.
-- remediation: Create an Azure Resource Manager connection (workload identity federation) to the same subscription, switch the pipelines to it, then delete the classic connection.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/connect-to-azure
-- defender: Azure DevOps Classic Azure service connections shouldn't be used to access a subscription (Medium)
-- azsk: ADO_ServiceConnection_AuthZ_Dont_Use_Classic_Connections (High)
-- psrule: Azure.DevOps.ServiceConnections.ClassicAzure (Critical)
--
-- Types compared case-insensitively (`azure`, `Azure`).
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'classic Azure (ASM) connection' AS details
FROM service_connections c
WHERE LOWER(c.type) = 'azure'
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
