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
-- Counts the people among the effective members of each Project Administrators group (administrator_sizes: users that are not
-- build or service identities, applications or managed identities; nested and Entra groups included). The bound is this
-- file's literal 4: copy the rule into your rules folder to change it. Not evaluated where the groups or users could
-- not be read, or the group's members could not all be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.descriptor AS resource_id, a.principal_name AS resource_name,
       CASE WHEN a.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.members_status = 'read'
            THEN CAST(a.people AS STRING) || ' people are members of Project Administrators, directly or through groups; at most 4 are allowed'
            ELSE 'the members of ' || a.principal_name || ' could not all be read' END AS details
FROM administrator_sizes a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.well_known = 'project_administrators'
  AND (a.members_status <> 'read' OR a.people > 4)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
