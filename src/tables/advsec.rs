//! GitHub Advanced Security for Azure DevOps: its state per repository and its alerts.

use super::ColumnType::{Boolean, Int64, TimestampUtc, Utf8};
use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, Watch, optional,
    required,
};
use crate::crawl::{OrganizationInventory, Outcome, RepositoryAlerts};

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[&ADVANCED_SECURITY, &ADVSEC_ALERTS];

pub const ADVANCED_SECURITY: TableDef = TableDef {
    name: "advanced_security",
    doc: "One row per repository: whether GitHub Advanced Security is on, and whether its alerts could be read.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["repository_id"],
        name: "repository",
        attributes: &[
            "status",
            "code_security_enabled",
            "secret_protection_enabled",
            "block_pushes",
        ],
    }),
    columns: &[
        required("repository_id", Utf8, "Repository id (GUID)."),
        required("repository", Utf8, "Repository name."),
        required(
            "status",
            Utf8,
            "`on` (code security and secret protection), `partial` (one of them), `off`, `not_available` (Azure DevOps Server, or the API is missing) or `not_evaluated` (the identity may not read it, or the repository is missing from the enablement list).",
        ),
        optional(
            "code_security_enabled",
            Boolean,
            "Code security (CodeQL, dependency scanning) on; null unless status was read.",
        ),
        optional(
            "secret_protection_enabled",
            Boolean,
            "Secret protection (secret scanning) on; null unless status was read.",
        ),
        optional(
            "block_pushes",
            Boolean,
            "Push protection: pushes containing secrets are blocked; null unless status was read.",
        ),
        required(
            "alerts_status",
            Utf8,
            "`read`, `not_applicable` (feature off or not available) or `not_evaluated` (the identity may not read them: 403, or 404 TF401019, on a repository the organization-wide alert list leaves out).",
        ),
        optional(
            "alerts_reason",
            Utf8,
            "Why status or alerts are not available or not evaluated.",
        ),
        optional("open_alerts", Int64, "Alerts in state `active`, when read."),
    ],
};

pub const ADVSEC_ALERTS: TableDef = TableDef {
    name: "advsec_alerts",
    doc: "One row per Advanced Security alert of a repository whose alerts could be read: from the organization-wide list (`reporting/summary/alertsbatch`) where the service offers it, else per repository (default branch).",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: None,
    columns: &[
        required("repository_id", Utf8, "Repository id (GUID)."),
        required("repository", Utf8, "Repository name."),
        required("alert_id", Int64, "Alert id (unique in the organization)."),
        optional(
            "alert_type",
            Utf8,
            "`secret`, `code`, `dependency` or `unknown`.",
        ),
        optional(
            "severity",
            Utf8,
            "`critical`, `high`, `medium`, `low`, `note`, `warning`, `error` or `undefined`.",
        ),
        optional(
            "state",
            Utf8,
            "`active`, `dismissed`, `fixed`, `autoDismissed` or `unknown`.",
        ),
        optional("title", Utf8, "Alert title."),
        optional(
            "first_seen",
            TimestampUtc,
            "When the alert was first seen; null when read from the organization-wide list, which does not carry it.",
        ),
        optional(
            "git_ref",
            Utf8,
            "Branch the alert is on; null when read from the organization-wide list.",
        ),
        required("raw", Utf8, "The alert's JSON as the API returned it."),
    ],
};

