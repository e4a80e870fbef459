-- id: ADO-SF-001
-- title: Secure files are not open to all pipelines
-- severity: high
-- resource_kind: secure_file
-- description: The secure file (certificate, signing key, provisioning profile) is authorized for every pipeline of the project, so any pipeline can download it.
-- remediation: Pipelines > Library > Secure files > (file) > Pipeline permissions: remove "Open access" and add only the pipelines that need it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/secure-files
-- defender: Azure DevOps secure files shouldn't grant access to all pipelines (High)
-- azsk: ADO_SecureFile_AuthZ_Dont_Grant_All_Pipelines_Access (High)
-- psrule: none
--
SELECT f.connector, f.organization, f.project_id, f.project,
       f.secure_file_id AS resource_id, f.secure_file AS resource_name,
       'fail' AS result, 'authorized for all pipelines of the project' AS details
FROM secure_files f
WHERE f.open_to_all_pipelines
UNION ALL
-- Not evaluated: the project's secure files could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'secure_files'
