-- id: ADO-PROJ-001
-- title: Projects are private
-- severity: high
-- resource_kind: project
-- description: The project is public: its code, pipelines, logs and work items can be read by anyone on the internet, without signing in.
-- remediation: Project settings > Overview > Visibility: set it to Private (and keep Organization settings > Policies > "Allow public projects" off).
-- references: https://learn.microsoft.com/azure/devops/organizations/projects/make-project-public
-- defender: none
-- azsk: ADO_Project_AuthZ_Set_Visibility_Private_Or_Enterprise (High)
-- psrule: Azure.DevOps.Project.Visibility (Critical)
--
SELECT connector, organization, project_id, project,
       project_id AS resource_id, project AS resource_name,
       'fail' AS result, 'visibility is public' AS details
FROM projects
WHERE LOWER(visibility) = 'public'
