//! The run's own tables: findings (one row per (rule, resource) failing a recommendation) and
//! crawl_errors (what could not be read).

use super::ColumnType::{Boolean, Date, Int64, TimestampUtc, Utf8};
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate, Utc};

use super::{
    Batches, RowContext, TableBuilder, TableDef, TableError, TableRole, Value, optional, required,
};
use crate::crawl::{CrawlError, OrganizationInventory};
use crate::rules::{self, Finding};

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[
    &FINDINGS,
    &FINDING_OWNERS,
    &CRAWL_ERRORS,
    &CRAWL_COVERAGE,
    &RUNS,
    &CHANGES,
];

pub const FINDINGS: TableDef = TableDef {
    name: "findings",
    doc: "One row per (rule, resource) that fails a recommendation in the snapshot, could not be evaluated, or was failing in the previous snapshot and no longer is (`resolved`).",
    project_scoped: false,
    role: TableRole::Findings,
    watch: None,
    columns: &[
        optional(
            "project_id",
            Utf8,
            "Project id (GUID); null for organization-level recommendations.",
        ),
        optional(
            "project",
            Utf8,
            "Project name; null for organization-level recommendations.",
        ),
        required(
            "finding_id",
            Utf8,
            "Stable id of the (rule, resource) pair: `<rule_id>:<connector>/<organization>/<resource_id>`; the same across snapshots.",
        ),
        required(
            "rule_id",
            Utf8,
            "Id of the recommendation, e.g. `ADO-REPO-001`.",
        ),
        required("severity", Utf8, "`high`, `medium` or `low`."),
        required("title", Utf8, "Title of the recommendation."),
        required(
            "resource_kind",
            Utf8,
            "Kind of the resource, e.g. `repository`, `pipeline`, `project`, `organization`.",
        ),
        required(
            "resource_id",
            Utf8,
            "Id of the resource (for project-scoped kinds whose ids repeat across projects: `<project_id>/<id>`).",
        ),
        required("resource_name", Utf8, "Name of the resource."),
        required(
            "status",
            Utf8,
            "`new` (failing, and not failing in the previous snapshot), `persisting` (failing in both), `resolved` (failing in the previous snapshot, passing now) or `not_evaluated` (the data could not be read: see `details`). Open findings are `new` and `persisting` rows with `exempt` false.",
        ),
        required(
            "details",
            Utf8,
            "Why the resource fails, or why it could not be evaluated, in one sentence.",
        ),
        required(
            "first_seen",
            Date,
            "Snapshot date the finding was first seen failing without a break (for `resolved` rows: when it started).",
        ),
        required(
            "exempt",
            Boolean,
            "Whether an unexpired exemption in the config covers the finding (exempt findings are left out of counts and `--fail-on`).",
        ),
        optional(
            "exemption_reason",
            Utf8,
            "The exemption's reason, when exempt.",
        ),
        optional(
            "exemption_expires",
            Date,
            "Last day the exemption applies, when exempt.",
        ),
    ],
};

/// Parts of the estate a run could not read: an organization that failed, or discovery.
pub const CRAWL_ERRORS: TableDef = TableDef {
    name: "crawl_errors",
    doc: "One row per part of the estate the run could not read (after retries); its data is missing from this snapshot.",
    project_scoped: false,
    role: TableRole::CrawlGaps,
    watch: None,
    columns: &[
        required(
            "kind",
            Utf8,
            "`unauthorized`, `forbidden`, `not_found`, `http_status`, `transport`, `decode`, `repeated_continuation_token`, `client` or `internal`.",
        ),
        optional(
            "http_status",
            Int64,
            "HTTP status of the last answer, when the server answered.",
        ),
        optional(
            "url",
            Utf8,
            "The request that failed (no credentials are ever in URLs).",
        ),
        required("message", Utf8, "What went wrong, as printed by the run."),
    ],
};

/// Which resource kinds of each project could be read: what is missing from a snapshot because
/// the identity may not read it (403) or the deployment lacks the API (404) is here, never
/// silently empty.
pub const CRAWL_COVERAGE: TableDef = TableDef {
    name: "crawl_coverage",
    doc: "One row per (project, resource kind) the crawl reads: whether it was read, not evaluated (403) or not available (404).",
    project_scoped: true,
    role: TableRole::CrawlGaps,
    watch: None,
    columns: &[
        required(
            "resource_kind",
            Utf8,
            "The table the resource kind fills, e.g. `service_connections`.",
        ),
        super::COVERAGE_STATUS,
        super::COVERAGE_REASON,
    ],
};

