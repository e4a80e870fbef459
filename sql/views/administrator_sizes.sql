-- view: administrator_sizes
-- description: One row per administrators group: `level` (as in administrator_members), `people` (effective members that are people, not build or service identities, applications or managed identities), `members_status` (`read`, or `not_evaluated` when the group or a group nested in it could not be read). What the rules on how many administrators there are judge.
WITH people AS (
    SELECT connector, organization, group_descriptor, COUNT(*) AS n
    FROM administrator_members
    WHERE NOT is_service
    GROUP BY connector, organization, group_descriptor
)
SELECT g.connector, g.organization, g.project_id, g.project, g.descriptor, g.principal_name,
       g.well_known, CASE WHEN g.project_id IS NULL THEN 'organization' ELSE 'project' END AS level,
       g.members_status, COALESCE(p.n, 0) AS people
FROM groups g
LEFT JOIN people p
  ON p.connector = g.connector AND p.organization = g.organization AND p.group_descriptor = g.descriptor
WHERE g.members_status <> 'not_expanded'
