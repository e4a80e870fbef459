-- id: ADO-IAM-001
-- title: Project Collection Administrators has at least two people
-- severity: medium
-- resource_kind: group
-- description: Fewer than two people administer the organization: when that one account is lost, locked out or leaves, nobody can manage security, policies or billing.
-- remediation: Organization settings > Permissions > Project Collection Administrators: add a second trusted administrator (a dedicated admin account).
-- references: https://learn.microsoft.com/azure/devops/organizations/security/look-up-project-collection-administrators
-- defender: none
-- azsk: ADO_Organization_BCDR_Min_Admin_Count (Medium)
-- psrule: none
--
-- Counts the people (users that are not build or service identities, applications or managed identities) among the
-- effective members of each Project Collection Administrators group (group_members through administrator_members, nested and Entra groups included).
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
    WHERE well_known = 'project_collection_administrators' AND NOT is_service
    GROUP BY connector, organization, group_descriptor
)
SELECT g.connector, g.organization, g.project_id, g.project,
       g.descriptor AS resource_id, g.principal_name AS resource_name,
       CASE WHEN g.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN g.members_status = 'read'
            THEN CAST(COALESCE(p.n, 0) AS STRING) || ' people are members of Project Collection Administrators, directly or through groups; at least 2 are needed'
            ELSE 'the members of ' || g.principal_name || ' could not all be read' END AS details
FROM groups g
LEFT JOIN people p
  ON p.connector = g.connector AND p.organization = g.organization AND p.group_descriptor = g.descriptor
LEFT JOIN gaps x ON x.connector = g.connector AND x.organization = g.organization
WHERE x.connector IS NULL AND g.well_known = 'project_collection_administrators'
  AND (g.members_status <> 'read' OR COALESCE(p.n, 0) < 2)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
