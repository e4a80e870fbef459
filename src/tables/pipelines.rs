//! Pipelines (build definitions) and the pipeline general settings of each project.

use super::ColumnType::{Boolean, Int64, Utf8};
use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, Watch, optional,
    required,
};
use crate::ado::models::Parsed;
use crate::crawl::{OrganizationInventory, Outcome};

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[&PIPELINES, &PIPELINE_SETTINGS];

pub const PIPELINES: TableDef = TableDef {
    name: "pipelines",
    doc: "One row per pipeline (build definition) of a project.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["pipeline_id"],
        name: "pipeline",
        attributes: &[
            "forks_enabled",
            "forks_allow_secrets",
            "forks_allow_full_access_token",
            "job_authorization_scope",
            "secret_variable_count",
            "plaintext_variable_names",
            "pr_comment_required",
        ],
    }),
    columns: &[
        required(
            "pipeline_id",
            Int64,
            "Build definition id (unique in the project).",
        ),
        required("pipeline", Utf8, "Pipeline name."),
        optional("folder", Utf8, "Folder path of the definition."),
        optional(
            "process_type",
            Int64,
            "1 = classic designer, 2 = YAML (others: Docker, JustInTime).",
        ),
        optional("yaml_filename", Utf8, "The YAML file, for YAML pipelines."),
        optional(
            "repository_type",
            Utf8,
            "`TfsGit`, `GitHub`, `Bitbucket`, …",
        ),
        optional(
            "repository_id",
            Utf8,
            "Repository id (for TfsGit the Git repository GUID).",
        ),
        optional("repository", Utf8, "Repository name."),
        required(
            "pull_request_trigger",
            Boolean,
            "Whether the pipeline has a pull-request trigger.",
        ),
        optional(
            "forks_enabled",
            Boolean,
            "Pull requests from forks are built; null without a pull-request trigger.",
        ),
        optional(
            "forks_allow_secrets",
            Boolean,
            "Fork builds get the pipeline's secrets; null without a pull-request trigger.",
        ),
        optional(
            "forks_allow_full_access_token",
            Boolean,
            "Fork builds get a full-access job token; null without a pull-request trigger.",
        ),
        optional(
            "job_authorization_scope",
            Utf8,
            "`projectCollection` (token for the whole collection) or `project`.",
        ),
        required(
            "variable_count",
            Int64,
            "Pipeline variables defined on the definition.",
        ),
        required(
            "secret_variable_count",
            Int64,
            "Of those, variables marked secret (values never read).",
        ),
        required(
            "plaintext_variable_names",
            Utf8,
            "Comma-separated names of the definition's variables not marked secret (values are never stored).",
        ),
        optional(
            "pr_comment_required",
            Boolean,
            "`isCommentRequiredForPullRequest`: a team member must comment before a fork pull request builds; null without a pull-request trigger.",
        ),
        optional(
            "queue_pool_is_hosted",
            Boolean,
            "Whether the definition's default queue runs on a Microsoft-hosted pool (`queue.pool.isHosted`); null when the definition does not say.",
        ),
        optional(
            "trigger_fork_protection_enabled",
            Boolean,
            "`pipelineTriggerSettings.forkProtectionEnabled` of the pull-request trigger: the fork protection in effect (pipeline, project and organization combined); null when the trigger does not carry it.",
        ),
        optional(
            "trigger_builds_enabled_for_forks",
            Boolean,
            "`pipelineTriggerSettings.buildsEnabledForForks`: fork pull requests are built at all; null when absent.",
        ),
        optional(
            "trigger_no_secrets_for_forks",
            Boolean,
            "`pipelineTriggerSettings.enforceNoAccessToSecretsFromForks`: fork builds get no secrets; null when absent.",
        ),
        optional(
            "trigger_job_auth_scope_for_forks",
            Boolean,
            "`pipelineTriggerSettings.enforceJobAuthScopeForForks`: fork builds get a limited job token; null when absent.",
        ),
        optional(
            "trigger_comment_required",
            Boolean,
            "`pipelineTriggerSettings.isCommentRequiredForPullRequest`: a team member's comment is required before a fork pull request builds; null when absent.",
        ),
        required(
            "raw",
            Utf8,
            "The definition's JSON as the API returned it, with every variable's value removed (set to null).",
        ),
    ],
};

