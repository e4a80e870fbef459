-- Repositories (not disabled, not empty) that no enabled branch policy of any type names, and
-- whose project has no enabled project-wide policy either.
SELECT r.organization, r.project, r.repository, r.default_branch
FROM latest_repositories r
WHERE NOT r.is_disabled
  AND r.default_branch IS NOT NULL
  AND r.repository_id NOT IN (
      SELECT scope_repository_id FROM latest_branch_policies
      WHERE is_enabled AND NOT is_deleted AND scope_repository_id IS NOT NULL)
  AND r.project_id NOT IN (
      SELECT project_id FROM latest_branch_policies
      WHERE is_enabled AND NOT is_deleted AND scope_repository_id IS NULL)
ORDER BY r.organization, r.project, r.repository
