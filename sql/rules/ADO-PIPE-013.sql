-- id: ADO-PIPE-013
-- title: Status badges are private
-- severity: low
-- resource_kind: project
-- description: Pipeline status badges of the project can be read anonymously, which discloses pipeline names and results.
-- remediation: Project settings > Pipelines > Settings: turn on "Disable anonymous access to badges" (statusBadgesArePrivate).
-- references: AzSK: ADO_Project_DP_Disable_Anonymous_Access_To_Badges | PSRule: Azure.ADO.Project.PrivateBadges | https://learn.microsoft.com/azure/devops/pipelines/create-first-pipeline#add-a-status-badge-to-your-repository
--
-- One row per project in pipeline_settings: fails when read and off, not evaluated when the
-- settings could not be read (403, or no such API on Azure DevOps Server).
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'status badges can be read anonymously'
            ELSE 'pipeline settings could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM pipeline_settings
WHERE status <> 'read' OR NOT (COALESCE(status_badges_are_private, false))
