-- id: ADO-PIPE-015
-- title: The project limits fork builds' job tokens
-- severity: medium
-- resource_kind: project
-- description: The project does not limit the job token of builds of pull requests from forks: fork protection is off, or it builds forks without limiting their job authorization scope.
-- remediation: Project settings > Pipelines > Settings: turn on "Limit building pull requests from forked GitHub repositories" and pick "Securely build pull requests from forked repositories" (enforceJobAuthScopeForForks).
-- references: AzSK: ADO_Project_AuthZ_Limit_Fork_Builds_Job_Token | https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'the job tokens of fork builds are not limited at project level'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(fork_protection_enabled AND (NOT builds_enabled_for_forks OR enforce_job_auth_scope_for_forks), false))
