-- id: ADO-REPO-003
-- title: Approvals reset when new changes are pushed
-- severity: medium
-- resource_kind: repository
-- description: No enabled, blocking "Minimum number of reviewers" policy on the default branch resets votes when the source branch changes (resetOnSourcePush), so an approval given to one version of a pull request still counts after more commits are pushed.
-- remediation: In the default branch's "Require a minimum number of reviewers" policy, select "When new changes are pushed: Reset all approval votes" (settings.resetOnSourcePush = true), and keep the policy enabled and Required.
-- references: PSRule: Azure.ADO.Repos.Policies.ResetVotes (ADO-RP-005) | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
--
-- Reads default_branch_policies (sql/views/): enabled, blocking policies whose scope covers the
-- default branch exactly (repository or project-wide; exact, prefix or default-branch ref).
-- Empty (no default branch) and disabled repositories are not evaluated.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd' AND reset_on_source_push = true
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'fail' AS result, 'no enabled, blocking minimum-reviewers policy that resets votes on new pushes covers ' || r.default_branch AS details
FROM repositories r
LEFT JOIN protected g
  ON g.connector = r.connector AND g.organization = r.organization AND g.repository_id = r.repository_id
WHERE g.repository_id IS NULL
  AND r.default_branch IS NOT NULL
  AND NOT r.is_disabled
  AND r.project_id NOT IN (
      SELECT project_id FROM crawl_coverage WHERE resource_kind = 'branch_policies' AND status <> 'read')
UNION ALL
-- Not evaluated: the project's branch policies could not be read.
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'not_evaluated' AS result,
       'branch policies could not be read: ' || c.status || COALESCE(' (' || c.reason || ')', '') AS details
FROM repositories r
JOIN crawl_coverage c
  ON c.connector = r.connector AND c.organization = r.organization AND c.project_id = r.project_id
WHERE c.resource_kind = 'branch_policies' AND c.status <> 'read'
  AND r.default_branch IS NOT NULL AND NOT r.is_disabled