/// Record batches of the Advanced Security tables for one organization.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let mut states = TableBuilder::new(&ADVANCED_SECURITY);
    let projects: std::collections::HashMap<&str, &str> = org
        .projects
        .iter()
        .map(|p| (p.item.id.as_str(), p.item.name.as_str()))
        .collect();
    for repo in &org.repository_refs {
        let project_name = projects
            .get(repo.project_id.as_str())
            .copied()
            .unwrap_or_default();
        let ctx = RowContext {
            run_id,
            connector: &org.connector,
            organization: &org.organization,
            project: Some((&repo.project_id, project_name)),
        };
        let head = [Value::Str(Some(&repo.id)), Value::Str(Some(&repo.name))];
        match &org.advanced_security {
            Outcome::NotAvailable(reason) | Outcome::NotEvaluated(reason) => {
                let status = org.advanced_security.status();
                let alerts_status = if status == "not_available" {
                    "not_applicable"
                } else {
                    "not_evaluated"
                };
                states.push(
                    &ctx,
                    &[
                        head[0],
                        head[1],
                        Value::Str(Some(status)),
                        Value::Bool(None),
                        Value::Bool(None),
                        Value::Bool(None),
                        Value::Str(Some(alerts_status)),
                        Value::Str(Some(reason)),
                        Value::Int(None),
                    ],
                )?;
            }
            Outcome::Read(by_repo) if !by_repo.contains_key(&repo.id) => {
                // Missing from the enablement list: unknown, never "off".
                states.push(
                    &ctx,
                    &[
                        head[0],
                        head[1],
                        Value::Str(Some("not_evaluated")),
                        Value::Bool(None),
                        Value::Bool(None),
                        Value::Bool(None),
                        Value::Str(Some("not_applicable")),
                        Value::Str(Some(
                            "the repository is missing from the organization's Advanced Security enablement list",
                        )),
                        Value::Int(None),
                    ],
                )?;
            }
            Outcome::Read(by_repo) => {
                let state = by_repo.get(&repo.id);
                let (code, secret, block) = state.map_or((false, false, false), |s| {
                    (s.code_security, s.secret_protection, s.block_pushes)
                });
                let status = match (code, secret) {
                    (true, true) => "on",
                    (false, false) => "off",
                    _ => "partial",
                };
                let (alerts_status, reason, open) = match state.map(|s| &s.alerts) {
                    Some(Ok(tally)) if code || secret => (
                        "read",
                        None,
                        Some(i64::try_from(tally.open).unwrap_or(i64::MAX)),
                    ),
                    Some(Err(reason)) => ("not_evaluated", Some(reason.as_str()), None),
                    _ => ("not_applicable", None, None),
                };
                states.push(
                    &ctx,
                    &[
                        head[0],
                        head[1],
                        Value::Str(Some(status)),
                        Value::Bool(Some(code)),
                        Value::Bool(Some(secret)),
                        Value::Bool(Some(block)),
                        Value::Str(Some(alerts_status)),
                        Value::Str(reason),
                        Value::Int(open),
                    ],
                )?;
            }
        }
    }
    Ok(vec![states.done()?])
}

/// Rows of `advsec_alerts`: alerts of some repositories of one organization, as the crawl
/// hands them over.
pub fn alerts(
    run_id: &str,
    connector: &str,
    organization: &str,
    repositories: &[RepositoryAlerts],
) -> Result<Batches, TableError> {
    let mut alerts = TableBuilder::new(&ADVSEC_ALERTS);
    for r in repositories {
        let ctx = RowContext {
            run_id,
            connector,
            organization,
            project: Some((&r.project_id, &r.project)),
        };
        for a in &r.alerts {
            let alert = &a.item;
            let first_seen = alert
                .first_seen_date
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_micros());
            alerts.push(
                &ctx,
                &[
                    Value::Str(Some(&r.repository_id)),
                    Value::Str(Some(&r.repository)),
                    Value::Int(Some(alert.alert_id)),
                    Value::Str(alert.alert_type.as_deref()),
                    Value::Str(alert.severity.as_deref()),
                    Value::Str(alert.state.as_deref()),
                    Value::Str(alert.title.as_deref()),
                    Value::Timestamp(first_seen),
                    Value::Str(alert.git_ref.as_deref()),
                    Value::Str(Some(&a.raw)),
                ],
            )?;
        }
    }
    Ok(vec![alerts.done()?])
}
