-- id: ADO-PIPE-002
-- title: Fork builds do not get a full-access job token
-- severity: high
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks with a job access token that has the same permissions as regular builds (forks.allowFullAccessToken), and no fork protection in force (trigger, project or organization) limits it.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: clear "Make fork builds have the same permissions as regular builds"; or turn on fork protection with "Securely build pull requests from forked repositories" in Project settings > Pipelines > Settings.
-- references: https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
-- defender: none
-- azsk: ADO_Build_DP_Dont_Allow_Forked_Builds_Run_As_Regular_Builds (High)
-- psrule: none
--
-- Reads pipeline_fork_exposure (sql/views/): the trigger's pipelineTriggerSettings when it carries
-- them (the service's combination of pipeline, project and organization settings), else the
-- project's and organization's settings in force (effective_pipeline_settings).
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result, 'builds pull requests from forks with a full-access job token' AS details
FROM pipeline_fork_exposure p
WHERE p.fork_full_token
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
