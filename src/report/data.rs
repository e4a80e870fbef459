//! Everything the reports show, read from the Parquet dataset with Polars: the snapshot's
//! findings, the previous snapshot's (for new / resolved), the trend over past snapshots,
//! inventory and the run's crawl health from its manifest.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::ReportError;
use crate::dataset::{Dataset, scan_files};
use crate::rules::{Rule, Severity};
use crate::tables::findings::FINDINGS;

/// One finding, with every column of the findings table (as text, in schema order: a vector,
/// not a map, because a large estate has hundreds of thousands of them). Serialized as
/// `{snapshot_date, values: {column: value}}` for the templates.
#[derive(Debug, Clone)]
pub struct FindingRow {
    pub snapshot_date: String,
    values: Vec<String>,
}

/// The findings table's column names, in schema order (the index into [`FindingRow`]).
fn finding_columns() -> &'static [&'static str] {
    static COLUMNS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| FINDINGS.all_columns().iter().map(|c| c.name).collect())
}

impl FindingRow {
    /// The value of a findings-table column ("" when null).
    pub fn get(&self, column: &str) -> &str {
        finding_columns()
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.values.get(i))
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// Report order: severity, rule, organization, project, resource name.
fn sort_key(f: &FindingRow) -> (u8, &str, &str, &str, &str) {
    (
        severity_rank(f.get("severity")),
        f.get("rule_id"),
        f.get("organization"),
        f.get("project"),
        f.get("resource_name"),
    )
}

impl Serialize for FindingRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let values: BTreeMap<&str, &str> = finding_columns()
            .iter()
            .copied()
            .zip(self.values.iter().map(String::as_str))
            .collect();
        let mut state = serializer.serialize_struct("FindingRow", 2)?;
        state.serialize_field("snapshot_date", &self.snapshot_date)?;
        state.serialize_field("values", &values)?;
        state.end()
    }
}

/// Findings counted by severity.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SeverityCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub total: u64,
}

impl SeverityCounts {
    /// Those at or above `threshold` (`--fail-on`).
    pub fn at_or_above(&self, threshold: Severity) -> u64 {
        [
            (Severity::Critical, self.critical),
            (Severity::High, self.high),
            (Severity::Medium, self.medium),
            (Severity::Low, self.low),
        ]
        .into_iter()
        .filter(|(severity, _)| *severity <= threshold)
        .map(|(_, n)| n)
        .sum()
    }

    pub fn add(&mut self, severity: &str) {
        match severity {
            "critical" => self.critical += 1,
            "high" => self.high += 1,
            "medium" => self.medium += 1,
            "low" => self.low += 1,
            _ => {}
        }
        self.total += 1;
    }
}

/// How a snapshot's findings count, the same for every output: stdout, the run manifest, the
/// scheduler's summary line, the reports and the e-mail. Open = failing (new or persisting)
/// and not exempt; an exempt failing finding counts only as exempt.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct FindingCounts {
    /// Open findings by severity (`open.total` = all open findings).
    pub open: SeverityCounts,
    /// Open and failing for the first time.
    pub new: u64,
    /// Open and failing in the previous snapshot too.
    pub persisting: u64,
    /// Failing in the previous snapshot, passing now.
    pub resolved: u64,
    /// Rows the data did not allow to evaluate (exempt or not).
    pub not_evaluated: u64,
    /// Failing findings an unexpired exemption covers.
    pub exempt: u64,
}

impl FindingCounts {
    /// Counts one row of the findings table by its `status`, `exempt` and `severity` columns:
    /// the one place that says what counts.
    pub fn add(&mut self, status: &str, exempt: bool, severity: &str) {
        match status {
            "new" | "persisting" if exempt => self.exempt += 1,
            "new" => {
                self.open.add(severity);
                self.new += 1;
            }
            "persisting" => {
                self.open.add(severity);
                self.persisting += 1;
            }
            "resolved" => self.resolved += 1,
            _ => self.not_evaluated += 1,
        }
    }

