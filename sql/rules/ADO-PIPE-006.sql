-- id: ADO-PIPE-006
-- title: Pipeline job tokens are scoped to the project
-- severity: medium
-- resource_kind: pipeline
-- description: The pipeline's job authorization scope is the whole project collection (organization), and the project does not limit it: its job token can reach every project of the organization.
-- remediation: Pipeline > Edit > Options: set "Build job authorization scope" to "Current project"; or for every pipeline, Project settings > Pipelines > Settings: turn on "Limit job authorization scope to current project for non-release pipelines".
-- references: AzSK: ADO_Build_AuthZ_Limit_Job_Scope_To_Current_Project | https://learn.microsoft.com/azure/devops/pipelines/process/access-tokens#job-authorization-scope
--
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'job authorization scope is the whole project collection' AS details
FROM pipelines p
LEFT JOIN pipeline_settings s
  ON s.connector = p.connector AND s.organization = p.organization AND s.project_id = p.project_id
WHERE p.job_authorization_scope = 'projectCollection'
  AND NOT COALESCE(s.status = 'read' AND s.enforce_job_auth_scope, false)
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'not_evaluated' AS result,
       'pipelines could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM crawl_coverage
WHERE resource_kind = 'pipelines' AND status <> 'read'
