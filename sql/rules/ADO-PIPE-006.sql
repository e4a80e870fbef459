-- id: ADO-PIPE-006
-- title: Pipeline job tokens are scoped to the project
-- severity: medium
-- resource_kind: pipeline
-- description: The classic pipeline's job authorization scope is the whole project collection (organization), and neither the project nor the organization limits it: its job token can reach every project of the organization. YAML pipelines take their scope from the project and organization settings (ADO-PIPE-008), and pipelines of public projects are always scoped to the project.
-- remediation: Pipeline > Edit > Options: set "Build job authorization scope" to "Current project"; or for every pipeline, Project settings > Pipelines > Settings: turn on "Limit job authorization scope to current project for non-release pipelines".
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#job-authorization-scope
-- defender: none
-- azsk: ADO_Build_AuthZ_Limit_Pipeline_Access (Medium)
-- psrule: none
--
-- Classic pipelines only (process type 1); the scope compared case-insensitively.
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'job authorization scope is the whole project collection' AS details
FROM pipelines p
LEFT JOIN effective_pipeline_settings s
  ON s.connector = p.connector AND s.organization = p.organization AND s.project_id = p.project_id
LEFT JOIN projects j
  ON j.connector = p.connector AND j.organization = p.organization AND j.project_id = p.project_id
WHERE p.process_type = 1
  AND LOWER(p.job_authorization_scope) = 'projectcollection'
  AND NOT COALESCE(s.enforce_job_auth_scope, false)
  AND LOWER(COALESCE(j.visibility, '')) <> 'public'
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