    /// The counts of a run's findings (as the job holds them before they are written).
    pub fn of(findings: &[crate::rules::Finding]) -> Self {
        let mut counts = FindingCounts::default();
        counts.add_findings(findings);
        counts
    }

    /// Counts findings as the job holds them before they are written.
    pub fn add_findings(&mut self, findings: &[crate::rules::Finding]) {
        for f in findings {
            self.add(
                f.status.as_str(),
                f.exemption.is_some(),
                f.severity.as_str(),
            );
        }
    }
}

/// One rule and how many resources fail it.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationRow {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub resource_kind: String,
    pub affected: u64,
    pub new: u64,
    pub resolved: u64,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
}

/// Findings of one organization (and project, when set).
#[derive(Debug, Clone, Serialize)]
pub struct ScopeRow {
    pub organization: String,
    pub project: String,
    pub projects: u64,
    pub repositories: u64,
    pub counts: SeverityCounts,
    pub new: u64,
    pub resolved: u64,
}

/// A repository in the inventory view, with its protection status and findings.
#[derive(Debug, Clone, Serialize)]
pub struct RepositoryRow {
    pub organization: String,
    pub project: String,
    pub repository: String,
    pub default_branch: String,
    /// `protected`, `unprotected`, `empty` or `disabled`.
    pub branch_protection: &'static str,
    /// `on`, `partial`, `off`, `not_available`, `not_evaluated`, or `unknown` (not crawled).
    pub advanced_security: String,
    pub counts: SeverityCounts,
}

/// Findings per severity on one snapshot date.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub date: String,
    pub counts: SeverityCounts,
}

/// The crawl's health, from the run manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrawlHealth {
    pub run_id: String,
    pub status: String,
    pub api_calls: u64,
    pub api_errors: u64,
    pub api_bytes: u64,
    pub api_retries: u64,
    /// Requests the service blocked (429).
    pub api_blocked: u64,
    /// Seconds of delay the service reported (X-RateLimit-Delay).
    pub api_delayed_seconds: f64,
    /// (what, how many, an example reason): resources whose data could not be read or does not exist.
    pub not_evaluated: Vec<(String, u64, String)>,
    pub not_evaluated_total: u64,
    pub organizations_ok: u64,
    pub organizations_failed: Vec<(String, String)>,
    pub rule_errors: Vec<String>,
}

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub snapshot_date: NaiveDate,
    pub previous_date: Option<NaiveDate>,
    /// Lists that can be long are left out of serialization; templates get them capped.
    #[serde(skip)]
    pub findings: Vec<FindingRow>,
    #[serde(skip)]
    pub resolved: Vec<FindingRow>,
    /// Failing findings an unexpired exemption covers (left out of every count).
    pub exempt: u64,
    /// (rule, resource) pairs the data did not allow to evaluate.
    pub not_evaluated: u64,
    pub counts: SeverityCounts,
    pub new: u64,
    pub recommendations: Vec<RecommendationRow>,
    pub organizations: Vec<ScopeRow>,
    #[serde(skip)]
    pub projects: Vec<ScopeRow>,
    #[serde(skip)]
    pub repositories: Vec<RepositoryRow>,
    pub inventory: Inventory,
    pub trend: Vec<TrendPoint>,
    pub health: CrawlHealth,
    /// The change feed of the snapshot (`changes`): what changed since the previous one.
    #[serde(skip)]
    pub changes: Vec<ChangeRow>,
    /// Open findings per owner (`finding_owners`), when the config names owners.
    #[serde(skip)]
    pub owners: Vec<OwnerRow>,
    /// Identity and access per organization (empty before the identity tables existed).
    pub identity: Vec<IdentityRow>,
}

/// Identity and access of one organization, as the report's section shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdentityRow {
    pub organization: String,
    /// Users that are people (not build or service identities, applications, managed identities).
    pub people: u64,
    pub guests: u64,
    /// People among the effective members of Project Collection Administrators.
    pub collection_administrators: u64,
    /// Open findings of the rules below, by what they say.
    pub guest_administrators: u64,
    pub inactive_administrators: u64,
    pub inactive_with_access: u64,
    /// Some identity data of the organization could not be read (see `identity_coverage`).
    pub incomplete: bool,
}

