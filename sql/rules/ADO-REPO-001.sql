-- id: ADO-REPO-001
-- title: Default branch requires at least two reviewers
-- severity: high
-- resource_kind: repository
-- description: The repository's default branch is not covered by an enabled, blocking "Minimum number of reviewers" policy that requires at least two approvals, so a single person (or nobody) can approve changes to the code that ships.
-- remediation: Project settings > Repositories > (repository) > Policies > Branch policies > (default branch): turn on "Require a minimum number of reviewers", set it to 2 or more and leave it Required. For every repository at once, set the policy under Project settings > Repositories > Policies > Branch policies, or POST a policy configuration of type fa4e907d-c16b-4a4c-9dfa-4906e5d171dd (minimumApproverCount >= 2, isBlocking true) to _apis/policy/configurations.
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
-- defender: Azure DevOps repositories should require minimum two-reviewer approval for code pushes (High)
-- azsk: none
-- psrule: Azure.DevOps.Repos.DefaultBranchPolicyMinimumReviewers (Severe)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd' AND min_approver_count >= 2
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking minimum-reviewers policy requiring 2 or more approvals covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
