-- id: ADO-VG-001
-- title: Variable groups with secrets are not open to all pipelines
-- severity: high
-- resource_kind: variable_group
-- description: The variable group holds secrets (secret variables, or values from Azure Key Vault) and is authorized for every pipeline of the project, so any pipeline can read them.
-- remediation: Pipelines > Library > (variable group) > Pipeline permissions: remove "Open access" and add only the pipelines that need it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/variable-groups#set-variable-group-pipeline-permissions
-- defender: Azure DevOps variable groups with secret variables shouldn't grant access to all pipelines (High)
-- azsk: ADO_VariableGroup_AuthZ_Dont_Grant_All_Pipelines_Access_On_VG_With_Secrets (High)
-- psrule: none
--
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'fail' AS result, 'holds secrets and is authorized for all pipelines' AS details
FROM variable_groups g
WHERE g.open_to_all_pipelines AND (g.secret_variable_count > 0 OR g.key_vault IS NOT NULL OR LOWER(COALESCE(g.type, '')) = 'azurekeyvault')
UNION ALL
-- Not evaluated: the project's variable groups could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'variable_groups'
