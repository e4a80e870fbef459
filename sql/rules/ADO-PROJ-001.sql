-- id: ADO-PROJ-001
-- title: Projects are private
-- severity: high
-- resource_kind: project
-- description: The project is public: its code, pipelines, logs and work items can be read by anyone on the internet, without signing in.
-- remediation: Project settings > Overview > Visibility: set it to Private (and keep Organization settings > Policies > "Allow public projects" off).
-- references: AzSK: ADO_Project_DP_Set_Visibility_Private | PSRule: Azure.ADO.Project.Visibility | https://learn.microsoft.com/azure/devops/organizations/projects/make-project-public
--
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'fail' AS result, 'visibility is public' AS details
FROM projects
WHERE visibility = 'public'
