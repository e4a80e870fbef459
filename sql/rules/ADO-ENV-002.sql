-- id: ADO-ENV-002
-- title: Environments require an approval
-- severity: medium
-- resource_kind: environment
-- description: No Approval check is configured on the environment, so a pipeline authorized to use it deploys without a person signing off.
-- remediation: Pipelines > Environments > (environment) > ... > Approvals and checks > + > Approvals: add the approvers (and keep "Allow approvers to approve their own runs" off).
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals#approvals
-- defender: none
-- azsk: ADO_Environment_AuthZ_Enable_PreDeployment_Approval (High)
-- psrule: Azure.DevOps.Pipelines.Environments.ProductionHumanApproval (Severe)
--
-- Approvals that let the requester approve their own run are ADO-CHK-001's finding, not this one's.
SELECT e.connector, e.organization, e.project_id, e.project,
       CAST(e.environment_id AS STRING) AS resource_id, e.environment AS resource_name,
       'fail' AS result, 'no approval check' AS details
FROM environments e
WHERE e.project_id || '/' || CAST(e.environment_id AS STRING) NOT IN (
      SELECT project_id || '/' || resource_id FROM checks
      WHERE LOWER(resource_type) = 'environment' AND LOWER(check_type_id) = '8c6f20a7-a545-4486-9777-f762fafe0d4d')
  AND e.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'checks' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's checks could not be read.
SELECT e.connector, e.organization, e.project_id, e.project,
       CAST(e.environment_id AS STRING) AS resource_id, e.environment AS resource_name,
       'not_evaluated' AS result, 'checks could not be read: ' || g.status || COALESCE(' (' || g.reason || ')', '') AS details
FROM environments e
JOIN crawl_coverage g
  ON g.connector = e.connector AND g.organization = e.organization AND g.project_id = e.project_id
WHERE g.resource_kind = 'checks' AND g.status <> 'read'
UNION ALL
-- Not evaluated: the project's environments could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'environments'