/// The history of runs, queryable beside the data: one row per organization a run attempted.
pub const RUNS: TableDef = TableDef {
    name: "runs",
    doc: "One row per (run, organization) the run attempted: whether it was crawled, and the run's own figures (the JSON manifest in `_runs/` has the API statistics too).",
    project_scoped: false,
    role: TableRole::Runs,
    watch: None,
    columns: &[
        required("started_at", TimestampUtc, "When the run started."),
        required(
            "committed_at",
            TimestampUtc,
            "When the run committed its snapshot.",
        ),
        required(
            "run_status",
            Utf8,
            "`success`, or `partial` when some organizations or rules failed.",
        ),
        required(
            "organization_status",
            Utf8,
            "`ok` (crawled and written) or `failed` (see `error`; its data is missing from the snapshot).",
        ),
        optional(
            "deployment",
            Utf8,
            "`services` or `server`, for crawled organizations.",
        ),
        optional(
            "api_version",
            Utf8,
            "REST API version negotiated with an Azure DevOps Server, when lower than the default.",
        ),
        optional("projects", Int64, "Projects crawled."),
        optional("repositories", Int64, "Repositories crawled."),
        optional(
            "error_kind",
            Utf8,
            "Kind of the failure (as in crawl_errors).",
        ),
        optional("error", Utf8, "Why the organization failed."),
        required(
            "api_calls",
            Int64,
            "API calls the whole run made (every organization).",
        ),
        required(
            "open_findings",
            Int64,
            "Open (failing, not exempt) findings of the whole run.",
        ),
        required("tool_version", Utf8, "ado-posture version that ran."),
    ],
};

pub const FINDING_OWNERS: TableDef = TableDef {
    name: "finding_owners",
    doc: "Who owns each finding of the snapshot, from the config's `[[owner]]` entries (the first whose patterns match its `organization/project/resource`); a finding no entry matches has no row. Join on `finding_id`.",
    project_scoped: false,
    role: TableRole::Findings,
    watch: None,
    columns: &[
        required("finding_id", Utf8, "The finding (`findings.finding_id`)."),
        required("rule_id", Utf8, "Its rule."),
        optional("project", Utf8, "Its project, when it has one."),
        required("resource_name", Utf8, "Its resource."),
        required("severity", Utf8, "Its severity."),
        required(
            "status",
            Utf8,
            "Its status in the snapshot (`new`, `persisting`, `resolved`, `not_evaluated`).",
        ),
        required("exempt", Boolean, "Whether an exemption covers it."),
        required("owner", Utf8, "The owning team (`[[owner]] team`)."),
        required("owner_email", Utf8, "Its address (`[[owner]] email`)."),
    ],
};

pub const CHANGES: TableDef = TableDef {
    name: "changes",
    doc: "The change feed: every security-relevant change of the estate since the previous snapshot, one row per resource added or removed and per watched attribute that changed, with its value before and after. The watched attributes of each table are declared beside it (`Watch` in `src/tables/`); `ado-posture schema` lists them. Empty on the first snapshot.",
    project_scoped: false,
    role: TableRole::Changes,
    watch: None,
    columns: &[
        required("table_name", Utf8, "The table whose resource changed."),
        required(
            "resource_key",
            Utf8,
            "The resource's key in that table (its key columns joined with `/`; a project's id for a per-project table such as pipeline_settings).",
        ),
        optional(
            "resource_name",
            Utf8,
            "Its name (the latest one for a change).",
        ),
        optional(
            "project_id",
            Utf8,
            "Its project, for a project-scoped table.",
        ),
        optional("project", Utf8, "That project's name."),
        required("change", Utf8, "`added`, `removed` or `modified`."),
        optional(
            "attribute",
            Utf8,
            "For `modified`: the watched column that changed.",
        ),
        optional(
            "before",
            Utf8,
            "Its value in the previous snapshot, as text.",
        ),
        optional("after", Utf8, "Its value now, as text."),
        required(
            "previous_snapshot_date",
            Date,
            "The snapshot compared with.",
        ),
    ],
};

/// One organization's rows of `crawl_coverage`: what each project's crawl read or could not.
pub fn coverage(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let mut builder = TableBuilder::new(&CRAWL_COVERAGE);
    {
        for project in &org.libraries {
            let ctx = RowContext::of_project(run_id, org, project);
            for c in &project.coverage {
                builder.push(
                    &ctx,
                    &[
                        Value::Str(Some(c.table)),
                        Value::Str(Some(c.status)),
                        Value::Str(c.reason.as_deref()),
                    ],
                )?;
            }
        }
    }
    Ok(vec![builder.done()?])
}

