-- view: administrator_members
-- description: One row per (administrators group, effective user member) with the member's flags from account_activity (`is_guest`, `is_service`, `inactive`; false when the user is unknown) and the group's `level`: `organization` (Project Collection Administrators, Project Collection Build Administrators, Project Collection Service Accounts) or `project` (Project Administrators, Build, Endpoint and Release Administrators).
SELECT m.connector, m.organization, m.project_id, m.project, m.group_descriptor, m.group_name,
       m.well_known,
       CASE WHEN m.project_id IS NULL THEN 'organization' ELSE 'project' END AS level,
       m.member_descriptor, m.member,
       COALESCE(u.is_guest, false) AS is_guest,
       COALESCE(u.is_service, false) AS is_service,
       COALESCE(u.inactive, false) AS inactive
FROM group_members m
LEFT JOIN account_activity u
  ON u.connector = m.connector AND u.organization = m.organization AND u.descriptor = m.member_descriptor
WHERE m.member_kind = 'user'
