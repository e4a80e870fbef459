-- view: effective_pipeline_settings
-- description: One row per project: each pipeline general setting as it is in force, the project's own value or the organization's when the organization enforces it (an organization setting that is on applies to every project, whatever the project's value reads). `status` is the project settings' (`read`, `not_available`, `not_evaluated`), `reason` why they are missing; `org_read` whether the organization's settings could be read. Fork protection is summarised as `forks_kept_from_secrets`, `forks_token_limited`, `fork_builds_blocked` and `forks_comment_required`, true when either level guarantees it.
SELECT connector, organization, project_id, project, status, reason,
       COALESCE(org_status = 'read', false) AS org_read,
       COALESCE(enforce_job_auth_scope, false) OR COALESCE(org_enforce_job_auth_scope, false) AS enforce_job_auth_scope,
       COALESCE(enforce_job_auth_scope_for_releases, false) OR COALESCE(org_enforce_job_auth_scope_for_releases, false) AS enforce_job_auth_scope_for_releases,
       COALESCE(enforce_referenced_repo_scoped_token, false) OR COALESCE(org_enforce_referenced_repo_scoped_token, false) AS enforce_referenced_repo_scoped_token,
       COALESCE(enforce_settable_var, false) OR COALESCE(org_enforce_settable_var, false) AS enforce_settable_var,
       COALESCE(status_badges_are_private, false) OR COALESCE(org_status_badges_are_private, false) AS status_badges_are_private,
       COALESCE(enable_shell_tasks_args_sanitizing, false) OR COALESCE(org_enable_shell_tasks_args_sanitizing, false) AS enable_shell_tasks_args_sanitizing,
       COALESCE(disable_classic_build_pipeline_creation, disable_classic_pipeline_creation, false)
         OR COALESCE(org_disable_classic_build_pipeline_creation, org_disable_classic_pipeline_creation, false) AS classic_build_creation_disabled,
       COALESCE(disable_classic_release_pipeline_creation, disable_classic_pipeline_creation, false)
         OR COALESCE(org_disable_classic_release_pipeline_creation, org_disable_classic_pipeline_creation, false) AS classic_release_creation_disabled,
       (COALESCE(fork_protection_enabled, false) AND NOT COALESCE(builds_enabled_for_forks, true))
         OR (COALESCE(org_fork_protection_enabled, false) AND NOT COALESCE(org_builds_enabled_for_forks, true)) AS fork_builds_blocked,
       (COALESCE(fork_protection_enabled, false) AND (NOT COALESCE(builds_enabled_for_forks, true) OR COALESCE(enforce_no_access_to_secrets_from_forks, false)))
         OR (COALESCE(org_fork_protection_enabled, false) AND (NOT COALESCE(org_builds_enabled_for_forks, true) OR COALESCE(org_enforce_no_access_to_secrets_from_forks, false))) AS forks_kept_from_secrets,
       (COALESCE(fork_protection_enabled, false) AND (NOT COALESCE(builds_enabled_for_forks, true) OR COALESCE(enforce_job_auth_scope_for_forks, false)))
         OR (COALESCE(org_fork_protection_enabled, false) AND (NOT COALESCE(org_builds_enabled_for_forks, true) OR COALESCE(org_enforce_job_auth_scope_for_forks, false))) AS forks_token_limited,
       (COALESCE(fork_protection_enabled, false) AND (NOT COALESCE(builds_enabled_for_forks, true) OR COALESCE(is_comment_required_for_pull_request, false)))
         OR (COALESCE(org_fork_protection_enabled, false) AND (NOT COALESCE(org_builds_enabled_for_forks, true) OR COALESCE(org_is_comment_required_for_pull_request, false))) AS forks_comment_required
FROM pipeline_settings
