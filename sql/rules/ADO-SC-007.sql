-- id: ADO-SC-007
-- title: Azure service connections are scoped below a subscription
-- severity: medium
-- resource_kind: service_connection
-- description: The Azure Resource Manager connection's identity is granted a whole subscription or management group (data.scopeLevel, with no resource group in its scope), so every pipeline that may use it can change everything there.
-- remediation: Create the connection scoped to the resource group(s) the pipelines deploy to (Service connections > New > Azure Resource Manager > Scope level: Subscription with a resource group), or narrow the identity's role assignments in Azure; then move the pipelines to it.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/security-best-practices#scope-service-connections | https://learn.microsoft.com/azure/devops/pipelines/library/connect-to-azure
-- defender: none
-- azsk: ADO_ServiceConnection_AuthZ_Use_Least_Privilege_Access (High)
-- psrule: Azure.DevOps.ServiceConnections.Scope (Severe)
--
SELECT c.connector, c.organization, c.project_id, c.project,
       c.project_id || '/' || c.service_connection_id AS resource_id, c.service_connection AS resource_name,
       'fail' AS result, 'Azure Resource Manager connection scoped to a whole ' || LOWER(c.scope_level) AS details
FROM service_connections c
WHERE LOWER(c.type) = 'azurerm' AND (LOWER(COALESCE(c.scope_level, '')) = 'managementgroup' OR (LOWER(COALESCE(c.scope_level, '')) = 'subscription' AND LOWER(COALESCE(c.azure_scope, '')) NOT LIKE '%/resourcegroups/%'))
UNION ALL
-- Not evaluated: the project's service connections could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'service_connections'
