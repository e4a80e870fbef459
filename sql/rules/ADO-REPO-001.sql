-- id: ADO-REPO-001
-- title: Default branch requires at least two reviewers
-- severity: high
-- resource_kind: repository
-- description: The repository's default branch is not covered by an enabled, blocking "Minimum number of reviewers" policy that requires at least two approvals, so a single person (or nobody) can approve changes to the code that ships.
-- remediation: Project settings > Repositories > (repository) > Policies > Branch policies > (default branch): turn on "Require a minimum number of reviewers", set it to 2 or more and leave it Required. For every repository at once, set the policy under Project settings > Repositories > Policies > Branch policies, or POST a policy configuration of type fa4e907d-c16b-4a4c-9dfa-4906e5d171dd (minimumApproverCount >= 2, isBlocking true) to _apis/policy/configurations.
-- references: Defender for Cloud: Azure DevOps repositories should require minimum two-reviewer approval for code pushes | PSRule: Azure.ADO.Repos.Policies.MinimumReviewers (ADO-RP-003) | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#require-a-minimum-number-of-reviewers
--
-- Reads default_branch_policies (sql/views/): enabled, blocking policies whose scope covers the
-- default branch exactly (repository or project-wide; exact, prefix or default-branch ref).
-- Empty (no default branch) and disabled repositories are not evaluated.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'fa4e907d-c16b-4a4c-9dfa-4906e5d171dd' AND min_approver_count >= 2
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'fail' AS result, 'no enabled, blocking minimum-reviewers policy requiring 2 or more approvals covers ' || r.default_branch AS details
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
