-- id: ADO-SF-002
-- title: Secure files have an approval or check
-- severity: medium
-- resource_kind: secure_file
-- description: The secure file (certificate, signing key, provisioning profile) has no approval and no real check (an exclusive lock does not count), so any pipeline authorized to use it can download it from any branch without a human or automated gate.
-- remediation: Pipelines > Library > Secure files > (file) > Approvals and checks: add a Branch control check (only protected branches, with "Verify branch protection"), or an Approval.
-- references: https://learn.microsoft.com/azure/devops/pipelines/process/approvals
-- defender: none
-- azsk: ADO_SecureFile_AuthZ_Enable_Branch_Control (Medium; closest: it asks for a branch control check in particular, this rule accepts any check)
-- psrule: none
--
-- Checks on the file (resource type `securefile`, id the file id) count except ExclusiveLock
-- (2ef31ad6-baa0-403a-8b45-2cbc9b4e5563); types compared case-insensitively.
SELECT f.connector, f.organization, f.project_id, f.project,
       f.secure_file_id AS resource_id, f.secure_file AS resource_name,
       'fail' AS result, 'has no approval or check' AS details
FROM secure_files f
WHERE f.project_id || '/' || LOWER(f.secure_file_id) NOT IN (
      SELECT project_id || '/' || LOWER(resource_id) FROM checks
      WHERE LOWER(resource_type) = 'securefile' AND LOWER(check_type_id) <> '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563')
  AND f.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'checks' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's checks could not be read.
SELECT f.connector, f.organization, f.project_id, f.project,
       f.secure_file_id AS resource_id, f.secure_file AS resource_name,
       'not_evaluated' AS result, 'checks could not be read: ' || c.status || COALESCE(' (' || c.reason || ')', '') AS details
FROM secure_files f
JOIN crawl_coverage c
  ON c.connector = f.connector AND c.organization = f.organization AND c.project_id = f.project_id
WHERE c.resource_kind = 'checks' AND c.status <> 'read'
UNION ALL
-- Not evaluated: the project's secure files could not be read.
SELECT connector, organization, project_id, project, resource_id, resource_name, result, details
FROM unread_resource_kinds
WHERE resource_kind = 'secure_files'
