-- id: ADO-PIPE-009
-- title: Release pipelines' job authorization scope is limited to the current project
-- severity: medium
-- resource_kind: project
-- description: Release pipelines of the project get job tokens scoped to the whole organization.
-- remediation: Project settings > Pipelines > Settings: turn on "Limit job authorization scope to current project for release pipelines" (enforceJobAuthScopeForReleases).
-- references: AzSK: ADO_Project_AuthZ_Limit_Job_Scope_For_Releases | https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#job-authorization-scope
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'release job authorization scope is not limited to the project'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(enforce_job_auth_scope_for_releases, false))
