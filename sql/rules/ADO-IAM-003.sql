-- id: ADO-IAM-003
-- title: No guest is an organization administrator
-- severity: high
-- resource_kind: user
-- description: An external (B2B guest) account is a member of Project Collection Administrators, Project Collection Build Administrators or Project Collection Service Accounts: someone outside the tenant, under another organization's sign-in policies, controls the whole organization.
-- remediation: Organization settings > Permissions: remove the guest from the group (or convert the person to a member account of your tenant).
-- references: https://learn.microsoft.com/azure/devops/organizations/security/security-best-practices#scope-permissions
-- defender: none
-- azsk: ADO_Organization_AuthZ_Revoke_Admin_Access_for_Guest_Users (High)
-- psrule: none
--
-- One finding per guest (users.is_guest: metaType guest, or #EXT# in the alias, since an invited guest has no metaType) among
-- the effective members of the organization's administrators groups. Not evaluated where groups or users could not be read.
WITH gaps AS (
    SELECT connector, organization, MIN(details) AS details
    FROM identity_gaps
    WHERE resource_kind IN ('groups', 'users')
    GROUP BY connector, organization
),
flagged AS (
    SELECT connector, organization, member_descriptor, MIN(member) AS member, MIN(group_name) AS group_name, COUNT(*) AS n
    FROM administrator_members
    WHERE well_known IN ('project_collection_administrators', 'project_collection_build_administrators', 'project_collection_service_accounts') AND is_guest
    GROUP BY connector, organization, member_descriptor
)
SELECT a.connector, a.organization, NULL AS project_id, NULL AS project,
       a.member_descriptor AS resource_id, COALESCE(a.member, a.member_descriptor) AS resource_name,
       'fail' AS result,
       'a guest (external) user is a member of ' || a.group_name
         || CASE WHEN a.n > 1 THEN ' and ' || CAST(a.n - 1 AS STRING) || ' more administrators groups' ELSE '' END AS details
FROM flagged a
LEFT JOIN gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.connector IS NULL
UNION ALL
SELECT g.connector, g.organization, g.project_id, g.project,
       g.descriptor AS resource_id, g.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || g.principal_name || ' could not all be read' AS details
FROM groups g
WHERE g.well_known IN ('project_collection_administrators', 'project_collection_build_administrators', 'project_collection_service_accounts') AND g.members_status = 'not_evaluated'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
