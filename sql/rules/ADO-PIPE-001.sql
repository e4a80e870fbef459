-- id: ADO-PIPE-001
-- title: Pull-request builds from forks do not get secrets
-- severity: high
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks and makes its secrets available to them (forks.allowSecrets), and the project does not override it: anyone who can open a pull request from a fork can read the secrets.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: clear "Make secrets available to builds of forks"; or for the whole project, Project settings > Pipelines > Settings: turn on "Limit building pull requests from forked GitHub repositories" with "Securely build pull requests from forked repositories" (enforceNoAccessToSecretsFromForks).
-- references: Defender for Cloud: Azure DevOps pipelines shouldn't have secrets available to builds of forks | AzSK: ADO_Build_DP_Dont_Make_Secrets_Available_To_Forked_Builds | https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
--
-- The project's fork protection (when its settings were read) overrides the definition.
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'builds pull requests from forks with secrets available to them' AS details
FROM pipelines p
LEFT JOIN pipeline_settings s
  ON s.connector = p.connector AND s.organization = p.organization AND s.project_id = p.project_id
WHERE p.forks_enabled AND p.forks_allow_secrets
  AND NOT COALESCE(s.status = 'read' AND s.fork_protection_enabled
                   AND (NOT s.builds_enabled_for_forks OR s.enforce_no_access_to_secrets_from_forks), false)
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'not_evaluated' AS result,
       'pipelines could not be read: ' || status || COALESCE(' (' || reason || ')', '') AS details
FROM crawl_coverage
WHERE resource_kind = 'pipelines' AND status <> 'read'
