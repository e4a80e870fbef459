-- id: ADO-PIPE-010
-- title: YAML pipelines' tokens reach only the repositories they reference
-- severity: medium
-- resource_kind: project
-- description: "Protect access to repositories in YAML pipelines" is off: a YAML pipeline's job token can read every repository of the project, not only those it declares.
-- remediation: Project settings > Pipelines > Settings: turn on "Protect access to repositories in YAML pipelines" (enforceReferencedRepoScopedToken).
-- references: PSRule: Azure.ADO.Project.ReferencedRepoScopedToken | https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#protect-access-to-repositories-in-yaml-pipelines
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'job tokens are not limited to referenced repositories'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(enforce_referenced_repo_scoped_token, false))
