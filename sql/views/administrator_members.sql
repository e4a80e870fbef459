-- view: administrator_members
-- description: One row per (administrators group, effective user member) with the member's flags: `is_guest`, `is_service` (build or service identity, application, managed identity) and `inactive` (last sign-in more than 90 days before the crawl, or never signed in and added more than 90 days before it; false when unknown). What the identity rules on administrators judge.
SELECT m.connector, m.organization, m.project_id, m.project, m.group_descriptor, m.group_name,
       m.well_known, m.member_descriptor, m.member,
       COALESCE(u.is_guest, false) AS is_guest,
       COALESCE(u.is_service, false) AS is_service,
       CASE WHEN u.days_since_last_access > 90 THEN true
            WHEN COALESCE(u.never_signed_in, false) AND u.days_since_created > 90 THEN true
            ELSE false END AS inactive
FROM group_members m
LEFT JOIN users u
  ON u.connector = m.connector AND u.organization = m.organization AND u.descriptor = m.member_descriptor
WHERE m.member_kind = 'user'
