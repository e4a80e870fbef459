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
-- Counts the people among the effective members of each Project Collection Administrators group (administrator_sizes: users that are not
-- build or service identities, applications or managed identities; nested and Entra groups included). The bound is this
-- file's literal 2: copy the rule into your rules folder to change it. Not evaluated where the groups or users could
-- not be read, or the group's members could not all be read.
SELECT a.connector, a.organization, a.project_id, a.project,
       a.descriptor AS resource_id, a.principal_name AS resource_name,
       CASE WHEN a.members_status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN a.members_status = 'read'
            THEN CAST(a.people AS STRING) || ' people are members of Project Collection Administrators, directly or through groups; at least 2 are needed'
            ELSE 'the members of ' || a.principal_name || ' could not all be read' END AS details
FROM administrator_sizes a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.well_known = 'project_collection_administrators'
  AND (a.members_status <> 'read' OR a.people < 2)
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
