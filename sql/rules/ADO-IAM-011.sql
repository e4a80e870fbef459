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
-- application or a managed identity (administrator_members).
SELECT a.connector, a.organization, NULL AS project_id, NULL AS project,
       a.member_descriptor AS resource_id, COALESCE(a.member, a.member_descriptor) AS resource_name, 'fail' AS result,
       'a person (not a service identity) is a member of ' || a.group_name AS details
FROM administrator_members a
LEFT JOIN identity_gaps x ON x.connector = a.connector AND x.organization = a.organization
WHERE x.graph IS NULL AND a.well_known = 'project_collection_service_accounts' AND NOT a.is_service
UNION ALL
SELECT s.connector, s.organization, s.project_id, s.project,
       s.descriptor AS resource_id, s.principal_name AS resource_name,
       'not_evaluated' AS result, 'the members of ' || s.principal_name || ' could not all be read' AS details
FROM administrator_sizes s
WHERE s.well_known = 'project_collection_service_accounts' AND s.members_status <> 'read'
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, graph AS details
FROM identity_gaps
WHERE graph IS NOT NULL
