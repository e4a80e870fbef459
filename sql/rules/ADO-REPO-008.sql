-- id: ADO-REPO-008
-- title: A merge strategy is enforced on the default branch
-- severity: low
-- resource_kind: repository
-- description: No enabled, blocking "Require a merge strategy" policy covers the default branch, so its history can mix merge types and is harder to audit and revert.
-- remediation: Default branch > Branch policies: turn on "Limit merge types" and allow only the strategies the team uses, e.g. squash merge (policy type fa4e907d-c16b-4a4c-9dfa-4916e5d171ab).
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#limit-merge-types
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Repos.DefaultBranchPolicyMergeStrategy (Important)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4916e5d171ab'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking merge-strategy policy covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
