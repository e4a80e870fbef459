-- id: ADO-ORG-002
-- title: Third-party application access via OAuth is disabled
-- severity: medium
-- resource_kind: organization
-- description: The organization lets third-party applications access it through OAuth, so users can grant outside apps access to its data.
-- remediation: Organization settings > Security > Policies: turn off "Third-party application access via OAuth" (unless an approved app needs it).
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/change-application-access-policies
-- defender: none
-- azsk: ADO_Organization_AuthZ_Disable_OAuth_App_Access (Medium)
-- psrule: none
--
-- Reads organization_policies (Policy.DisallowOAuthAuthentication; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'third-party OAuth application access is allowed'
            ELSE 'Policy.DisallowOAuthAuthentication could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.DisallowOAuthAuthentication' AND (status <> 'read' OR value = false)
