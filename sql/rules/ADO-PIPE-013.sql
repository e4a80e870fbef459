-- id: ADO-PIPE-013
-- title: Status badges are private
-- severity: low
-- resource_kind: project
-- description: Pipeline status badges of the project can be read anonymously, which discloses pipeline names and results.
-- remediation: Project settings > Pipelines > Settings: turn on "Disable anonymous access to badges" (statusBadgesArePrivate).
-- references: https://learn.microsoft.com/azure/devops/pipelines/create-first-pipeline#add-a-status-badge-to-your-repository
-- defender: none
-- azsk: ADO_Project_DP_Disable_Anonymous_Access_To_Badges (Low)
-- psrule: Azure.DevOps.Pipelines.Settings.StatusBadgesPrivate (Severe)
--
-- Reads effective_pipeline_settings (sql/views/): the project's value, or the organization's when
-- it enforces the setting. Not evaluated where the project's settings could not be read and the
-- organization does not enforce it.
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read'
            THEN 'status badges can be read anonymously' || CASE WHEN org_read THEN ' (project and organization)' ELSE ' (the settings of the organization could not be read)' END
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM effective_pipeline_settings
WHERE NOT (status_badges_are_private)
