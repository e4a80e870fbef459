-- id: ADO-REPO-017
-- title: The last pusher cannot approve their own push
-- severity: medium
-- resource_kind: repository
-- description: The minimum-reviewers policies that cover the default branch let the vote of whoever pushed last count (blockLastPusherVote off): someone can push a change into another person's pull request and approve it themselves.
-- remediation: In the default branch's "Require a minimum number of reviewers" policy, tick "Prohibit the most recent pusher from approving their own changes" (settings.blockLastPusherVote = true), and keep the policy enabled and Required.
-- references: https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
-- defender: none
-- azsk: none
-- psrule: none
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch;
-- match kinds compared case-insensitively) and branch_policy_repositories (repositories with a
-- default branch, not disabled, and whether their project's policies could be read); both in sql/views/.
-- Judges only repositories whose default branch is covered by a minimum-reviewers policy: one
-- without any is ADO-REPO-001's finding (one root cause, one finding); where the policies could not
-- be read, ADO-REPO-001 reports the repository as not evaluated.
WITH reviewers AS (
    SELECT connector, organization, repository_id,
           MAX(CASE WHEN block_last_pusher_vote = true THEN 1 ELSE 0 END) AS good
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd'
    GROUP BY connector, organization, repository_id
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'fail' AS result, 'no minimum-reviewers policy covering the default branch ignores the vote of the last pusher: ' || r.default_branch AS details
FROM branch_policy_repositories r
JOIN reviewers v
  ON v.connector = r.connector AND v.organization = r.organization AND v.repository_id = r.repository_id
WHERE v.good = 0
