-- id: ADO-TOX-006
-- title: Secure files open to all pipelines are not reachable from fork builds that get secrets
-- severity: critical
-- resource_kind: secure_file
-- description: Attack path across resources. The secure file (a signing certificate or key) is open to every pipeline of a project whose fork builds get secrets: a fork's author downloads it in a modified pipeline and signs with it. ADO-SF-001 and ADO-PIPE-001 each see one side.
-- remediation: Stop making secrets available to fork builds; remove "Open access" from the secure file (Library > Secure files > (file) > Pipeline permissions) and authorize the pipelines that need it.
-- references: https://learn.microsoft.com/azure/devops/pipelines/library/secure-files, https://learn.microsoft.com/azure/devops/pipelines/security/repos#forks
-- defender: none
-- azsk: none (a combination of ADO_SecureFile_AuthZ_Dont_Grant_All_Pipelines_Access and ADO_Build_DP_Dont_Make_Secrets_Available_To_Forked_Builds)
-- psrule: none
--
SELECT f.connector, f.organization, f.project_id, f.project,
       f.secure_file_id AS resource_id, f.secure_file AS resource_name,
       'fail' AS result,
       'open to all pipelines of a project whose fork builds get secrets' AS details
FROM secure_files f
WHERE f.open_to_all_pipelines
  AND f.project_id IN (SELECT project_id FROM pipeline_fork_exposure WHERE fork_secrets)
