-- id: ADO-ORG-003
-- title: SSH authentication is disabled where unused
-- severity: low
-- resource_kind: organization
-- description: The organization accepts SSH keys for Git, long-lived credentials that are outside conditional access; turn it off unless teams rely on it.
-- remediation: Organization settings > Security > Policies: turn off "SSH authentication" when no team uses SSH for Git.
-- references: https://learn.microsoft.com/azure/devops/organizations/accounts/change-application-access-policies
-- defender: none
-- azsk: ADO_Organization_AuthN_Disable_SSH_Access (Medium)
-- psrule: none
--
-- Reads organization_policies (Policy.DisallowSecureShell; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'SSH authentication is allowed'
            ELSE 'Policy.DisallowSecureShell could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.DisallowSecureShell' AND (status <> 'read' OR value = false)
