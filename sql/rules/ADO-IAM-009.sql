-- id: ADO-IAM-009
-- title: Each project has at least two Project Administrators
-- severity: low
-- resource_kind: group
-- description: Fewer than two people administer the project: when that account is unavailable, nobody in the project can manage its permissions, pipelines or repositories.
-- remediation: Project settings > Permissions > Project Administrators: add a second trusted administrator.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/permissions
-- defender: none
-- azsk: ADO_Project_BCDR_Min_Admin_Count (Medium)
-- psrule: Azure.DevOps.Groups.ProjectAdmins.MinMembers (ADO-GRP-001)
--
-- Counts the people (users that are not build or service identities, applications or managed identities) among the
-- effective members of each Project Administrators group (group_members through administrator_members, nested and Entra groups included).
-- The bound is this file's literal 2: copy the rule into your rules folder to change it. Not evaluated where the
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
            THEN CAST(COALESCE(p.n, 0) AS STRING) || ' people are members of Project Administrators, directly or through groups; at least 2 are needed'
            ELSE 'the members of ' || g.principal_name || ' could not all be read' END AS details
FROM groups g
LEFT JOIN people p
  ON p.connector = g.connector AND p.organization = g.organization AND p.group_descriptor = g.descriptor
LEFT JOIN gaps x ON x.connector = g.connector AND x.organization = g.organization
WHERE x.connector IS NULL AND g.well_known = 'project_administrators'
  AND (g.members_status <> 'read' OR COALESCE(p.n, 0) < 2)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
