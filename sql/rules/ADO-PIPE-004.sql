-- id: ADO-PIPE-004
-- title: No plain-text secrets in pipeline variables
-- severity: high
-- resource_kind: pipeline
-- description: A variable of the pipeline definition has a name that looks like a credential (password, secret, token, API key, private key, connection string, credential) and is not marked secret, so its value is stored and shown in plain text.
-- remediation: Pipeline > Edit > Variables: for each such variable, rotate the value, re-enter it and tick "Keep this value secret" (or move it to a Key Vault-linked variable group).
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/set-secret-variables
-- defender: none
-- azsk: ADO_Build_DP_No_PlainText_Secrets_In_Definition (High)
-- psrule: Azure.DevOps.Pipelines.Core.NoPlainTextSecrets (Critical)
--
-- Secret-like: the name, in lower case with underscores removed, contains password, passwd, pwd,
-- secret, token, apikey, privatekey, connectionstring or credential.
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'plain-text variables with secret-like names: ' || p.plaintext_variable_names AS details
FROM pipelines p
WHERE (REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%password%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%passwd%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%pwd%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%secret%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%token%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%apikey%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%privatekey%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%connectionstring%'
       OR REPLACE(LOWER(p.plaintext_variable_names), '_', '') LIKE '%credential%')
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
