-- id: ADO-REPO-016
-- title: Repositories are not open to all pipelines
-- severity: medium
-- resource_kind: repository
-- description: The repository is authorized for every pipeline of its project, so any pipeline (including one a contributor creates) can check it out with the job token.
-- remediation: Project settings > Repositories > (repository) > Security > Pipeline permissions: remove "Open access" and add only the pipelines that need the repository.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/repository-resource#protect-repository-resources
-- defender: none
-- azsk: ADO_Repository_AuthZ_Dont_Grant_All_Pipelines_Access (Medium)
-- psrule: none
--
-- Evaluated where the connector reads detailed pipeline permissions (`detailed_pipeline_permissions`,
-- one call per repository); elsewhere `open_to_all_pipelines` is null and the rule reports nothing.
SELECT connector, organization, project_id, project,
       repository_id AS resource_id, repository AS resource_name,
       'fail' AS result, 'authorized for all pipelines of the project' AS details
FROM repositories
WHERE open_to_all_pipelines AND NOT is_disabled
