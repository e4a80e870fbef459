-- id: ADO-IAM-004
-- title: No guest is a project administrator
-- severity: high
-- resource_kind: user
-- description: An external (B2B guest) account is a member of Project Administrators, Build Administrators, Endpoint Administrators or Release Administrators of the project.
-- remediation: Project settings > Permissions: remove the guest from the group.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/security-best-practices#scope-permissions
-- defender: none
-- azsk: ADO_Project_AuthZ_Revoke_Admin_Access_for_Guest_Users (High)
-- psrule: none
--
-- One finding per (project, account) among the effective members of the project's administrators groups (Project
-- Administrators, Build, Endpoint and Release Administrators), from administrator_people. Not evaluated where groups or users could not be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.project_id || ' ' || a.member_descriptor AS resource_id, a.member AS resource_name, 'fail' AS result,
       'a guest (external) user is a member of ' || a.first_group
         || CASE WHEN a.group_count > 1 THEN ' and ' || CAST(a.group_count - 1 AS STRING) || ' more administrators groups' ELSE '' END AS details
FROM administrator_people a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.level = 'project' AND a.is_guest
UNION ALL
SELECT s.connector, s.organization, s.project_id, s.project,
       s.descriptor AS resource_id, s.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || s.principal_name || ' could not all be read' AS details
FROM administrator_sizes s
WHERE s.level = 'project' AND s.members_status <> 'read'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
