-- id: ADO-PIPE-002
-- title: Fork builds do not get a full-access job token
-- severity: high
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks with a job access token that has the same permissions as regular builds (forks.allowFullAccessToken), and the project does not override it.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: clear "Make fork builds have the same permissions as regular builds"; or turn on fork protection with "Securely build pull requests from forked repositories" in Project settings > Pipelines > Settings.
-- references: AzSK: ADO_Build_AuthZ_Limit_Fork_Builds_Job_Token | https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
--
-- The project's fork protection (when its settings were read) overrides the definition.
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'builds pull requests from forks with a full-access job token' AS details
FROM pipelines p
LEFT JOIN pipeline_settings s
  ON s.connector = p.connector AND s.organization = p.organization AND s.project_id = p.project_id
WHERE p.forks_enabled AND p.forks_allow_full_access_token
  AND NOT COALESCE(s.status = 'read' AND s.fork_protection_enabled
                   AND (NOT s.builds_enabled_for_forks OR s.enforce_job_auth_scope_for_forks), false)
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'not_evaluated' AS result,
       'pipelines could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM crawl_coverage
WHERE resource_kind = 'pipelines' AND status <> 'read'
