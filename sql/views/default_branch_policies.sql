-- view: default_branch_policies
-- description: One row per (repository, policy scope) where an enabled, blocking, not deleted branch policy of any type covers the repository's default branch. Empty repositories (no default branch) have no rows. Rules about branch protection read this view instead of resolving scopes themselves.
--
-- A scope covers the default branch when it is project-wide (scope_repository_id null) or names
-- the repository, and its ref matches: exact (same ref), prefix (the default branch starts with
-- it) or DefaultBranch (whatever the default branch is). Match kinds are compared
-- case-insensitively (`az repos policy` writes `exact` / `prefix`), and a scope that names a
-- repository without a ref covers every branch of it. Policy type ids are compared in lower case.
-- Two joins, not one on the project: a repository-scoped policy joins its repository by id, a
-- project-wide one (few per project) joins the project's repositories. Joining every policy with
-- every repository of its project would build repositories × policies rows per project.
WITH enabled AS (
    SELECT connector, organization, project_id, policy_id, LOWER(policy_type_id) AS policy_type_id, policy_type,
           LOWER(scope_repository_id) AS scope_repository_id, scope_ref_name,
           LOWER(COALESCE(scope_match_kind, '')) AS scope_match_kind,
           min_approver_count, creator_vote_counts, reset_on_source_push,
           reset_rejections_on_source_push, require_vote_on_each_iteration,
           block_last_pusher_vote, allow_downvotes
    FROM branch_policies
    WHERE is_enabled AND is_blocking AND NOT is_deleted
),
candidates AS (
    SELECT r.connector, r.organization, r.project_id, r.project,
           r.repository_id, r.repository, r.default_branch,
           p.policy_id, p.policy_type_id, p.policy_type, p.scope_repository_id, p.scope_ref_name, p.scope_match_kind,
           p.min_approver_count, p.creator_vote_counts, p.reset_on_source_push,
           p.reset_rejections_on_source_push, p.require_vote_on_each_iteration,
           p.block_last_pusher_vote, p.allow_downvotes
    FROM repositories r
    JOIN enabled p
      ON p.connector = r.connector AND p.organization = r.organization
     AND p.scope_repository_id = LOWER(r.repository_id)
    WHERE r.default_branch IS NOT NULL
    UNION ALL
    SELECT r.connector, r.organization, r.project_id, r.project,
           r.repository_id, r.repository, r.default_branch,
           p.policy_id, p.policy_type_id, p.policy_type, p.scope_repository_id, p.scope_ref_name, p.scope_match_kind,
           p.min_approver_count, p.creator_vote_counts, p.reset_on_source_push,
           p.reset_rejections_on_source_push, p.require_vote_on_each_iteration,
           p.block_last_pusher_vote, p.allow_downvotes
    FROM repositories r
    JOIN (SELECT * FROM enabled WHERE scope_repository_id IS NULL) p
      ON p.connector = r.connector AND p.organization = r.organization AND p.project_id = r.project_id
    WHERE r.default_branch IS NOT NULL
)
SELECT connector, organization, project_id, project, repository_id, repository, default_branch,
       policy_id, policy_type_id, policy_type, scope_match_kind,
       min_approver_count, creator_vote_counts, reset_on_source_push,
       reset_rejections_on_source_push, require_vote_on_each_iteration,
       block_last_pusher_vote, allow_downvotes
FROM candidates
WHERE (scope_match_kind = 'exact' AND scope_ref_name = default_branch)
   OR (scope_match_kind = 'prefix' AND SUBSTR(default_branch, 1, LENGTH(scope_ref_name)) = scope_ref_name)
   OR scope_match_kind = 'defaultbranch'
   OR (scope_repository_id IS NOT NULL AND scope_ref_name IS NULL)
