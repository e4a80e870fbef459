-- id: ADO-AQ-003
-- title: Self-hosted agent queues have an approval or check
-- severity: medium
-- resource_kind: agent_queue
-- description: The project's queue of a self-hosted agent pool has no approval and no real check (an exclusive lock does not count), so any pipeline authorized to use it runs code on those machines, from any branch, without a human or automated gate.
-- remediation: Project settings > Agent pools > (pool) > ... > Approvals and checks: add a Branch control check (only protected branches), or an Approval, for the pool's queue.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals
-- defender: none
-- azsk: ADO_AgentPool_AuthZ_Enable_Branch_Control (Medium; closest: it asks for a branch control check in particular, this rule accepts any check)
-- psrule: none
--
-- Microsoft-hosted pools run each job on a fresh machine, so only self-hosted queues count; hosting
-- as in ADO-AQ-001 (unknown counts as self-hosted). Checks on the queue (resource type `queue`, id
-- the queue id) count except ExclusiveLock (2ef31ad6-baa0-403a-8b45-2cbc9b4e5563); types compared
-- case-insensitively.
SELECT q.connector, q.organization, q.project_id, q.project,
       CAST(q.queue_id AS STRING) AS resource_id, q.queue AS resource_name,
       'fail' AS result, 'self-hosted queue without an approval or check' AS details
FROM agent_queues q
LEFT JOIN agent_pools p
  ON p.connector = q.connector AND p.organization = q.organization AND p.pool_id = q.pool_id
WHERE NOT COALESCE(q.pool_is_hosted, p.is_hosted, false)
  AND q.project_id || '/' || CAST(q.queue_id AS STRING) NOT IN (
      SELECT project_id || '/' || resource_id FROM checks
      WHERE LOWER(resource_type) = 'queue' AND LOWER(check_type_id) <> '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563')
  AND q.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'checks' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's checks could not be read.
SELECT q.connector, q.organization, q.project_id, q.project,
       CAST(q.queue_id AS STRING) AS resource_id, q.queue AS resource_name,
       'not_evaluated' AS result, 'checks could not be read: ' || g.status || COALESCE(' (' || g.reason || ')', '') AS details
FROM agent_queues q
LEFT JOIN agent_pools p
  ON p.connector = q.connector AND p.organization = q.organization AND p.pool_id = q.pool_id
JOIN crawl_coverage g
  ON g.connector = q.connector AND g.organization = q.organization AND g.project_id = q.project_id
WHERE NOT COALESCE(q.pool_is_hosted, p.is_hosted, false) AND g.resource_kind = 'checks' AND g.status <> 'read'
UNION ALL
-- Not evaluated: the project's agent queues could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'agent_queues'
