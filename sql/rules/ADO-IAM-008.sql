-- id: ADO-IAM-008
-- title: Inactive guests are removed
-- severity: medium
-- resource_kind: user
-- description: An external (B2B guest) account has not signed in for more than 90 days (or never, 90 days after it was invited) and still has access to the organization.
-- remediation: Organization settings > Users: remove the guest.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/delete-organization-users
-- defender: none
-- azsk: ADO_Organization_AuthZ_Remove_Inactive_Guest_Users (Medium)
-- psrule: none
--
-- Inactive as account_activity defines it; any access level. Not evaluated where users, groups or entitlements could not
-- be read.
SELECT u.connector, u.organization, NULL AS project_id, NULL AS project,
       u.descriptor AS resource_id, COALESCE(u.principal_name, u.descriptor) AS resource_name,
       'fail' AS result,
       CASE WHEN u.never_signed_in
            THEN 'never signed in, added ' || CAST(u.days_since_created AS STRING) || ' days ago'
            ELSE 'last signed in ' || CAST(u.days_since_last_access AS STRING) || ' days ago' END AS details
FROM account_activity u
LEFT JOIN identity_gaps x ON x.connector = u.connector AND x.organization = u.organization
WHERE x.graph IS NULL AND x.entitlements IS NULL AND u.inactive AND u.is_guest
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, entitlements) AS details
FROM identity_gaps
WHERE COALESCE(graph, entitlements) IS NOT NULL
