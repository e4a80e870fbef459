-- id: ADO-VG-003
-- title: Secrets in variable groups come from Azure Key Vault
-- severity: low
-- resource_kind: variable_group
-- description: The variable group stores secret variables in Azure DevOps instead of linking them from Azure Key Vault, where they could be rotated, audited and expired centrally.
-- remediation: Move the secrets to an Azure Key Vault and create a variable group with "Link secrets from an Azure key vault as variables"; then delete the secrets from this group.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/link-variable-groups-to-key-vaults
-- defender: none
-- azsk: ADO_VariableGroup_DP_Store_Secrets_In_KeyVault (Low)
-- psrule: Azure.DevOps.Tasks.VariableGroup.NoKeyVaultNoSecrets (Critical)
--
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'fail' AS result, CAST(g.secret_variable_count AS STRING) || ' secret variable(s) stored in Azure DevOps' AS details
FROM variable_groups g
WHERE g.secret_variable_count > 0 AND g.key_vault IS NULL AND LOWER(COALESCE(g.type, 'vsts')) <> 'azurekeyvault'
UNION ALL
-- Not evaluated: the project's variable groups could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'variable_groups'
