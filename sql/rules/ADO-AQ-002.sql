-- id: ADO-AQ-002
-- title: Self-hosted agent pools are not provisioned into every project
-- severity: medium
-- resource_kind: agent_pool
-- description: The self-hosted agent pool is auto-provisioned (autoProvision): every new project gets a queue to it, so pipelines of projects nobody reviewed can run on those machines.
-- remediation: Organization settings > Agent pools > (pool) > Settings: turn off "Auto-provision this agent pool in all projects", then remove the pool's queue from the projects that should not use it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/agents/pools-queues#pool-settings
-- defender: none
-- azsk: ADO_AgentPool_AuthZ_Dont_Enable_Auto_Provisioning (High)
-- psrule: none
--
-- Pools are organization-wide: the finding names the pool (no project). Microsoft-hosted pools are
-- provisioned everywhere by design and pass.
SELECT connector, organization, NULL AS project_id, NULL AS project,
       CAST(pool_id AS STRING) AS resource_id, pool AS resource_name,
       'fail' AS result, 'self-hosted pool auto-provisioned into every project' AS details
FROM agent_pools
WHERE auto_provision AND NOT COALESCE(is_hosted, false)
