-- id: ADO-ORG-004
-- title: Audit events are logged
-- severity: medium
-- resource_kind: organization
-- description: The organization does not log audit events, so changes to permissions, policies and pipelines leave no trail.
-- remediation: Organization settings > Security > Policies: turn on "Log Audit Events" (and stream the audit log to a SIEM under Organization settings > Auditing > Streams).
-- references: https://learn.microsoft.com/azure/devops/organizations/audit/azure-devops-auditing
-- defender: none
-- azsk: none (closest: ADO_Organization_Enable_Audit_Stream, Medium, which needs auditing on)
-- psrule: none
--
-- Reads organization_policies (Policy.LogAuditEvents; the crawl keeps its effectiveValue, which differs from value
-- while the policy is at its default); not evaluated where the policy could not be read (the API is
-- undocumented, refused to the identity, or missing on Azure DevOps Server).
SELECT connector, organization, NULL AS project_id, NULL AS project,
       organization AS resource_id, organization AS resource_name,
       CASE WHEN status = 'read' THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN status = 'read' THEN 'audit events are not logged'
            ELSE 'Policy.LogAuditEvents could not be read: ' || status || COALESCE(' (' || reason || ')', '') END AS details
FROM organization_policies
WHERE policy = 'Policy.LogAuditEvents' AND (status <> 'read' OR value = false)
