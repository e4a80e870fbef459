-- id: ADO-REPO-006
-- title: Comments must be resolved before completing a pull request
-- severity: low
-- resource_kind: repository
-- description: No enabled, blocking "Comment requirements" policy covers the default branch: review comments, including security remarks, can be left unresolved when the pull request completes.
-- remediation: Default branch > Branch policies: turn on "Check for comment resolution" and set it to Required (policy type c6a1889d-b943-4856-b76f-9e46bb6b0df2).
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#check-for-comment-resolution
-- defender: none
-- azsk: none
-- psrule: Azure.DevOps.Repos.DefaultBranchPolicyCommentResolution (Important)
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'c6a1889d-b943-4856-b76f-9e46bb6b0df2'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking comment resolution policy covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
