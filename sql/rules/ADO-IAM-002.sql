-- id: ADO-IAM-002
-- title: Project Collection Administrators has at most six people
-- severity: high
-- resource_kind: group
-- description: More than six people hold full control of the organization (every project, policy, permission and credential); each one is an account whose compromise compromises everything.
-- remediation: Organization settings > Permissions > Project Collection Administrators: remove the members who do not need organization-wide administration; grant narrower roles instead.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/look-up-project-collection-administrators
-- defender: none
-- azsk: ADO_Organization_AuthZ_Limit_Admin_Count (High)
-- psrule: none
--
-- Counts the people among the effective members of each Project Collection Administrators group (administrator_sizes: users that are not
-- build or service identities, applications or managed identities; nested and Entra groups included). The bound is this
-- file's literal 6: copy the rule into your rules folder to change it. Not evaluated where the groups or users could
-- not be read, or the group's members could not all be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.descriptor AS resource_id, a.principal_name AS resource_name,
       CASE WHEN a.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.members_status = 'read'
            THEN CAST(a.people AS STRING) || ' people are members of Project Collection Administrators, directly or through groups; at most 6 are allowed'
            ELSE 'the members of ' || a.principal_name || ' could not all be read' END AS details
FROM administrator_sizes a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.well_known = 'project_collection_administrators'
  AND (a.members_status <> 'read' OR a.people > 6)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