pub const PIPELINE_SETTINGS: TableDef = TableDef {
    name: "pipeline_settings",
    doc: "One row per project: its pipeline general settings (`_apis/build/generalsettings`), or why they could not be read.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &[],
        name: "project",
        attributes: &[
            "enforce_job_auth_scope",
            "enforce_job_auth_scope_for_releases",
            "enforce_referenced_repo_scoped_token",
            "enforce_settable_var",
            "disable_classic_pipeline_creation",
            "fork_protection_enabled",
            "builds_enabled_for_forks",
            "enforce_no_access_to_secrets_from_forks",
            "enable_shell_tasks_args_sanitizing",
        ],
    }),
    columns: &[
        required(
            "status",
            Utf8,
            "`read`, or `not_available` / `not_evaluated` with the reason in `reason`.",
        ),
        optional("reason", Utf8, "Why the settings are missing."),
        optional(
            "enforce_job_auth_scope",
            Boolean,
            "Limit job authorization scope to the current project for non-release pipelines.",
        ),
        optional(
            "enforce_job_auth_scope_for_releases",
            Boolean,
            "The same for release pipelines.",
        ),
        optional(
            "enforce_referenced_repo_scoped_token",
            Boolean,
            "Protect access to repositories in YAML pipelines (token limited to referenced repositories).",
        ),
        optional(
            "enforce_settable_var",
            Boolean,
            "Limit variables that can be set at queue time.",
        ),
        optional(
            "status_badges_are_private",
            Boolean,
            "Disable anonymous access to status badges.",
        ),
        optional(
            "disable_classic_pipeline_creation",
            Boolean,
            "Disable creation of classic build and release pipelines.",
        ),
        optional(
            "fork_protection_enabled",
            Boolean,
            "Limit building pull requests from forked GitHub repositories.",
        ),
        optional(
            "builds_enabled_for_forks",
            Boolean,
            "Build pull requests from forks at all.",
        ),
        optional(
            "enforce_job_auth_scope_for_forks",
            Boolean,
            "Fork builds get a job token limited in scope.",
        ),
        optional(
            "enforce_no_access_to_secrets_from_forks",
            Boolean,
            "Fork builds get no secrets.",
        ),
        optional(
            "enable_shell_tasks_args_sanitizing",
            Boolean,
            "Shell tasks' arguments are sanitized.",
        ),
        optional(
            "disable_classic_build_pipeline_creation",
            Boolean,
            "Disable creation of classic build pipelines (`disableClassicBuildPipelineCreation`).",
        ),
        optional(
            "disable_classic_release_pipeline_creation",
            Boolean,
            "Disable creation of classic release pipelines (`disableClassicReleasePipelineCreation`).",
        ),
        optional(
            "is_comment_required_for_pull_request",
            Boolean,
            "A team member's comment is required before a fork pull request builds.",
        ),
        optional(
            "org_status",
            Utf8,
            "The organization's pipeline settings (the same keys, read through the portal's `ms.vss-build-web.pipelines-org-settings-data-provider`, undocumented): `read`, `not_available` or `not_evaluated`. An organization setting that is on is in force in every project, whatever the project's own value says.",
        ),
        optional(
            "org_reason",
            Utf8,
            "Why the organization's settings are missing.",
        ),
        optional(
            "org_enforce_job_auth_scope",
            Boolean,
            "Organization level: limit job authorization scope to the current project for non-release pipelines (`enforceJobAuthScope`).",
        ),
        optional(
            "org_enforce_job_auth_scope_for_releases",
            Boolean,
            "Organization level: the same for release pipelines (`enforceJobAuthScopeForReleases`).",
        ),
        optional(
            "org_enforce_referenced_repo_scoped_token",
            Boolean,
            "Organization level: protect access to repositories in YAML pipelines (`enforceReferencedRepoScopedToken`).",
        ),
        optional(
            "org_enforce_settable_var",
            Boolean,
            "Organization level: limit variables that can be set at queue time (`enforceSettableVar`).",
        ),
        optional(
            "org_status_badges_are_private",
            Boolean,
            "Organization level: disable anonymous access to status badges (`statusBadgesArePrivate`).",
        ),
        optional(
            "org_disable_classic_pipeline_creation",
            Boolean,
            "Organization level: disable creation of classic pipelines (older single toggle) (`disableClassicPipelineCreation`).",
        ),
        optional(
            "org_fork_protection_enabled",
            Boolean,
            "Organization level: limit building pull requests from forked GitHub repositories (`forkProtectionEnabled`).",
        ),
        optional(
            "org_builds_enabled_for_forks",
            Boolean,
            "Organization level: build pull requests from forks at all (`buildsEnabledForForks`).",
        ),
        optional(
            "org_enforce_job_auth_scope_for_forks",
            Boolean,
            "Organization level: fork builds get a job token limited in scope (`enforceJobAuthScopeForForks`).",
        ),
        optional(
            "org_enforce_no_access_to_secrets_from_forks",
            Boolean,
            "Organization level: fork builds get no secrets (`enforceNoAccessToSecretsFromForks`).",
        ),
        optional(
            "org_enable_shell_tasks_args_sanitizing",
            Boolean,
            "Organization level: shell tasks' arguments are sanitized (`enableShellTasksArgsSanitizing`).",
        ),
        optional(
            "org_disable_classic_build_pipeline_creation",
            Boolean,
            "Organization level: disable creation of classic build pipelines (`disableClassicBuildPipelineCreation`).",
        ),
        optional(
            "org_disable_classic_release_pipeline_creation",
            Boolean,
            "Organization level: disable creation of classic release pipelines (`disableClassicReleasePipelineCreation`).",
        ),
        optional(
            "org_is_comment_required_for_pull_request",
            Boolean,
            "Organization level: a team member's comment is required before a fork pull request builds (`isCommentRequiredForPullRequest`).",
        ),
        optional("raw", Utf8, "The settings' JSON as the API returned it."),
    ],
};

