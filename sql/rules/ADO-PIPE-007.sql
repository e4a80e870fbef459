-- id: ADO-PIPE-007
-- title: Creation of classic pipelines is disabled
-- severity: high
-- resource_kind: project
-- description: The project still allows creating classic build or classic release pipelines (disableClassicBuildPipelineCreation, disableClassicReleasePipelineCreation, neither set by the project nor the organization), which bypass the protections of YAML pipelines (templates, checks, reviewed definitions).
-- remediation: Project settings > Pipelines > Settings: turn on "Disable creation of classic build pipelines" and "Disable creation of classic release pipelines" (also available for the whole organization under Organization settings > Pipelines > Settings).
-- references: https://learn.microsoft.com/azure/devops/pipelines/release/disable-classic-pipelines
-- defender: Azure DevOps projects should have creation of classic pipelines disabled (High)
-- azsk: ADO_Project_DP_Disable_Creation_Of_Classic_Pipeline (Medium)
-- psrule: none
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'creation of classic build or release pipelines is allowed' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (classic_build_creation_disabled AND classic_release_creation_disabled)
