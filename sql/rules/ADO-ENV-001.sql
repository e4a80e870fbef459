-- id: ADO-ENV-001
-- title: Environments are not open to all pipelines
-- severity: medium
-- resource_kind: environment
-- description: The environment is authorized for every pipeline of the project, so any pipeline can deploy to it.
-- remediation: Pipelines > Environments > (environment) > ... > Security > Pipeline permissions: remove "Open access" and add only the pipelines that deploy to it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/environments#security
-- defender: none
-- azsk: ADO_Environment_AuthZ_Dont_Grant_All_Pipelines_Access (High)
-- psrule: none
--
SELECT e.connector, e.organization, e.project_id, e.project,
       CAST(e.environment_id AS STRING) AS resource_id, e.environment AS resource_name,
       CASE WHEN e.open_to_all_pipelines IS NULL THEN 'not_evaluated' ELSE 'fail' END AS result,
       CASE WHEN e.open_to_all_pipelines IS NULL
            THEN 'pipeline permissions could not be read' || COALESCE(': ' || e.permissions_reason, '')
            ELSE 'authorized for all pipelines of the project' END AS details
FROM environments e
WHERE e.open_to_all_pipelines IS NULL OR e.open_to_all_pipelines
UNION ALL
-- Not evaluated: the project's environments could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'environments'