/// The settings' JSON keys, in the order of the boolean columns above; the organization's
/// settings use the same keys, in the order of the `org_` columns.
const SETTING_KEYS: &[&str] = &[
    "enforceJobAuthScope",
    "enforceJobAuthScopeForReleases",
    "enforceReferencedRepoScopedToken",
    "enforceSettableVar",
    "statusBadgesArePrivate",
    "disableClassicPipelineCreation",
    "forkProtectionEnabled",
    "buildsEnabledForForks",
    "enforceJobAuthScopeForForks",
    "enforceNoAccessToSecretsFromForks",
    "enableShellTasksArgsSanitizing",
    "disableClassicBuildPipelineCreation",
    "disableClassicReleasePipelineCreation",
    "isCommentRequiredForPullRequest",
];

/// Appends the status, reason and [`SETTING_KEYS`] cells of a settings read (project or
/// organization); returns the raw JSON cell.
fn push_settings<'a>(
    row: &mut Vec<Value<'a>>,
    read: &'a Outcome<Parsed<serde_json::Value>>,
) -> Value<'a> {
    match read {
        Outcome::Read(parsed) => {
            row.push(Value::Str(Some("read")));
            row.push(Value::Str(None));
            row.extend(
                SETTING_KEYS
                    .iter()
                    .map(|k| Value::Bool(flag(&parsed.item, k))),
            );
            Value::Str(Some(&parsed.raw))
        }
        Outcome::NotEvaluated(reason) | Outcome::NotAvailable(reason) => {
            row.push(Value::Str(Some(read.status())));
            row.push(Value::Str(Some(reason)));
            row.extend(SETTING_KEYS.iter().map(|_| Value::Bool(None)));
            Value::Str(None)
        }
    }
}

/// Record batches of the pipeline tables for one organization.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let mut pipelines = TableBuilder::new(&PIPELINES);
    let mut settings = TableBuilder::new(&PIPELINE_SETTINGS);
    for project in &org.libraries {
        let ctx = RowContext::of_project(run_id, org, project);
        for p in &project.pipelines.pipelines {
            let d = &p.item;
            let forks = d.pull_request_forks();
            let secrets = d
                .variables
                .values()
                .filter(|v| v.is_secret == Some(true))
                .count();
            let scope = d.job_authorization_scope();
            pipelines.push(
                &ctx,
                &[
                    Value::Int(Some(d.id)),
                    Value::Str(Some(&d.name)),
                    Value::Str(d.path.as_deref()),
                    Value::Int(d.process.as_ref().and_then(|p| p.process_type)),
                    Value::Str(d.process.as_ref().and_then(|p| p.yaml_filename.as_deref())),
                    Value::Str(
                        d.repository
                            .as_ref()
                            .and_then(|r| r.repository_type.as_deref()),
                    ),
                    Value::Str(d.repository.as_ref().and_then(|r| r.id.as_deref())),
                    Value::Str(d.repository.as_ref().and_then(|r| r.name.as_deref())),
                    Value::Bool(Some(forks.is_some())),
                    Value::Bool(forks.as_ref().map(|f| f.enabled)),
                    Value::Bool(forks.as_ref().map(|f| f.allow_secrets)),
                    Value::Bool(forks.as_ref().map(|f| f.allow_full_access_token)),
                    Value::Str(scope.as_deref()),
                    Value::Int(Some(d.variables.len() as i64)),
                    Value::Int(Some(secrets as i64)),
                    Value::Str(Some(&super::library::plaintext_names(&d.variables))),
                    Value::Bool(d.pull_request_comment_required()),
                    Value::Bool(
                        d.queue
                            .as_ref()
                            .and_then(|q| q.pool.as_ref())
                            .and_then(|p| p.is_hosted),
                    ),
                    Value::Bool(d.pipeline_trigger_setting("forkProtectionEnabled")),
                    Value::Bool(d.pipeline_trigger_setting("buildsEnabledForForks")),
                    Value::Bool(d.pipeline_trigger_setting("enforceNoAccessToSecretsFromForks")),
                    Value::Bool(d.pipeline_trigger_setting("enforceJobAuthScopeForForks")),
                    Value::Bool(d.pipeline_trigger_setting("isCommentRequiredForPullRequest")),
                    Value::Str(Some(&super::library::without_variable_values(&p.raw))),
                ],
            )?;
        }
        if project.shared_only {
            continue;
        }
        let mut row: Vec<Value<'_>> = Vec::with_capacity(PIPELINE_SETTINGS.columns.len());
        let raw = push_settings(&mut row, &project.pipelines.settings);
        push_settings(&mut row, &org.organization_pipeline_settings);
        row.push(raw);
        settings.push(&ctx, &row)?;
    }
    Ok(vec![pipelines.done()?, settings.done()?])
}

/// A boolean setting; the portal's data provider may send `"true"` / `"false"` as text.
fn flag(settings: &serde_json::Value, key: &str) -> Option<bool> {
    match settings.get(key)? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => s.trim().to_ascii_lowercase().parse().ok(),
        _ => None,
    }
}
