-- id: ADO-PIPE-003
-- title: Pipelines are defined in YAML, not the classic designer
-- severity: low
-- resource_kind: pipeline
-- description: The pipeline is a classic (designer) build definition: its steps are not versioned and reviewed with the code, and it cannot use templates or most protections of YAML pipelines.
-- remediation: Pipeline > Edit > ... > Export to YAML, commit the file to the repository, create a YAML pipeline from it, then disable and delete the classic definition.
-- references: https://learn.microsoft.com/azure/devops/pipelines/release/from-classic-pipelines
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Pipelines.Core.UseYamlDefinition (Important)
--
SELECT p.connector, p.organization, p.project_id, p.project,
       p.project_id || '/' || CAST(p.pipeline_id AS STRING) AS resource_id, p.pipeline AS resource_name,
       'fail' AS result,
       'defined in the classic designer (process type 1)' AS details
FROM pipelines p
WHERE p.process_type = 1
UNION ALL
-- Not evaluated: the project's pipelines could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'pipelines'
