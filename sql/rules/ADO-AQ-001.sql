-- id: ADO-AQ-001
-- title: Self-hosted agent queues are not open to all pipelines
-- severity: high
-- resource_kind: agent_queue
-- description: The project's queue of a self-hosted agent pool is authorized for every pipeline, so any pipeline can run code on those machines (and reach what they can reach).
-- remediation: Project settings > Agent pools > (pool) > Security > Pipeline permissions: remove "Open access" and add only the pipelines that need it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/policies/permissions#set-pipeline-permissions-for-an-individual-agent-pool
-- defender: none
-- azsk: ADO_AgentPool_AuthZ_Dont_Grant_All_Pipelines_Access (High)
-- psrule: none
--
-- Microsoft-hosted pools run each job on a fresh machine, so only self-hosted queues count. A queue
-- whose hosting is unknown falls back on its pool's `is_hosted`, and counts as self-hosted when
-- that is unknown too (never a silent pass). Severity high, as AzSK.
SELECT q.connector, q.organization, q.project_id, q.project,
       CAST(q.queue_id AS STRING) AS resource_id, q.queue AS resource_name,
       'fail' AS result, 'self-hosted queue authorized for all pipelines of the project' AS details
FROM agent_queues q
LEFT JOIN agent_pools p
  ON p.connector = q.connector AND p.organization = q.organization AND p.pool_id = q.pool_id
WHERE q.open_to_all_pipelines AND NOT COALESCE(q.pool_is_hosted, p.is_hosted, false)
UNION ALL
-- Not evaluated: the project's agent queues could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'agent_queues'
