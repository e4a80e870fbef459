-- id: ADO-TOX-003
-- title: Self-hosted agent queues open to all pipelines are not reachable from fork builds
-- severity: critical
-- resource_kind: agent_queue
-- description: Attack path across resources. The self-hosted agent queue is open to every pipeline of a project in which fork builds run: a fork's author changes the pipeline in the pull request to run on this queue, and executes code on the organization's own machines (and their network, credentials and caches). ADO-AQ-001 and ADO-PIPE-016 each see one side.
-- remediation: Block fork builds, or require a team member's comment before they run; remove "Open access" from the queue (Project settings > Agent pools > (queue) > Security > Pipeline permissions); run untrusted builds on Microsoft-hosted agents only.
-- references: https://learn.microsoft.com/azure/devops/pipelines/security/repos#forks, https://learn.microsoft.com/azure/devops/pipelines/agents/pools-queues#pipeline-permissions
-- defender: none
-- azsk: none (a combination of ADO_AgentPool_AuthZ_Dont_Grant_All_Pipelines_Access and ADO_Build_DP_Do_Not_Use_Forked_Repo_With_Self_Hosted_Agent)
-- psrule: none
--
-- Self-hosted: the queue's pool is not Microsoft-hosted (unknown hosting counts as self-hosted, as in ADO-AQ-001).
SELECT q.connector, q.organization, q.project_id, q.project,
       CAST(q.queue_id AS STRING) AS resource_id, q.queue AS resource_name,
       'fail' AS result,
       'self-hosted, open to all pipelines of a project where fork builds run' AS details
FROM agent_queues q
WHERE q.open_to_all_pipelines AND NOT COALESCE(q.pool_is_hosted, false)
  AND q.project_id IN (SELECT project_id FROM pipeline_fork_exposure WHERE fork_builds_run)