/// The run's `crawl_errors` rows.
pub fn crawl_errors(run_id: &str, errors: &[CrawlError]) -> Result<RecordBatch, TableError> {
    let mut builder = TableBuilder::new(&CRAWL_ERRORS);
    for e in errors {
        let ctx = RowContext {
            run_id,
            connector: &e.connector,
            organization: e.organization.as_deref().unwrap_or("(discovery)"),
            project: None,
        };
        builder.push(
            &ctx,
            &[
                Value::Str(Some(&e.kind)),
                Value::Int(e.status.map(i64::from)),
                Value::Str(e.url.as_deref()),
                Value::Str(Some(&e.message)),
            ],
        )?;
    }
    builder.finish()
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The run's `findings` rows.
pub fn findings(run_id: &str, findings: &[Finding]) -> Result<RecordBatch, TableError> {
    let mut builder = TableBuilder::new(&FINDINGS);
    let days = |d: NaiveDate| d.num_days_from_ce() - rules::history::UNIX_EPOCH_DAYS_FROM_CE;
    for f in findings {
        let ctx = RowContext::of_finding(run_id, f);
        builder.push(
            &ctx,
            &[
                Value::Str(non_empty(&f.project_id)),
                Value::Str(non_empty(&f.project)),
                Value::Str(Some(&f.finding_id)),
                Value::Str(Some(&f.rule_id)),
                Value::Str(Some(f.severity.as_str())),
                Value::Str(Some(&f.title)),
                Value::Str(Some(&f.resource_kind)),
                Value::Str(Some(&f.resource_id)),
                Value::Str(Some(&f.resource_name)),
                Value::Str(Some(f.status.as_str())),
                Value::Str(Some(&f.details)),
                Value::Date(Some(days(f.first_seen))),
                Value::Bool(Some(f.exemption.is_some())),
                Value::Str(f.exemption.as_ref().map(|e| e.0.as_str())),
                Value::Date(f.exemption.as_ref().map(|e| days(e.1))),
            ],
        )?;
    }
    builder.finish()
}

/// The run-level figures of the runs table.
pub struct RunRow<'a> {
    pub run_id: &'a str,
    pub started_at: chrono::DateTime<Utc>,
    pub status: &'static str,
    pub api_calls: u64,
    pub open_findings: usize,
}

/// One row per organization the run attempted, crawled or failed.
pub fn runs(
    run: &RunRow<'_>,
    crawled: &[CrawledOrganization],
    errors: &[CrawlError],
) -> Result<RecordBatch, TableError> {
    let mut builder = TableBuilder::new(&RUNS);
    let micros = |t: chrono::DateTime<Utc>| Some(t.timestamp_micros());
    let committed_at = Utc::now();
    let common = |row: &mut Vec<Value<'_>>| {
        row.push(Value::Int(Some(run.api_calls as i64)));
        row.push(Value::Int(Some(run.open_findings as i64)));
        row.push(Value::Str(Some(env!("CARGO_PKG_VERSION"))));
    };
    for o in crawled {
        let mut row = vec![
            Value::Timestamp(micros(run.started_at)),
            Value::Timestamp(micros(committed_at)),
            Value::Str(Some(run.status)),
            Value::Str(Some("ok")),
            Value::Str(Some(o.deployment)),
            Value::Str(o.api_version.as_deref()),
            Value::Int(Some(o.projects as i64)),
            Value::Int(Some(o.repositories as i64)),
            Value::Str(None),
            Value::Str(None),
        ];
        common(&mut row);
        let ctx = RowContext {
            run_id: run.run_id,
            connector: &o.connector,
            organization: &o.organization,
            project: None,
        };
        builder.push(&ctx, &row)?;
    }
    for e in errors {
        let mut row = vec![
            Value::Timestamp(micros(run.started_at)),
            Value::Timestamp(micros(committed_at)),
            Value::Str(Some(run.status)),
            Value::Str(Some("failed")),
            Value::Str(None),
            Value::Str(None),
            Value::Int(None),
            Value::Int(None),
            Value::Str(Some(&e.kind)),
            Value::Str(Some(&e.message)),
        ];
        common(&mut row);
        let ctx = RowContext {
            run_id: run.run_id,
            connector: &e.connector,
            organization: e.organization.as_deref().unwrap_or("(discovery)"),
            project: None,
        };
        builder.push(&ctx, &row)?;
    }
    builder.finish()
}

/// What the manifest says about one crawled organization.
pub struct CrawledOrganization {
    pub connector: String,
    pub organization: String,
    pub deployment: &'static str,
    pub api_version: Option<String>,
    pub projects: usize,
    pub repositories: usize,
}

impl CrawledOrganization {
    pub fn of(org: &OrganizationInventory) -> Self {
        CrawledOrganization {
            connector: org.connector.clone(),
            organization: org.organization.clone(),
            deployment: org.deployment.as_str(),
            api_version: org.api_version.clone(),
            projects: org.projects.len(),
            repositories: org.repository_refs.len(),
        }
    }
}

/// The run's `finding_owners` rows: each finding an `[[owner]]` entry owns.
pub fn finding_owners(
    run_id: &str,
    findings: &[Finding],
    owners: &[rules::Owner],
) -> Result<RecordBatch, TableError> {
    let mut builder = TableBuilder::new(&FINDING_OWNERS);
    for f in findings {
        let Some(owner) = rules::owners::owner_of(owners, f) else {
            continue;
        };
        let ctx = RowContext::of_finding(run_id, f);
        builder.push(
            &ctx,
            &[
                Value::Str(Some(&f.finding_id)),
                Value::Str(Some(&f.rule_id)),
                Value::Str(non_empty(&f.project)),
                Value::Str(Some(&f.resource_name)),
                Value::Str(Some(f.severity.as_str())),
                Value::Str(Some(f.status.as_str())),
                Value::Bool(Some(f.exemption.is_some())),
                Value::Str(Some(&owner.team)),
                Value::Str(Some(&owner.email)),
            ],
        )?;
    }
    builder.finish()
}
