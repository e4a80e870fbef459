-- id: ADO-REPO-002
-- title: Requestors cannot approve their own pull requests
-- severity: high
-- resource_kind: repository
-- description: No enabled, blocking "Minimum number of reviewers" policy on the repository's default branch stops the pull request's author from counting as an approver, so authors can approve their own changes.
-- remediation: In the default branch's "Require a minimum number of reviewers" policy, clear "Allow requestors to approve their own changes" (settings.creatorVoteCounts = false), and keep the policy enabled and Required. Where no such policy exists yet, create it as for ADO-REPO-001.
-- references: Defender for Cloud: Azure DevOps repositories should not allow requestors to approve their own Pull Requests | PSRule: Azure.ADO.Repos.Policies.RequestorApproval (ADO-RP-004) | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
--
-- Reads default_branch_policies (enabled, blocking policies whose scope covers the default branch
-- exactly) and branch_policy_repositories (repositories with a default branch, not disabled,
-- and whether their project's policies could be read); both in sql/views/.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd' AND creator_vote_counts = false
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       CASE WHEN r.policies_read THEN 'fail' ELSE 'not_evaluated' END AS result,
       CASE WHEN r.policies_read THEN 'no enabled, blocking minimum-reviewers policy ignoring the requestor''s own vote covers ' || r.default_branch
            ELSE r.policies_reason END AS details
FROM branch_policy_repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
