//! Inventory tables: organizations, projects, repositories and branch policies, and how the
//! crawl's responses are flattened into them.

use super::ColumnType::{Boolean, Int64, TimestampUtc, Utf8};
use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, Watch, optional,
    required,
};
use crate::crawl::OrganizationInventory;

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[&ORGANIZATIONS, &PROJECTS, &REPOSITORIES, &BRANCH_POLICIES];

pub const ORGANIZATIONS: TableDef = TableDef {
    name: "organizations",
    doc: "One row per organization (Server: project collection) crawled in the run.",
    project_scoped: false,
    role: TableRole::Inventory,
    watch: None,
    columns: &[
        optional(
            "organization_id",
            Utf8,
            "Account id (GUID) when discovery gave it, else null.",
        ),
        required("organization_url", Utf8, "API root of the organization."),
        required(
            "deployment",
            Utf8,
            "`services` (Azure DevOps Services) or `server` (Azure DevOps Server).",
        ),
        required(
            "crawled_at",
            TimestampUtc,
            "When the crawl of this organization started.",
        ),
    ],
};

pub const PROJECTS: TableDef = TableDef {
    name: "projects",
    doc: "One row per project the connector's include/exclude patterns select.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["project_id"],
        name: "project",
        attributes: &["visibility", "state"],
    }),
    columns: &[
        optional("state", Utf8, "Project state, e.g. `wellFormed`."),
        optional("visibility", Utf8, "`private`, `public` or `organization`."),
        optional("revision", Int64, "Project revision."),
        optional(
            "last_update_time",
            TimestampUtc,
            "Last update of the project.",
        ),
        required("raw", Utf8, "The project's JSON as the API returned it."),
    ],
};

pub const REPOSITORIES: TableDef = TableDef {
    name: "repositories",
    doc: "One row per Git repository, including disabled and empty ones.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["repository_id"],
        name: "repository",
        attributes: &["default_branch", "is_disabled"],
    }),
    columns: &[
        required("repository_id", Utf8, "Repository id (GUID)."),
        required("repository", Utf8, "Repository name."),
        optional(
            "default_branch",
            Utf8,
            "Default branch ref, e.g. `refs/heads/main`; null for an empty repository.",
        ),
        required(
            "is_disabled",
            Boolean,
            "Whether the repository is disabled (false when the API omits it).",
        ),
        required(
            "is_fork",
            Boolean,
            "Whether the repository is a fork (false when the API omits it).",
        ),
        optional("size_bytes", Int64, "Repository size in bytes."),
        optional("web_url", Utf8, "Browser URL of the repository."),
        optional(
            "open_to_all_pipelines",
            Boolean,
            "Authorized for every pipeline of the project (pipelinePermissions); null unless the connector reads detailed pipeline permissions.",
        ),
        optional(
            "authorized_pipeline_ids",
            Utf8,
            "Comma-separated ids of the pipelines authorized one by one; null unless the connector reads detailed pipeline permissions.",
        ),
        required("raw", Utf8, "The repository's JSON as the API returned it."),
    ],
};

pub const BRANCH_POLICIES: TableDef = TableDef {
    name: "branch_policies",
    doc: "One row per (policy configuration, scope entry): a policy with three scopes gives three rows.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["policy_id", "scope_index"],
        name: "policy_type",
        attributes: &[
            "is_enabled",
            "is_blocking",
            "is_deleted",
            "scope_repository_id",
            "scope_ref_name",
            "scope_match_kind",
            "min_approver_count",
            "creator_vote_counts",
            "reset_on_source_push",
            "block_last_pusher_vote",
            "allow_downvotes",
        ],
    }),
    columns: &[
        required(
            "policy_id",
            Int64,
            "Policy configuration id (unique within the project's organization).",
        ),
        optional("policy_revision", Int64, "Policy configuration revision."),
        required(
            "policy_type_id",
            Utf8,
            "Policy type GUID, e.g. `fa4e907d-c16b-4a4c-9dfa-4906e5d171dd` = minimum number of reviewers.",
        ),
        optional("policy_type", Utf8, "Policy type display name."),
        required("is_enabled", Boolean, "Whether the policy is enabled."),
        required(
            "is_blocking",
            Boolean,
            "Whether the policy blocks completion (required) rather than only advising.",
        ),
        required(
            "is_deleted",
            Boolean,
            "Whether the policy is deleted (false when the API omits it).",
        ),
        required(
            "scope_index",
            Int64,
            "Position of this scope in `settings.scope` (0 when the policy has none).",
        ),
        optional(
            "scope_repository_id",
            Utf8,
            "Repository the scope covers; null = every repository of the project.",
        ),
        optional(
            "scope_ref_name",
            Utf8,
            "Ref the scope matches, e.g. `refs/heads/main` or the prefix `refs/heads/releases/`.",
        ),
        optional(
            "scope_match_kind",
            Utf8,
            "`Exact`, `Prefix` or `DefaultBranch`; null when the policy has no scope.",
        ),
        optional(
            "min_approver_count",
            Int64,
            "`settings.minimumApproverCount` (minimum-reviewers and required-reviewers policies).",
        ),
        optional(
            "creator_vote_counts",
            Boolean,
            "`settings.creatorVoteCounts`: whether the requestor's own vote counts.",
        ),
        optional(
            "reset_on_source_push",
            Boolean,
            "`settings.resetOnSourcePush`: whether votes reset on new pushes.",
        ),
        optional(
            "reset_rejections_on_source_push",
            Boolean,
            "`settings.resetRejectionsOnSourcePush`: whether rejections (not approvals) reset on new pushes.",
        ),
        optional(
            "require_vote_on_each_iteration",
            Boolean,
            "`settings.requireVoteOnEachIteration`: approvals must be given again on each new push.",
        ),
        optional(
            "require_vote_on_last_iteration",
            Boolean,
            "`settings.requireVoteOnLastIteration`: an approval must be on the last push.",
        ),
        optional(
            "block_last_pusher_vote",
            Boolean,
            "`settings.blockLastPusherVote`: the vote of whoever pushed last does not count.",
        ),
        optional(
            "allow_downvotes",
            Boolean,
            "`settings.allowDownvotes`: a pull request may complete despite rejections (\"Allow completion even if some reviewers vote to wait or reject\").",
        ),
        required(
            "raw",
            Utf8,
            "The policy configuration's JSON as the API returned it.",
        ),
    ],
};