/// Which identity rules' open findings each count of [`IdentityRow`] adds up.
const IDENTITY_RULES: [(&str, &[&str]); 3] = [
    ("guest_administrators", &["ADO-IAM-003", "ADO-IAM-004"]),
    ("inactive_administrators", &["ADO-IAM-005", "ADO-IAM-006"]),
    ("inactive_with_access", &["ADO-IAM-007", "ADO-IAM-008"]),
];

/// Identity and access per organization: people, guests and collection administrators from
/// the identity tables, and the open findings of the identity rules (so inactivity is defined
/// once, by the rules).
fn identity(
    dataset: &Dataset,
    date: NaiveDate,
    findings: &[FindingRow],
) -> Result<Vec<IdentityRow>, ReportError> {
    use crate::tables::identity::{GROUP_MEMBERS, IDENTITY_COVERAGE, USERS};
    let mut rows: std::collections::BTreeMap<String, IdentityRow> = Default::default();
    fn row<'a>(
        rows: &'a mut std::collections::BTreeMap<String, IdentityRow>,
        org: &str,
    ) -> &'a mut IdentityRow {
        rows.entry(org.to_string()).or_insert_with(|| IdentityRow {
            organization: org.to_string(),
            ..Default::default()
        })
    }
    let mut services = std::collections::HashSet::new();
    for u in read_rows(
        dataset,
        USERS.name,
        date,
        &["organization", "descriptor", "is_guest", "is_service"],
    )? {
        let [org, descriptor, guest, service] = u.as_slice() else {
            continue;
        };
        let r = row(&mut rows, org);
        if service == "true" {
            services.insert((org.clone(), descriptor.clone()));
            continue;
        }
        r.people += 1;
        r.guests += u64::from(guest == "true");
    }
    for m in read_rows(
        dataset,
        GROUP_MEMBERS.name,
        date,
        &[
            "organization",
            "well_known",
            "member_descriptor",
            "member_kind",
        ],
    )? {
        let [org, group, member, kind] = m.as_slice() else {
            continue;
        };
        if group == "project_collection_administrators"
            && kind == "user"
            && !services.contains(&(org.clone(), member.clone()))
        {
            row(&mut rows, org).collection_administrators += 1;
        }
    }
    for c in read_rows(
        dataset,
        IDENTITY_COVERAGE.name,
        date,
        &["organization", "status"],
    )? {
        if let [org, status] = c.as_slice() {
            row(&mut rows, org).incomplete |= status != "read";
        }
    }
    for f in findings {
        let Some((field, _)) = IDENTITY_RULES
            .iter()
            .find(|(_, rules)| rules.contains(&f.get("rule_id")))
        else {
            continue;
        };
        let r = row(&mut rows, f.get("organization"));
        match *field {
            "guest_administrators" => r.guest_administrators += 1,
            "inactive_administrators" => r.inactive_administrators += 1,
            _ => r.inactive_with_access += 1,
        }
    }
    Ok(rows.into_values().collect())
}

/// One owner's open findings.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub owner_email: String,
    pub counts: SeverityCounts,
    pub new: u64,
}

/// Open findings per owner of the snapshot, in team order (empty without `finding_owners`).
fn owners(dataset: &Dataset, date: NaiveDate) -> Result<Vec<OwnerRow>, ReportError> {
    let rows = read_rows(
        dataset,
        crate::tables::findings::FINDING_OWNERS.name,
        date,
        &["owner", "owner_email", "severity", "status", "exempt"],
    )?;
    let mut by_owner: std::collections::BTreeMap<(String, String), OwnerRow> =
        std::collections::BTreeMap::new();
    for r in rows {
        let cell = |i: usize| r.get(i).cloned().unwrap_or_default();
        let status = cell(3);
        if !matches!(status.as_str(), "new" | "persisting") || cell(4) == "true" {
            continue;
        }
        let row = by_owner
            .entry((cell(0), cell(1)))
            .or_insert_with(|| OwnerRow {
                owner: cell(0),
                owner_email: cell(1),
                counts: SeverityCounts::default(),
                new: 0,
            });
        row.counts.add(&cell(2));
        row.new += u64::from(status == "new");
    }
    Ok(by_owner.into_values().collect())
}

