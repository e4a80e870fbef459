-- view: pipeline_fork_exposure
-- description: One row per pipeline with a pull-request trigger that builds forks: what its fork builds get once every level is combined. When the trigger carries `pipelineTriggerSettings` (the service's own combination of pipeline, project and organization settings) those decide; otherwise the project's and organization's settings (effective_pipeline_settings) do. `fork_builds_run` is false when fork builds are blocked; `fork_secrets`, `fork_full_token` and `fork_without_comment` say what a fork build that runs gets.
WITH p AS (
    SELECT p.connector, p.organization, p.project_id, p.project, p.pipeline_id, p.pipeline,
           p.forks_allow_secrets, p.forks_allow_full_access_token, p.pr_comment_required, p.queue_pool_is_hosted,
           p.trigger_fork_protection_enabled IS NOT NULL AS from_trigger,
           COALESCE(p.trigger_fork_protection_enabled, false) AND NOT COALESCE(p.trigger_builds_enabled_for_forks, true) AS trigger_blocked,
           COALESCE(p.trigger_fork_protection_enabled, false) AND COALESCE(p.trigger_no_secrets_for_forks, false) AS trigger_no_secrets,
           COALESCE(p.trigger_fork_protection_enabled, false) AND COALESCE(p.trigger_job_auth_scope_for_forks, false) AS trigger_token_limited,
           COALESCE(p.trigger_fork_protection_enabled, false) AND COALESCE(p.trigger_comment_required, false) AS trigger_comment,
           COALESCE(s.fork_builds_blocked, false) AS settings_blocked,
           COALESCE(s.forks_kept_from_secrets, false) AS settings_no_secrets,
           COALESCE(s.forks_token_limited, false) AS settings_token_limited,
           COALESCE(s.forks_comment_required, false) AS settings_comment
    FROM pipelines p
    LEFT JOIN effective_pipeline_settings s
      ON s.connector = p.connector AND s.organization = p.organization AND s.project_id = p.project_id
    WHERE COALESCE(p.forks_enabled, false)
)
SELECT connector, organization, project_id, project, pipeline_id, pipeline, queue_pool_is_hosted,
       NOT blocked AS fork_builds_run,
       NOT blocked AND COALESCE(forks_allow_secrets, false)
         AND NOT CASE WHEN from_trigger THEN trigger_no_secrets ELSE settings_no_secrets END AS fork_secrets,
       NOT blocked AND COALESCE(forks_allow_full_access_token, false)
         AND NOT CASE WHEN from_trigger THEN trigger_token_limited ELSE settings_token_limited END AS fork_full_token,
       NOT blocked AND NOT COALESCE(pr_comment_required, false)
         AND NOT CASE WHEN from_trigger THEN trigger_comment ELSE settings_comment END AS fork_without_comment
FROM (SELECT *, CASE WHEN from_trigger THEN trigger_blocked ELSE settings_blocked END AS blocked FROM p) x
