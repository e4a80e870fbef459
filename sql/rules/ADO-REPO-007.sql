-- id: ADO-REPO-007
-- title: Pull requests must be linked to work items
-- severity: low
-- resource_kind: repository
-- description: No enabled, blocking "Work item linking" policy covers the default branch, so changes reach it without a traceable reason (ticket, change request).
-- remediation: Default branch > Branch policies: turn on "Check for linked work items" and set it to Required (policy type 40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e).
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#check-for-linked-work-items
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Repos.DefaultBranchPolicyEnforceLinkedWorkItems (Informational)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = '40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking work-item linking policy covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
