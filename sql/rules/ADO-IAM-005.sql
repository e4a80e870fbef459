-- id: ADO-IAM-005
-- title: No inactive account is an organization administrator
-- severity: high
-- resource_kind: user
-- description: An account that has not signed in for more than 90 days (or never, 90 days after it was added) is still a member of an organization administrators group: an unwatched account with full control.
-- remediation: Organization settings > Permissions: remove the account from the group; Organization settings > Users: remove it if nobody uses it.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/delete-organization-users
-- defender: none
-- azsk: ADO_Organization_AuthZ_Revoke_Admin_Access_for_Inactive_Users (High)
-- psrule: none
--
-- One finding per account among the effective members of the organization's administrators groups (Project Collection
-- Administrators, Project Collection Build Administrators, Project Collection Service Accounts), from administrator_people.
-- Inactive as account_activity defines it. Not evaluated where groups, users or entitlements could not be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.member_descriptor AS resource_id, a.member AS resource_name, 'fail' AS result,
       'an account inactive for over 90 days is a member of ' || a.first_group
         || CASE WHEN a.group_count > 1 THEN ' and ' || CAST(a.group_count - 1 AS STRING) || ' more administrators groups' ELSE '' END AS details
FROM administrator_people a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND x.entitlements IS NULL AND a.level = 'organization' AND a.inactive
UNION ALL
SELECT s.connector, s.organization, s.project_id, s.project,
       s.descriptor AS resource_id, s.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || s.principal_name || ' could not all be read' AS details
FROM administrator_sizes s
WHERE s.level = 'organization' AND s.members_status <> 'read'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, entitlements) AS details
FROM identity_gaps
WHERE COALESCE(graph, entitlements) IS NOT NULL
