-- id: ADO-PIPE-007
-- title: Creation of classic pipelines is disabled
-- severity: high
-- resource_kind: project
-- description: The project still allows creating classic build and release pipelines, which bypass the protections of YAML pipelines (templates, checks, reviewed definitions).
-- remediation: Project settings > Pipelines > Settings: turn on "Disable creation of classic build pipelines" and "Disable creation of classic release pipelines" (also available for the whole organization under Organization settings > Pipelines > Settings).
-- references: Defender for Cloud: Azure DevOps projects should have creation of classic pipelines disabled | https://learn.microsoft.com/azure/devops/pipelines/release/disable-classic-pipelines
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'classic pipeline creation is allowed'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(disable_classic_pipeline_creation, false))