/// One row of the change feed, as the report and the e-mail show it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    pub table: String,
    pub organization: String,
    pub project: String,
    pub resource: String,
    pub change: String,
    pub attribute: String,
    pub before: String,
    pub after: String,
}

/// The snapshot's change feed (empty before the `changes` table existed).
fn changes(dataset: &Dataset, date: NaiveDate) -> Result<Vec<ChangeRow>, ReportError> {
    let rows = read_rows(
        dataset,
        crate::tables::findings::CHANGES.name,
        date,
        &[
            "table_name",
            "organization",
            "project",
            "resource_name",
            "resource_key",
            "change",
            "attribute",
            "before",
            "after",
        ],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().unwrap_or_default();
            let name = cell(3);
            ChangeRow {
                table: cell(0).replace('_', " "),
                organization: cell(1),
                project: cell(2),
                resource: if name.is_empty() { cell(4) } else { name },
                change: cell(5),
                attribute: cell(6).replace('_', " "),
                before: cell(7),
                after: cell(8),
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub organizations: u64,
    pub projects: u64,
    pub repositories: u64,
    pub repositories_protected: u64,
    /// Repositories with Advanced Security on (fully or partly).
    pub repositories_advanced_security: u64,
    /// Repositories whose Advanced Security could not be read or does not exist.
    pub repositories_advanced_security_unknown: u64,
}

/// How many past snapshots the trend shows.
const TREND_SNAPSHOTS: usize = 60;

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

/// Every column of a partition's table as strings, row by row.
fn read_rows(
    dataset: &Dataset,
    table: &str,
    date: NaiveDate,
    columns: &[&str],
) -> Result<Vec<Vec<String>>, ReportError> {
    let files = dataset.partition_files(table, date)?;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let df = scan_files(&files)?
        .select(
            columns
                .iter()
                .map(|c| col(*c).cast(DataType::String))
                .collect::<Vec<_>>(),
        )
        .collect()?;
    let cols = columns
        .iter()
        .map(|c| Ok(df.column(c)?.str()?.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..df.height())
        .map(|i| {
            cols.iter()
                .map(|c| c.get(i).unwrap_or_default().to_string())
                .collect()
        })
        .collect())
}

/// Rows of the findings table that count: failing (new or persisting) and not exempt.
pub fn open_findings() -> Expr {
    col("status")
        .eq(lit("new"))
        .or(col("status").eq(lit("persisting")))
        .and(col("exempt").not())
}

/// The snapshot's findings that the report shows: open, exempt and resolved ones (the
/// not-evaluated rows are only counted), sorted by severity, rule, organization, project and
/// resource name; and how many rows were not evaluated.
fn read_findings(
    dataset: &Dataset,
    date: NaiveDate,
) -> Result<(Vec<FindingRow>, u64), ReportError> {
    let files = dataset.partition_files(FINDINGS.name, date)?;
    if files.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let columns = finding_columns();
    let frame = scan_files(&files)?;
    let not_evaluated = frame
        .clone()
        .filter(col("status").eq(lit("not_evaluated")))
        .select([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let not_evaluated = not_evaluated.column("n")?.u64()?.get(0).unwrap_or(0);
    let df = frame
        .filter(col("status").neq(lit("not_evaluated")))
        .select(
            columns
                .iter()
                .map(|c| col(*c).cast(DataType::String))
                .collect::<Vec<_>>(),
        )
        .collect()?;
    let cols = columns
        .iter()
        .map(|c| Ok(df.column(c)?.str()?.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let snapshot_date = date.to_string();
    let mut rows: Vec<FindingRow> = (0..df.height())
        .map(|i| FindingRow {
            snapshot_date: snapshot_date.clone(),
            values: cols
                .iter()
                .map(|c| c.get(i).unwrap_or_default().to_string())
                .collect(),
        })
        .collect();
    drop(cols);
    drop(df);
    // Borrowed keys: no allocation per comparison.
    rows.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    Ok((rows, not_evaluated))
}

impl ReportData {
    /// Reads the snapshot of `date` (and its history) from the dataset.
    pub fn read(dataset: &Dataset, date: NaiveDate, rules: &[Rule]) -> Result<Self, ReportError> {
        if dataset.partition_files(FINDINGS.name, date)?.is_empty() {
            return Err(ReportError::NoFindings(date));
        }
        let dates = dataset.snapshot_dates(FINDINGS.name)?;
        let previous_date = dates.iter().copied().rfind(|d| *d < date);
        // The findings table holds open, exempt, not-evaluated and resolved rows: the report's
        // findings are the open ones; resolved rows were set against the previous snapshot
        // when the snapshot was evaluated.
        let (all, not_evaluated) = read_findings(dataset, date)?;
        let mut tally = FindingCounts {
            not_evaluated,
            ..Default::default()
        };
        let (mut findings, mut resolved) = (Vec::new(), Vec::new());
        for f in all {
            let exempt = f.get("exempt") == "true";
            tally.add(f.get("status"), exempt, f.get("severity"));
            match f.get("status") {
                "resolved" => resolved.push(f),
                _ if exempt => {}
                _ => findings.push(f),
            }
        }

        let recommendations = recommendations(dataset, date, rules, &resolved)?;
        let (organizations, projects) = scopes(dataset, date, &findings, &resolved)?;
        let (repositories, inventory) = repositories(dataset, date, &findings)?;
        let trend = trend(dataset, &dates, date)?;
        let health = health(dataset, date)?;
        let changes = changes(dataset, date)?;
        let owners = owners(dataset, date)?;
        let identity = identity(dataset, date, &findings)?;
        Ok(ReportData {
            snapshot_date: date,
            previous_date,
            findings,
            resolved,
            exempt: tally.exempt,
            not_evaluated,
            counts: tally.open,
            new: tally.new,
            recommendations,
            organizations,
            projects,
            repositories,
            inventory,
            trend,
            health,
            changes,
            owners,
            identity,
        })
    }
}

/// One row per rule of the catalog (zero when nothing fails it), counted with Polars.
fn recommendations(
    dataset: &Dataset,
    date: NaiveDate,
    rules: &[Rule],
    resolved: &[FindingRow],
) -> Result<Vec<RecommendationRow>, ReportError> {
    let files = dataset.partition_files(FINDINGS.name, date)?;
    let counts = scan_files(&files)?
        .filter(open_findings())
        .group_by([col("rule_id")])
        .agg([
            len().cast(DataType::UInt64).alias("affected"),
            col("status")
                .eq(lit("new"))
                .cast(DataType::UInt64)
                .sum()
                .alias("new"),
        ])
        .collect()?;
    let ids = counts.column("rule_id")?.str()?.clone();
    let affected = counts.column("affected")?.u64()?.clone();
    let new = counts.column("new")?.u64()?.clone();
    let by_rule: HashMap<&str, (u64, u64)> = (0..counts.height())
        .filter_map(|i| {
            Some((
                ids.get(i)?,
                (affected.get(i).unwrap_or(0), new.get(i).unwrap_or(0)),
            ))
        })
        .collect();
    let mut rows: Vec<RecommendationRow> = rules
        .iter()
        .map(|r| {
            let (affected, new) = by_rule.get(r.id.as_str()).copied().unwrap_or((0, 0));
            RecommendationRow {
                rule_id: r.id.clone(),
                severity: r.severity,
                title: r.title.clone(),
                resource_kind: r.resource_kind.clone(),
                affected,
                new,
                resolved: resolved.iter().filter(|f| f.get("rule_id") == r.id).count() as u64,
                description: r.description.clone(),
                remediation: r.remediation.clone(),
                references: r.references.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.severity, std::cmp::Reverse(a.affected), &a.rule_id).cmp(&(
            b.severity,
            std::cmp::Reverse(b.affected),
            &b.rule_id,
        ))
    });
    Ok(rows)
}

/// Per organization and per project: inventory sizes and findings.
fn scopes(
    dataset: &Dataset,
    date: NaiveDate,
    findings: &[FindingRow],
    resolved: &[FindingRow],
) -> Result<(Vec<ScopeRow>, Vec<ScopeRow>), ReportError> {
    let mut orgs: BTreeMap<String, ScopeRow> = BTreeMap::new();
    let mut projects: BTreeMap<(String, String), ScopeRow> = BTreeMap::new();
    let empty = |organization: &str, project: &str| ScopeRow {
        organization: organization.to_string(),
        project: project.to_string(),
        projects: 0,
        repositories: 0,
        counts: SeverityCounts::default(),
        new: 0,
        resolved: 0,
    };
    for row in read_rows(dataset, "organizations", date, &["organization"])? {
        orgs.entry(row[0].clone())
            .or_insert_with(|| empty(&row[0], ""));
    }
    for row in read_rows(dataset, "projects", date, &["organization", "project"])? {
        orgs.entry(row[0].clone())
            .or_insert_with(|| empty(&row[0], ""))
            .projects += 1;
        projects
            .entry((row[0].clone(), row[1].clone()))
            .or_insert_with(|| empty(&row[0], &row[1]))
            .projects = 1;
    }
    for row in read_rows(dataset, "repositories", date, &["organization", "project"])? {
        orgs.entry(row[0].clone())
            .or_insert_with(|| empty(&row[0], ""))
            .repositories += 1;
        projects
            .entry((row[0].clone(), row[1].clone()))
            .or_insert_with(|| empty(&row[0], &row[1]))
            .repositories += 1;
    }
    for f in findings {
        let (o, p) = (f.get("organization"), f.get("project"));
        let org = orgs.entry(o.to_string()).or_insert_with(|| empty(o, ""));
        org.counts.add(f.get("severity"));
        let project = projects
            .entry((o.to_string(), p.to_string()))
            .or_insert_with(|| empty(o, p));
        project.counts.add(f.get("severity"));
        if f.get("status") == "new" {
            org.new += 1;
            project.new += 1;
        }
    }
    for f in resolved {
        let (o, p) = (f.get("organization"), f.get("project"));
        orgs.entry(o.to_string())
            .or_insert_with(|| empty(o, ""))
            .resolved += 1;
        projects
            .entry((o.to_string(), p.to_string()))
            .or_insert_with(|| empty(o, p))
            .resolved += 1;
    }
    let mut projects: Vec<ScopeRow> = projects.into_values().collect();
    projects.sort_by(|a, b| {
        (
            std::cmp::Reverse((a.counts.critical, a.counts.high, a.counts.total)),
            &a.organization,
            &a.project,
        )
            .cmp(&(
                std::cmp::Reverse((b.counts.critical, b.counts.high, b.counts.total)),
                &b.organization,
                &b.project,
            ))
    });
    Ok((orgs.into_values().collect(), projects))
}

/// The inventory view: every repository with its default-branch protection and findings. The
/// counts come from the inventory tables, never from findings (an organization-level finding
/// names no project, and must not add one).
fn repositories(
    dataset: &Dataset,
    date: NaiveDate,
    findings: &[FindingRow],
) -> Result<(Vec<RepositoryRow>, Inventory), ReportError> {
    let mut by_repo: HashMap<(&str, &str, &str), (SeverityCounts, bool)> = HashMap::new();
    for f in findings
        .iter()
        .filter(|f| f.get("resource_kind") == "repository")
    {
        let entry = by_repo
            .entry((
                f.get("connector"),
                f.get("organization"),
                f.get("resource_id"),
            ))
            .or_default();
        entry.0.add(f.get("severity"));
        // Branch protection is what ADO-REPO-001 checks: at least two reviewers on the default branch.
        entry.1 |= f.get("rule_id") == "ADO-REPO-001";
    }
    let advsec: HashMap<(String, String, String), String> = read_rows(
        dataset,
        "advanced_security",
        date,
        &["connector", "organization", "repository_id", "status"],
    )?
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone(), r[2].clone()), r[3].clone()))
    .collect();
    let columns = [
        "connector",
        "organization",
        "project",
        "repository_id",
        "repository",
        "default_branch",
        "is_disabled",
    ];
    let mut rows = Vec::new();
    let mut inventory = Inventory {
        organizations: read_rows(dataset, "organizations", date, &["organization"])?.len() as u64,
        projects: read_rows(dataset, "projects", date, &["project"])?.len() as u64,
        ..Default::default()
    };
    for r in read_rows(dataset, "repositories", date, &columns)? {
        let (counts, unprotected) = by_repo
            .get(&(r[0].as_str(), r[1].as_str(), r[3].as_str()))
            .copied()
            .unwrap_or_default();
        let branch_protection = if r[6] == "true" {
            "disabled"
        } else if r[5].is_empty() {
            "empty"
        } else if unprotected {
            "unprotected"
        } else {
            "protected"
        };
        let advanced_security = advsec
            .get(&(r[0].clone(), r[1].clone(), r[3].clone()))
            .cloned()
            .unwrap_or_else(|| "unknown".to_string());
        inventory.repositories += 1;
        if branch_protection == "protected" {
            inventory.repositories_protected += 1;
        }
        match advanced_security.as_str() {
            "on" | "partial" => inventory.repositories_advanced_security += 1,
            "off" => {}
            _ => inventory.repositories_advanced_security_unknown += 1,
        }
        rows.push(RepositoryRow {
            organization: r[1].clone(),
            project: r[2].clone(),
            repository: r[4].clone(),
            default_branch: r[5].clone(),
            branch_protection,
            advanced_security,
            counts,
        });
    }
    rows.sort_by(|a, b| {
        (
            std::cmp::Reverse((a.counts.critical, a.counts.high, a.counts.total)),
            &a.organization,
            &a.project,
            &a.repository,
        )
            .cmp(&(
                std::cmp::Reverse((b.counts.critical, b.counts.high, b.counts.total)),
                &b.organization,
                &b.project,
                &b.repository,
            ))
    });
    Ok((rows, inventory))
}

/// Findings per severity on each of the last snapshots up to `date`, counted with Polars.
fn trend(
    dataset: &Dataset,
    dates: &[NaiveDate],
    date: NaiveDate,
) -> Result<Vec<TrendPoint>, ReportError> {
    let upto: Vec<NaiveDate> = dates.iter().copied().filter(|d| *d <= date).collect();
    let recent = &upto[upto.len().saturating_sub(TREND_SNAPSHOTS)..];
    let mut points = Vec::with_capacity(recent.len());
    for d in recent {
        let files = dataset.partition_files(FINDINGS.name, *d)?;
        if files.is_empty() {
            continue;
        }
        let df = scan_files(&files)?
            .filter(open_findings())
            .group_by([col("severity")])
            .agg([len().cast(DataType::UInt64).alias("n")])
            .collect()?;
        let severities = df.column("severity")?.str()?.clone();
        let n = df.column("n")?.u64()?.clone();
        let mut counts = SeverityCounts::default();
        for i in 0..df.height() {
            let k = n.get(i).unwrap_or(0);
            match severities.get(i) {
                Some("critical") => counts.critical += k,
                Some("high") => counts.high += k,
                Some("medium") => counts.medium += k,
                Some("low") => counts.low += k,
                _ => {}
            }
            counts.total += k;
        }
        points.push(TrendPoint {
            date: d.to_string(),
            counts,
        });
    }
    Ok(points)
}

/// What could not be evaluated, grouped by what, with one reason as an example: Advanced
/// Security (not available on Server, 403), its alerts (403), pipeline settings (404, 403).
fn not_evaluated(
    dataset: &Dataset,
    date: NaiveDate,
) -> Result<Vec<(String, u64, String)>, ReportError> {
    let mut groups: BTreeMap<String, (u64, String)> = BTreeMap::new();
    // The example reason is the smallest, so the report does not depend on row order.
    let mut add = |what: String, why: &str| {
        let entry = groups.entry(what).or_insert_with(|| (0, why.to_string()));
        entry.0 += 1;
        if why < entry.1.as_str() {
            entry.1 = why.to_string();
        }
    };
    for r in read_rows(
        dataset,
        "advanced_security",
        date,
        &["status", "alerts_status", "alerts_reason"],
    )? {
        if r[0] == "not_available" || r[0] == "not_evaluated" {
            add(
                format!("repositories: Advanced Security {}", r[0].replace('_', " ")),
                &r[2],
            );
        } else if r[1] == "not_evaluated" {
            add(
                "repositories: Advanced Security alerts not evaluated".into(),
                &r[2],
            );
        }
    }
    for r in read_rows(dataset, "pipeline_settings", date, &["status", "reason"])? {
        if r[0] != "read" {
            add(
                format!("projects: pipeline settings {}", r[0].replace('_', " ")),
                &r[1],
            );
        }
    }
    for r in read_rows(
        dataset,
        "crawl_coverage",
        date,
        &["resource_kind", "status", "reason"],
    )? {
        if r[1] != "read" {
            add(
                format!(
                    "projects: {} {}",
                    r[0].replace('_', " "),
                    r[1].replace('_', " ")
                ),
                &r[2],
            );
        }
    }
    for r in read_rows(
        dataset,
        "organization_policies",
        date,
        &["policy", "status", "reason"],
    )? {
        if r[1] != "read" {
            add(
                format!("organizations: {} {}", r[0], r[1].replace('_', " ")),
                &r[2],
            );
        }
    }
    Ok(groups
        .into_iter()
        .map(|(what, (n, why))| (what, n, why))
        .collect())
}

/// The manifest of the run that wrote the snapshot (found through the organizations table).
fn health(dataset: &Dataset, date: NaiveDate) -> Result<CrawlHealth, ReportError> {
    let Some(run_id) = read_rows(dataset, "organizations", date, &["run_id"])?
        .into_iter()
        .next()
        .map(|r| r[0].clone())
    else {
        return Ok(CrawlHealth::default());
    };
    let path: PathBuf = dataset.root().join("_runs").join(format!("{run_id}.json"));
    let Some(manifest) = crate::dataset::manifest::RunManifest::read(&path) else {
        return Ok(CrawlHealth {
            run_id,
            status: "unknown (no manifest)".into(),
            ..Default::default()
        });
    };
    let mut health = CrawlHealth {
        run_id,
        status: if manifest.status.is_empty() {
            "unknown".to_string()
        } else {
            manifest.status.clone()
        },
        ..Default::default()
    };
    for endpoint in manifest.api.values() {
        health.api_calls += endpoint.calls;
        health.api_errors += endpoint.errors;
        health.api_bytes += endpoint.bytes;
        health.api_retries += endpoint.retries;
        health.api_blocked += endpoint.blocked;
        health.api_delayed_seconds += endpoint.delayed_seconds;
    }
    health.not_evaluated = not_evaluated(dataset, date)?;
    health.not_evaluated_total = health.not_evaluated.iter().map(|n| n.1).sum();
    for org in &manifest.organizations {
        if org.status == "ok" {
            health.organizations_ok += 1;
        } else {
            health.organizations_failed.push((
                org.organization
                    .clone()
                    .unwrap_or_else(|| "(discovery)".to_string()),
                org.error.clone().unwrap_or_default(),
            ));
        }
    }
    health.rule_errors = manifest.rule_errors.clone();
    Ok(health)
}
