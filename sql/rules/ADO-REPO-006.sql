-- id: ADO-REPO-006
-- title: Comments must be resolved before completing a pull request
-- severity: low
-- resource_kind: repository
-- description: No enabled, blocking "Comment requirements" policy covers the default branch: review comments, including security remarks, can be left unresolved when the pull request completes.
-- remediation: Default branch > Branch policies: turn on "Check for comment resolution" and set it to Required (policy type c6a1889d-b943-4856-b76f-9e46bb6b0df2).
-- references: PSRule: Azure.ADO.Repos.Policies.CommentResolution | https://learn.microsoft.com/azure/devops/repos/git/branch-policies#check-for-comment-resolution
--
-- Reads default_branch_policies (sql/views/): enabled, blocking policies whose scope covers the
-- default branch exactly (repository or project-wide; exact, prefix or default-branch ref).
-- Empty (no default branch) and disabled repositories are not evaluated.
WITH protected AS (
    SELECT DISTINCT connector, organization, repository_id
    FROM default_branch_policies
    WHERE policy_type_id = 'c6a1889d-b943-4856-b76f-9e46bb6b0df2'
)
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id AS resource_id, r.repository AS resource_name,
       'fail' AS result, 'no enabled, blocking comment resolution policy covers ' || r.default_branch AS details
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
