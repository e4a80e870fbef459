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
-- Counts the people among the effective members of each Project Administrators group (administrator_sizes: users that are not
-- build or service identities, applications or managed identities; nested and Entra groups included). The bound is this
-- file's literal 2: copy the rule into your rules folder to change it. Not evaluated where the groups or users could
-- not be read, or the group's members could not all be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.descriptor AS resource_id, a.principal_name AS resource_name,
       CASE WHEN a.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.members_status = 'read'
            THEN CAST(a.people AS STRING) || ' people are members of Project Administrators, directly or through groups; at least 2 are needed'
            ELSE 'the members of ' || a.principal_name || ' could not all be read' END AS details
FROM administrator_sizes a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.well_known = 'project_administrators'
  AND (a.members_status <> 'read' OR a.people < 2)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
