-- id: ADO-PIPE-014
-- title: The project keeps secrets from fork builds
-- severity: medium
-- resource_kind: project
-- description: The project does not stop builds of pull requests from forks from getting secrets: fork protection is off, or it builds forks without "Do not make secrets available to builds of forks".
-- remediation: Project settings > Pipelines > Settings: turn on "Limit building pull requests from forked GitHub repositories" and pick "Securely build pull requests from forked repositories" (or "Do not build pull requests from forked repositories").
-- references: AzSK: ADO_Project_DP_Dont_Make_Secrets_Available_To_Forked_Builds | https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'fork builds are not kept from secrets at project level'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(fork_protection_enabled AND (NOT builds_enabled_for_forks OR enforce_no_access_to_secrets_from_forks), false))
