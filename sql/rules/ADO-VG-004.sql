-- id: ADO-VG-004
-- title: Variable groups with secrets have an approval or check
-- severity: medium
-- resource_kind: variable_group
-- description: The variable group holds secrets (secret variables, or values from Azure Key Vault) and has no approval and no real check (an exclusive lock does not count), so any pipeline authorized to use it reads them from any branch without a human or automated gate.
-- remediation: Pipelines > Library > (variable group) > Approvals and checks: add a Branch control check (only protected branches), or an Approval.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals
-- defender: none
-- azsk: ADO_VariableGroup_AuthZ_Enable_Branch_Control (Medium; closest: it asks for a branch control check in particular, this rule accepts any check)
-- psrule: none
--
-- Secrets as in ADO-VG-001. Checks on the group (resource type `variablegroup`, id the group id) count
-- except ExclusiveLock (2ef31ad6-baa0-403a-8b45-2cbc9b4e5563); types compared case-insensitively.
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'fail' AS result, 'holds secrets and has no approval or check' AS details
FROM variable_groups g
WHERE (g.secret_variable_count > 0 OR g.key_vault IS NOT NULL OR LOWER(COALESCE(g.type, '')) = 'azurekeyvault')
  AND g.project_id || '/' || CAST(g.variable_group_id AS STRING) NOT IN (
      SELECT project_id || '/' || resource_id FROM checks
      WHERE LOWER(resource_type) = 'variablegroup' AND LOWER(check_type_id) <> '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563')
  AND g.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'checks' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's checks could not be read.
SELECT g.connector, g.organization, g.project_id, g.project,
       CAST(g.variable_group_id AS STRING) AS resource_id, g.variable_group AS resource_name,
       'not_evaluated' AS result, 'checks could not be read: ' || c.status || COALESCE(' (' || c.reason || ')', '') AS details
FROM variable_groups g
JOIN crawl_coverage c
  ON c.connector = g.connector AND c.organization = g.organization AND c.project_id = g.project_id
WHERE (g.secret_variable_count > 0 OR g.key_vault IS NOT NULL OR LOWER(COALESCE(g.type, '')) = 'azurekeyvault')
  AND c.resource_kind = 'checks' AND c.status <> 'read'
UNION ALL
-- Not evaluated: the project's variable groups could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'variable_groups'
