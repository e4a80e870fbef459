-- id: ADO-VG-002
-- title: No plain-text secrets in variable groups
-- severity: high
-- resource_kind: variable_group
-- description: A variable of the group has a name that looks like a credential (password, secret, token, API key, private key, connection string, credential) and is not marked secret, so its value is stored and shown in plain text.
-- remediation: Pipelines > Library > (variable group): for each such variable, rotate the value, re-enter it and click the lock icon (or link the group to Azure Key Vault).
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/variable-groups
-- defender: none
-- azsk: ADO_VariableGroup_DP_No_PlainText_Secrets_In_Variables (High)
-- psrule: Azure.DevOps.Tasks.VariableGroup.NoPlainTextSecrets (Critical)
--
-- Key Vault-linked groups are left out: their values live in the vault, whatever the names.
-- Secret-like: as ADO-PIPE-004.
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'fail' AS result, 'plain-text variables with secret-like names: ' || g.plaintext_variable_names AS details
FROM variable_groups g
WHERE g.key_vault IS NULL AND LOWER(COALESCE(g.type, 'vsts')) <> 'azurekeyvault'
  AND (REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%password%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%passwd%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%pwd%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%secret%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%token%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%apikey%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%privatekey%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%connectionstring%'
       OR REPLACE(LOWER(g.plaintext_variable_names), '_', '') LIKE '%credential%')
UNION ALL
-- Not evaluated: the project's variable groups could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'variable_groups'
