-- view: administrator_people
-- description: One row per person or account in the administrators groups of one level (the organization's, or one project's): `group_count` (how many of that level's administrators groups it is in), `first_group` (one of them, by name), and its flags. What the rules on guests and inactive administrators judge, one finding per account and level.
SELECT connector, organization, level, project_id, project, member_descriptor,
       MIN(COALESCE(member, member_descriptor)) AS member,
       MIN(group_name) AS first_group, COUNT(*) AS group_count,
       is_guest, is_service, inactive
FROM administrator_members
GROUP BY connector, organization, level, project_id, project, member_descriptor, is_guest, is_service, inactive
