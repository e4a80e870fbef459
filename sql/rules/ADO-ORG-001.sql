-- id: ADO-ORG-001
-- title: The organization does not allow public projects
-- severity: high
-- resource_kind: organization
-- description: The organization policy "Allow public projects" is on, so any project administrator can make a project, with its code and pipelines, readable by anyone.
-- remediation: Organization settings > Security > Policies: turn off "Allow public projects".
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/change-application-access-policies
-- defender: none
-- azsk: ADO_Organization_DP_Dont_Allow_Public_Projects (High)
-- psrule: none
--
-- Reads organization_policies (Policy.AllowAnonymousAccess; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'public projects are allowed'
            ELSE 'Policy.AllowAnonymousAccess could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.AllowAnonymousAccess' AND (status <> 'read' OR value = true)
