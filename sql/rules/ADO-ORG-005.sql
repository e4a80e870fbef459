-- id: ADO-ORG-005
-- title: External guest access is disabled
-- severity: medium
-- resource_kind: organization
-- description: The organization lets Microsoft Entra guest users be added, so people outside the company can be given access.
-- remediation: Organization settings > Security > Policies: turn off "External guest access" (or review guests regularly when it must stay on).
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/add-external-user
-- defender: none
-- azsk: ADO_Organization_AuthN_Disable_Guest_Users (High)
-- psrule: none
--
-- Reads organization_policies (Policy.DisallowAadGuestUserAccess; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'external guest access is allowed'
            ELSE 'Policy.DisallowAadGuestUserAccess could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.DisallowAadGuestUserAccess' AND (status <> 'read' OR value = false)
