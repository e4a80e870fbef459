-- id: ADO-PIPE-016
-- title: Fork builds do not run on self-hosted agents
-- severity: medium
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks on a self-hosted agent pool: code from anyone who can open a pull request runs on machines that persist between jobs and reach the internal network.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: clear "Build pull requests from forks of this repository", or run the pipeline on a Microsoft-hosted pool (queue "Azure Pipelines"); for every pipeline, turn on fork protection with "Do not build pull requests from forked repositories" in Project or Organization settings > Pipelines > Settings.
-- references: https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks | https://learn.microsoft.com/azure/devops/pipelines/security/misc#dont-run-untrusted-code-on-self-hosted-agents
-- defender: none
-- azsk: ADO_Build_DP_Do_Not_Use_Forked_Repo_With_Self_Hosted_Agent (Medium)
-- psrule: none
--
-- Reads pipeline_fork_exposure (sql/views/): the trigger's pipelineTriggerSettings when it carries
-- them (the service's combination of pipeline, project and organization settings), else the
-- project's and organization's settings in force (effective_pipeline_settings).
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result, 'builds pull requests from forks on a self-hosted agent pool' AS details
FROM pipeline_fork_exposure p
WHERE p.fork_builds_run AND p.queue_pool_is_hosted = false
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
