-- id: ADO-PIPE-010
-- title: YAML pipelines' tokens reach only the repositories they reference
-- severity: medium
-- resource_kind: project
-- description: "Protect access to repositories in YAML pipelines" is off: a YAML pipeline's job token can read every repository of the project, not only those it declares.
-- remediation: Project settings > Pipelines > Settings: turn on "Protect access to repositories in YAML pipelines" (enforceReferencedRepoScopedToken).
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#protect-access-to-repositories-in-yaml-pipelines
-- defender: none
-- azsk: ADO_Project_AuthZ_Limit_Pipeline_Scope_To_Referenced_Repos (Medium)
-- psrule: Azure.DevOps.Pipelines.Settings.LimitJobAuthorizationScopeForYamlPipelines (Severe)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'job tokens are not limited to referenced repositories' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (enforce_referenced_repo_scoped_token)
