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
-- One finding per (project, guest) among the effective members of the project's administrators groups.
WITH gaps AS (
    SELECT connector, organization, MIN(details) AS details
    FROM identity_gaps
    WHERE resource_kind IN ('groups', 'users')
    GROUP BY connector, organization
),
flagged AS (
    SELECT connector, organization, project_id, project, member_descriptor, MIN(member) AS member, MIN(group_name) AS group_name, COUNT(*) AS n
    FROM administrator_members
    WHERE well_known IN ('project_administrators', 'build_administrators', 'endpoint_administrators', 'release_administrators') AND is_guest
    GROUP BY connector, organization, project_id, project, member_descriptor
)
SELECT a.connector, a.organization, a.project_id, a.project,
       a.project_id || ' ' || a.member_descriptor AS resource_id, COALESCE(a.member, a.member_descriptor) AS resource_name,
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
WHERE g.well_known IN ('project_administrators', 'build_administrators', 'endpoint_administrators', 'release_administrators') AND g.members_status = 'not_evaluated'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
