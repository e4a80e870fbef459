-- id: ADO-PIPE-005
-- title: Fork pull-request builds require a team member's comment
-- severity: medium
-- resource_kind: pipeline
-- description: The pipeline builds pull requests from forks without waiting for a team member's comment (isCommentRequiredForPullRequest, on the trigger or in the fork protection in force), so anyone can make it run code of their choosing on the agents.
-- remediation: Pipeline > Edit > Triggers > Pull request validation > Forks: tick "Require a team member's comment before building a pull request".
-- references: https://learn.microsoft.com/azure/devops/pipelines/repos/github#contributions-from-forks
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Pipelines.Settings.RequireCommentForPullRequestFromFork (Important)
--
-- Reads pipeline_fork_exposure (sql/views/): the trigger's pipelineTriggerSettings when it carries
-- them (the service's combination of pipeline, project and organization settings), else the
-- project's and organization's settings in force (effective_pipeline_settings).
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result, 'builds fork pull requests without a comment from a team member' AS details
FROM pipeline_fork_exposure p
WHERE p.fork_without_comment
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
