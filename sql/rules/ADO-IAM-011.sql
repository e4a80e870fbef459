-- id: ADO-IAM-011
-- title: Project Collection Service Accounts holds no people
-- severity: high
-- resource_kind: user
-- description: A person is a member of Project Collection Service Accounts, which is itself a member of Project Collection Administrators and is meant for service identities only: the person has hidden organization-wide administration.
-- remediation: Organization settings > Permissions > Project Collection Service Accounts: remove every member who is not a service identity.
-- references: https://learn.microsoft.com/azure/devops/organizations/security/look-up-project-collection-administrators
-- defender: none
-- azsk: ADO_Organization_AuthZ_Review_Project_Collection_Service_Accounts (High)
-- psrule: none
--
-- One finding per effective member of Project Collection Service Accounts that is not a build or service identity, an
-- application or a managed identity.
WITH gaps AS (
    SELECT connector, organization, MIN(details) AS details
    FROM identity_gaps
    WHERE resource_kind IN ('groups', 'users')
    GROUP BY connector, organization
),
flagged AS (
    SELECT connector, organization, member_descriptor, MIN(member) AS member, MIN(group_name) AS group_name, COUNT(*) AS n
    FROM administrator_members
    WHERE well_known IN ('project_collection_service_accounts') AND NOT is_service
    GROUP BY connector, organization, member_descriptor
)
SELECT a.connector, a.organization, NULL AS project_id, NULL AS project,
       a.member_descriptor AS resource_id, COALESCE(a.member, a.member_descriptor) AS resource_name,
       'fail' AS result,
       'a person (not a service identity) is a member of ' || a.group_name
         || CASE WHEN a.n > 1 THEN ' and ' || CAST(a.n - 1 AS STRING) || ' more administrators groups' ELSE '' END AS details
FROM flagged a
LEFT JOIN gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.connector IS NULL
UNION ALL
SELECT g.connector, g.organization, g.project_id, g.project,
       g.descriptor AS resource_id, g.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || g.principal_name || ' could not all be read' AS details
FROM groups g
WHERE g.well_known IN ('project_collection_service_accounts') AND g.members_status = 'not_evaluated'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, details
FROM gaps
