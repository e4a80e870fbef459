-- id: ADO-TOX-004
-- title: Variable groups with secrets are not open to all pipelines where anyone may create classic pipelines
-- severity: critical
-- resource_kind: variable_group
-- description: Attack path across resources. The variable group holds secrets and is open to every pipeline of the project, and classic build pipelines can still be created there: any project member with pipeline-create rights makes a classic pipeline (no YAML review, no repository change) that prints the secrets. ADO-VG-001 and ADO-PIPE-007 each see one side.
-- remediation: Remove "Open access" from the variable group (Library > (group) > Pipeline permissions) and authorize the pipelines that need it; disable the creation of classic build pipelines (Organization or Project settings > Pipelines > Settings).
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/variable-groups#set-up-pipeline-permissions, https://learn.microsoft.com/azure/devops/pipelines/release/disable-classic-pipelines
-- defender: none
-- azsk: none (a combination of ADO_VariableGroup_AuthZ_Dont_Grant_All_Pipelines_Access_On_VG_With_Secrets and ADO_Project_DP_Disable_Creation_Of_Classic_Pipeline)
-- psrule: none
--
-- Secrets as in ADO-VG-001; classic creation as effective_pipeline_settings says (project or organization).
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'fail' AS result,
       'holds secrets, open to all pipelines, in a project where classic build pipelines can be created' AS details
FROM variable_groups g
JOIN effective_pipeline_settings s
  ON s.connector = g.connector AND s.organization = g.organization AND s.project_id = g.project_id
WHERE g.open_to_all_pipelines
  AND (g.secret_variable_count > 0 OR g.key_vault IS NOT NULL OR LOWER(COALESCE(g.type, '')) = 'azurekeyvault')
  AND s.status = 'read' AND NOT s.classic_build_creation_disabled
