-- id: ADO-PIPE-008
-- title: Job authorization scope is limited to the current project
-- severity: medium
-- resource_kind: project
-- description: Non-release pipelines of the project get job tokens scoped to the whole organization, so a compromised pipeline can read and change other projects.
-- remediation: Project settings > Pipelines > Settings: turn on "Limit job authorization scope to current project for non-release pipelines" (enforceJobAuthScope).
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#job-authorization-scope
-- defender: none
-- azsk: ADO_Project_AuthZ_Limit_Non_Release_Pipeline_Scope (Medium)
-- psrule: Azure.DevOps.Pipelines.Settings.LimitJobAuthorizationScope (Severe)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'job authorization scope is not limited to the project' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (enforce_job_auth_scope)
