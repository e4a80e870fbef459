-- id: ADO-IAM-006
-- title: No inactive account is a project administrator
-- severity: medium
-- resource_kind: user
-- description: An account that has not signed in for more than 90 days (or never, 90 days after it was added) is still a member of a project administrators group.
-- remediation: Project settings > Permissions: remove the account from the group.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/delete-organization-users
-- defender: none
-- azsk: ADO_Project_AuthZ_Revoke_Admin_Access_for_Inactive_Users (Medium)
-- psrule: none
--
-- One finding per (project, account) among the effective members of the project's administrators groups (Project
-- Administrators, Build, Endpoint and Release Administrators), from administrator_people.
-- Inactive as account_activity defines it. Not evaluated where groups, users or entitlements could not be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.project_id || ' ' || a.member_descriptor AS resource_id, a.member AS resource_name, 'fail' AS result,
       'an account inactive for over 90 days is a member of ' || a.first_group
         || CASE WHEN a.group_count > 1 THEN ' and ' || CAST(a.group_count - 1 AS STRING) || ' more administrators groups' ELSE '' END AS details
FROM administrator_people a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND x.entitlements IS NULL AND a.level = 'project' AND a.inactive
UNION ALL
SELECT s.connector, s.organization, s.project_id, s.project,
       s.descriptor AS resource_id, s.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || s.principal_name || ' could not all be read' AS details
FROM administrator_sizes s
WHERE s.level = 'project' AND s.members_status <> 'read'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, entitlements) AS details
FROM identity_gaps
WHERE COALESCE(graph, entitlements) IS NOT NULL
