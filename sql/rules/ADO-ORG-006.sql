-- id: ADO-ORG-006
-- title: Microsoft Entra conditional access policies are validated
-- severity: medium
-- resource_kind: organization
-- description: The organization does not validate Microsoft Entra conditional access policies ("Enable IP Conditional Access policy validation"), so web and token sign-ins can skip the tenant's conditions (trusted networks, compliant devices, MFA) for non-interactive flows.
-- remediation: Organization settings > Security > Policies: turn on "Enable IP Conditional Access policy validation" (Policy.EnforceAADConditionalAccess), with conditional access policies for Azure DevOps defined in Microsoft Entra.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/change-application-access-policies#cap-support-on-azure-devops | https://learn.microsoft.com/azure/devops/organizations/security/security-best-practices
-- defender: none
-- azsk: ADO_Organization_AuthZ_Enable_AAD_Conditional_Access_Policy (Medium)
-- psrule: none
--
-- Reads organization_policies (Policy.EnforceAADConditionalAccess; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'Microsoft Entra conditional access policies are not validated'
            ELSE 'Policy.EnforceAADConditionalAccess could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.EnforceAADConditionalAccess' AND (status <> 'read' OR value = false)
