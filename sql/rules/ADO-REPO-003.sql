-- id: ADO-REPO-003
-- title: Approvals reset when new changes are pushed
-- severity: medium
-- resource_kind: repository
-- description: No enabled, blocking "Minimum number of reviewers" policy on the default branch resets votes when the source branch changes (resetOnSourcePush), so an approval given to one version of a pull request still counts after more commits are pushed.
-- remediation: In the default branch's "Require a minimum number of reviewers" policy, select "When new changes are pushed: Reset all approval votes" (settings.resetOnSourcePush = true), and keep the policy enabled and Required.
-- references: PSRule: Azure.ADO.Repos.Policies.ResetVotes (ADO-RP-005) | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch
-- exactly) and branch_policy_repositories (repositories with a default branch, not disabled,
-- and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd' AND reset_on_source_push = true
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking minimum-reviewers policy that resets votes on new pushes covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
