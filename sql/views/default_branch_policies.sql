-- view: default_branch_policies
-- description: One row per (repository, policy scope) where an enabled, blocking, not deleted branch policy of any type covers the repository's default branch. Empty repositories (no default branch) have no rows. Rules about branch protection read this view instead of resolving scopes themselves.
--
-- A scope covers the default branch when it is project-wide (scope_repository_id null) or names
-- the repository, and its ref matches: Exact (same ref), Prefix (the default branch starts with
-- it) or DefaultBranch (whatever the default branch is).
SELECT r.connector, r.organization, r.project_id, r.project,
       r.repository_id, r.repository, r.default_branch,
       p.policy_id, p.policy_type_id, p.policy_type, p.scope_match_kind,
       p.min_approver_count, p.creator_vote_counts, p.reset_on_source_push
FROM repositories r
JOIN branch_policies p
  ON p.connector = r.connector AND p.organization = r.organization AND p.project_id = r.project_id
WHERE p.is_enabled AND p.is_blocking AND NOT p.is_deleted
  AND r.default_branch IS NOT NULL
  AND (p.scope_repository_id IS NULL OR p.scope_repository_id = r.repository_id)
  AND (   (p.scope_match_kind = 'Exact' AND p.scope_ref_name = r.default_branch)
       OR (p.scope_match_kind = 'Prefix' AND STARTS_WITH(r.default_branch, p.scope_ref_name))
       OR p.scope_match_kind = 'DefaultBranch')