/// Parses an API timestamp to microseconds since the epoch; unparsable text becomes null.
fn micros(text: Option<&str>) -> Option<i64> {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_micros())
}

/// Flattens one organization's inventory into the inventory tables.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let base = RowContext {
        run_id,
        connector: &org.connector,
        organization: &org.organization,
        project: None,
    };

    let mut organizations = TableBuilder::new(&ORGANIZATIONS);
    if org.has_organization_rows() {
        organizations.push(
            &base,
            &[
                Value::Str(org.organization_id.as_deref()),
                Value::Str(Some(&org.url)),
                Value::Str(Some(org.deployment.as_str())),
                Value::Timestamp(Some(org.crawled_at.timestamp_micros())),
            ],
        )?;
    }

    let mut projects = TableBuilder::new(&PROJECTS);
    for p in &org.projects {
        let ctx = RowContext {
            project: Some((&p.item.id, &p.item.name)),
            ..base
        };
        projects.push(
            &ctx,
            &[
                Value::Str(p.item.state.as_deref()),
                Value::Str(p.item.visibility.as_deref()),
                Value::Int(p.item.revision),
                Value::Timestamp(micros(p.item.last_update_time.as_deref())),
                Value::Str(Some(&p.raw)),
            ],
        )?;
    }

    // A project's part carries its repositories and library, not the project itself.
    let project_names: std::collections::HashMap<&str, &str> = org
        .projects
        .iter()
        .map(|p| (p.item.id.as_str(), p.item.name.as_str()))
        .chain(
            org.libraries
                .iter()
                .map(|l| (l.project_id.as_str(), l.project.as_str())),
        )
        .collect();
    let mut repositories = TableBuilder::new(&REPOSITORIES);
    for r in &org.repositories {
        let project_id = r.item.project.id.as_str();
        let project_name = project_names
            .get(project_id)
            .copied()
            .or(r.item.project.name.as_deref())
            .unwrap_or_default();
        let ctx = RowContext {
            project: Some((project_id, project_name)),
            ..base
        };
        let key = ("repository", format!("{project_id}.{}", r.item.id));
        let permissions = org
            .libraries
            .iter()
            .find(|l| l.project_id == project_id)
            .and_then(|l| l.controls.resource_permissions.get(&key))
            .and_then(|p| p.as_ref().ok());
        let ids = permissions.map(crate::crawl::pipeline_ids);
        repositories.push(
            &ctx,
            &[
                Value::Str(Some(&r.item.id)),
                Value::Str(Some(&r.item.name)),
                Value::Str(r.item.default_branch.as_deref()),
                Value::Bool(Some(r.item.is_disabled.unwrap_or(false))),
                Value::Bool(Some(r.item.is_fork.unwrap_or(false))),
                Value::Int(r.item.size),
                Value::Str(r.item.web_url.as_deref()),
                Value::Bool(permissions.map(|p| p.open_to_all())),
                Value::Str(ids.as_deref()),
                Value::Str(Some(&r.raw)),
            ],
        )?;
    }

    let mut branch_policies = TableBuilder::new(&BRANCH_POLICIES);
    for project in &org.policies {
        let ctx = RowContext {
            project: Some((&project.project_id, &project.project)),
            ..base
        };
        for p in &project.policies {
            let policy = &p.item;
            let mut scopes = policy.scopes();
            if scopes.is_empty() {
                scopes.push(Default::default());
            }
            for (index, scope) in scopes.iter().enumerate() {
                branch_policies.push(
                    &ctx,
                    &[
                        Value::Int(Some(policy.id)),
                        Value::Int(policy.revision),
                        Value::Str(Some(&policy.policy_type.id)),
                        Value::Str(policy.policy_type.display_name.as_deref()),
                        Value::Bool(Some(policy.is_enabled)),
                        Value::Bool(Some(policy.is_blocking)),
                        Value::Bool(Some(policy.is_deleted)),
                        Value::Int(Some(index as i64)),
                        Value::Str(scope.repository_id.as_deref()),
                        Value::Str(scope.ref_name.as_deref()),
                        Value::Str(scope.match_kind.as_deref()),
                        Value::Int(policy.setting_i64("minimumApproverCount")),
                        Value::Bool(policy.setting_bool("creatorVoteCounts")),
                        Value::Bool(policy.setting_bool("resetOnSourcePush")),
                        Value::Bool(policy.setting_bool("resetRejectionsOnSourcePush")),
                        Value::Bool(policy.setting_bool("requireVoteOnEachIteration")),
                        Value::Bool(policy.setting_bool("requireVoteOnLastIteration")),
                        Value::Bool(policy.setting_bool("blockLastPusherVote")),
                        Value::Bool(policy.setting_bool("allowDownvotes")),
                        Value::Str(Some(&p.raw)),
                    ],
                )?;
            }
        }
    }

    Ok(vec![
        organizations.done()?,
        projects.done()?,
        repositories.done()?,
        branch_policies.done()?,
    ])
}
