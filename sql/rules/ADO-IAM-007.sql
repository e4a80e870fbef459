-- id: ADO-IAM-007
-- title: Inactive users do not keep paid access
-- severity: low
-- resource_kind: user
-- description: A user who has not signed in for more than 90 days (or never, 90 days after being added) still holds Basic (or better) access: a dormant account with write access to code and pipelines, and a licence paid for nothing.
-- remediation: Organization settings > Users: remove the user, or change the access level to Stakeholder until they need it again.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/delete-organization-users
-- defender: none
-- azsk: ADO_Organization_AuthZ_Review_Inactive_Users (Medium)
-- psrule: none
--
-- Inactive as account_activity defines it; paid: Basic, Basic + Test Plans, professional, early adopter, or a Visual Studio
-- subscription. Guests are ADO-IAM-008's. Not evaluated where users, groups or entitlements could not be read.
SELECT u.connector, u.organization, NULL AS project_id, NULL AS project,
       u.descriptor AS resource_id, COALESCE(u.principal_name, u.descriptor) AS resource_name,
       'fail' AS result,
       CASE WHEN u.never_signed_in
            THEN 'never signed in, added ' || CAST(u.days_since_created AS STRING) || ' days ago'
            ELSE 'last signed in ' || CAST(u.days_since_last_access AS STRING) || ' days ago' END || ' and holds ' || COALESCE(u.access_level, u.license_type, 'paid access') AS details
FROM account_activity u
LEFT JOIN identity_gaps x ON x.connector = u.connector AND x.organization = u.organization
WHERE x.graph IS NULL AND x.entitlements IS NULL AND u.inactive AND u.paid_access AND NOT u.is_guest AND NOT u.is_service
UNION ALL
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       'not_evaluated' AS result, COALESCE(graph, entitlements) AS details
FROM identity_gaps
WHERE COALESCE(graph, entitlements) IS NOT NULL
