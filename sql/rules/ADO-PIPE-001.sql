-- id: ADO-PIPE-001
-- title: Pull-request builds from forks do not get secrets
-- severity: high
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks and makes its secrets available to them (forks.allowSecrets), and neither the pipeline's trigger settings in force nor the project's or organization's fork protection keep them out: anyone who can open a pull request from a fork can read the secrets.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: clear "Make secrets available to builds of forks"; or for the whole project, Project settings > Pipelines > Settings: turn on "Limit building pull requests from forked GitHub repositories" with "Securely build pull requests from forked repositories" (enforceNoAccessToSecretsFromForks).
-- references: https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
-- defender: Azure DevOps pipelines shouldn't have secrets available to builds of forks (High)
-- azsk: ADO_Build_DP_Dont_Make_Secrets_Available_To_Forked_Builds (High)
-- psrule: none
--
-- Reads pipeline_fork_exposure (sql/views/): the trigger's pipelineTriggerSettings when it carries
-- them (the service's combination of pipeline, project and organization settings), else the
-- project's and organization's settings in force (effective_pipeline_settings).
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result, 'builds pull requests from forks with secrets available to them' AS details
FROM pipeline_fork_exposure p
WHERE p.fork_secrets
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
