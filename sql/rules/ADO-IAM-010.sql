-- id: ADO-IAM-010
-- title: Each project has at most four Project Administrators
-- severity: medium
-- resource_kind: group
-- description: More than four people hold full control of the project, its permissions, pipelines, service connections and repositories.
-- remediation: Project settings > Permissions > Project Administrators: remove the members who do not need to administer the project.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/permissions
-- defender: none
-- azsk: ADO_Project_AuthZ_Limit_Admin_Count (High)
-- psrule: Azure.DevOps.Groups.ProjectAdmins.MaxMembers (ADO-GRP-002)
--
-- Counts the people (users that are not build or service identities, applications or managed identities) among the
-- effective members of each Project Administrators group (group_members through administrator_members, nested and Entra groups included).
-- The bound is this file's literal 4: copy the rule into your rules folder to change it. Not evaluated where the
-- groups or users could not be read, or the group's members could not all be read.
WITH gaps AS (
    SELECT connector, organization, MIN(details) AS details
    FROM identity_gaps
    WHERE resource_kind IN ('groups', 'users')
    GROUP BY connector, organization
),
people AS (
    SELECT connector, organization, group_descriptor, COUNT(*) AS n
    FROM administrator_members
    WHERE well_known = 'project_administrators' AND NOT is_service
    GROUP BY connector, organization, group_descriptor
)
SELECT g.connector, g.organization, g.project_id, g.project,
       g.descriptor AS resource_id, g.principal_name AS resource_name,
       CASE WHEN g.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN g.members_status = 'read'
            THEN CAST(COALESCE(p.n, 0) AS STRING) || ' people are members of Project Administrators, directly or through groups; at most 4 are allowed'
            ELSE 'the members of ' || g.principal_name || ' could not all be read' END AS details
FROM groups g
LEFT JOIN people p
  ON p.connector = g.connector AND p.organization = g.organization AND p.group_descriptor = g.descriptor
LEFT JOIN gaps x ON x.connector = g.connector AND x.organization = g.organization
WHERE x.connector IS NULL AND g.well_known = 'project_administrators'
  AND (g.members_status <> 'read' OR COALESCE(p.n, 0) > 4)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
