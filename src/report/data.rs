//! Everything the reports show, read from the Parquet dataset with Polars: the snapshot's
//! findings, the previous snapshot's (for new / resolved), the trend over past snapshots,
//! inventory and the run's crawl health from its manifest.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use super::ReportError;
pub use super::finding_rows::{FindingList, OrderedFindings};
use crate::dataset::{Dataset, scan_files};
use crate::rules::{Rule, Severity};
use crate::tables::findings::FINDINGS;

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
        self.add_n(severity, 1);
    }

    pub fn add_n(&mut self, severity: &str, n: u64) {
        match severity {
            "critical" => self.critical += n,
            "high" => self.high += n,
            "medium" => self.medium += n,
            "low" => self.low += n,
            _ => {}
        }
        self.total += n;
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
        self.add_n(status, exempt, severity, 1);
    }

    /// [`FindingCounts::add`] for `n` rows alike.
    pub fn add_n(&mut self, status: &str, exempt: bool, severity: &str, n: u64) {
        match status {
            "new" | "persisting" if exempt => self.exempt += n,
            "new" => {
                self.open.add_n(severity, n);
                self.new += n;
            }
            "persisting" => {
                self.open.add_n(severity, n);
                self.persisting += n;
            }
            "resolved" => self.resolved += n,
            _ => self.not_evaluated += n,
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
    /// The snapshot's findings, read in report order one rule at a time (findings.csv).
    #[serde(skip)]
    pub findings: OrderedFindings,
    /// The first open findings of each severity (critical, high, medium, low).
    #[serde(skip)]
    pub by_severity: Vec<(&'static str, FindingList)>,
    /// The first findings resolved since the previous snapshot.
    #[serde(skip)]
    pub resolved: FindingList,
    /// The first new critical and high findings (the e-mail).
    #[serde(skip)]
    pub new_high: FindingList,
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
fn identity(dataset: &Dataset, date: NaiveDate) -> Result<Vec<IdentityRow>, ReportError> {
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
    let identity_rules = IDENTITY_RULES
        .iter()
        .flat_map(|(_, rules)| rules.iter())
        .fold(lit(false), |any, rule| {
            any.or(col("rule_id").eq(lit(*rule)))
        });
    let open = open_counts(dataset, date, identity_rules, &["organization", "rule_id"])?;
    let n = counts_column(&open, "n")?;
    for (i, key) in text_rows(&open, &["organization", "rule_id"])?
        .into_iter()
        .enumerate()
    {
        let [organization, rule_id] = key.as_slice() else {
            continue;
        };
        let Some((field, _)) = IDENTITY_RULES
            .iter()
            .find(|(_, rules)| rules.contains(&rule_id.as_str()))
        else {
            continue;
        };
        let r = row(&mut rows, organization);
        match *field {
            "guest_administrators" => r.guest_administrators += n[i],
            "inactive_administrators" => r.inactive_administrators += n[i],
            _ => r.inactive_with_access += n[i],
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

/// Rows the HTML shows per list; the CSV files have every row.
pub const MAX_FINDINGS_PER_SEVERITY: usize = 1_000;
pub const MAX_ROWS: usize = 2_000;
/// New high-severity findings listed in the e-mail.
pub const EMAIL_NEW_HIGH: usize = 20;

/// How many past snapshots the trend shows.
const TREND_SNAPSHOTS: usize = 60;

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

/// How many rows of a group are new (`new`).
pub fn new_count() -> Expr {
    col("status")
        .eq(lit("new"))
        .cast(DataType::UInt64)
        .sum()
        .alias("new")
}

/// Rows of the findings table that count: failing (new or persisting) and not exempt.
pub fn open_findings() -> Expr {
    col("status")
        .eq(lit("new"))
        .or(col("status").eq(lit("persisting")))
        .and(col("exempt").not())
}

/// How the findings partition counts, with one Polars aggregation.
fn tally(frame: &LazyFrame) -> Result<FindingCounts, ReportError> {
    let df = frame
        .clone()
        .group_by([col("status"), col("exempt"), col("severity")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let status = df.column("status")?.str()?.clone();
    let exempt = df.column("exempt")?.bool()?.clone();
    let severity = df.column("severity")?.str()?.clone();
    let n = df.column("n")?.u64()?.clone();
    let mut counts = FindingCounts::default();
    for i in 0..df.height() {
        counts.add_n(
            status.get(i).unwrap_or_default(),
            exempt.get(i).unwrap_or(false),
            severity.get(i).unwrap_or_default(),
            n.get(i).unwrap_or(0),
        );
    }
    Ok(counts)
}

/// Open findings counted per `keys` and severity (`n`), with how many of them are new
/// (`new`): one row per group.
fn open_counts(
    dataset: &Dataset,
    date: NaiveDate,
    filter: Expr,
    keys: &[&str],
) -> Result<DataFrame, ReportError> {
    let files = dataset.partition_files(FINDINGS.name, date)?;
    let mut by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by.push(col("severity"));
    Ok(scan_files(&files)?
        .filter(open_findings().and(filter))
        .group_by(by)
        .agg([len().cast(DataType::UInt64).alias("n"), new_count()])
        .collect()?)
}

/// Text columns of a frame, row by row.
fn text_rows(df: &DataFrame, columns: &[&str]) -> Result<Vec<Vec<String>>, ReportError> {
    let cols = columns
        .iter()
        .map(|c| Ok(df.column(c)?.cast(&DataType::String)?.str()?.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..df.height())
        .map(|i| {
            cols.iter()
                .map(|c| c.get(i).unwrap_or_default().to_string())
                .collect()
        })
        .collect())
}

/// A u64 column of a frame.
fn counts_column(df: &DataFrame, name: &str) -> Result<Vec<u64>, ReportError> {
    let column = df.column(name)?.cast(&DataType::UInt64)?;
    let column = column.u64()?;
    Ok((0..column.len())
        .map(|i| column.get(i).unwrap_or(0))
        .collect())
}

impl ReportData {
    /// Reads the snapshot of `date` (and its history) from the dataset.
    pub fn read(dataset: &Dataset, date: NaiveDate, rules: &[Rule]) -> Result<Self, ReportError> {
        if dataset.partition_files(FINDINGS.name, date)?.is_empty() {
            return Err(ReportError::NoFindings(date));
        }
        let dates = dataset.snapshot_dates(FINDINGS.name)?;
        let previous_date = dates.iter().copied().rfind(|d| *d < date);
        // The findings table holds open, exempt, not-evaluated and resolved rows, counted and
        // listed with Polars; only the listed rows are held.
        let frame = scan_files(&dataset.partition_files(FINDINGS.name, date)?)?;
        let tally = tally(&frame)?;
        let findings = OrderedFindings::new(frame, date.to_string())?;
        let by_severity = crate::rules::Severity::ALL
            .map(crate::rules::Severity::as_str)
            .into_iter()
            .map(|severity| {
                let list = findings.list(
                    open_findings().and(col("severity").eq(lit(severity))),
                    MAX_FINDINGS_PER_SEVERITY,
                )?;
                Ok((severity, list))
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let resolved = findings.list(col("status").eq(lit("resolved")), MAX_ROWS)?;
        let new_high = findings.list(
            col("status").eq(lit("new")).and(col("exempt").not()).and(
                col("severity")
                    .eq(lit("critical"))
                    .or(col("severity").eq(lit("high"))),
            ),
            EMAIL_NEW_HIGH,
        )?;
        let recommendations = recommendations(dataset, date, rules)?;
        let (organizations, projects) = scopes(dataset, date)?;
        let (repositories, inventory) = repositories(dataset, date)?;
        let trend = trend(dataset, &dates, date)?;
        let health = health(dataset, date)?;
        let changes = changes(dataset, date)?;
        let owners = owners(dataset, date)?;
        let identity = identity(dataset, date)?;
        Ok(ReportData {
            snapshot_date: date,
            previous_date,
            findings,
            by_severity,
            resolved,
            new_high,
            exempt: tally.exempt,
            not_evaluated: tally.not_evaluated,
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
) -> Result<Vec<RecommendationRow>, ReportError> {
    let files = dataset.partition_files(FINDINGS.name, date)?;
    let resolved = scan_files(&files)?
        .filter(col("status").eq(lit("resolved")))
        .group_by([col("rule_id")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let resolved: HashMap<String, u64> = text_rows(&resolved, &["rule_id"])?
        .into_iter()
        .map(|r| r.into_iter().next().unwrap_or_default())
        .zip(counts_column(&resolved, "n")?)
        .collect();
    let counts = scan_files(&files)?
        .filter(open_findings())
        .group_by([col("rule_id")])
        .agg([len().cast(DataType::UInt64).alias("affected"), new_count()])
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
                resolved: resolved.get(&r.id).copied().unwrap_or(0),
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
    let repository_files = dataset.partition_files("repositories", date)?;
    if !repository_files.is_empty() {
        let per_project = scan_files(&repository_files)?
            .group_by([col("organization"), col("project")])
            .agg([len().cast(DataType::UInt64).alias("n")])
            .collect()?;
        let n = counts_column(&per_project, "n")?;
        for (i, row) in text_rows(&per_project, &["organization", "project"])?
            .into_iter()
            .enumerate()
        {
            let [o, p] = row.as_slice() else {
                continue;
            };
            orgs.entry(o.clone())
                .or_insert_with(|| empty(o, ""))
                .repositories += n[i];
            projects
                .entry((o.clone(), p.clone()))
                .or_insert_with(|| empty(o, p))
                .repositories += n[i];
        }
    }
    let open = open_counts(dataset, date, lit(true), &["organization", "project"])?;
    let (n, new) = (counts_column(&open, "n")?, counts_column(&open, "new")?);
    for (i, key) in text_rows(&open, &["organization", "project", "severity"])?
        .into_iter()
        .enumerate()
    {
        let [o, p, severity] = key.as_slice() else {
            continue;
        };
        let org = orgs.entry(o.clone()).or_insert_with(|| empty(o, ""));
        org.counts.add_n(severity, n[i]);
        org.new += new[i];
        let project = projects
            .entry((o.clone(), p.clone()))
            .or_insert_with(|| empty(o, p));
        project.counts.add_n(severity, n[i]);
        project.new += new[i];
    }
    let resolved = scan_files(&dataset.partition_files(FINDINGS.name, date)?)?
        .filter(col("status").eq(lit("resolved")))
        .group_by([col("organization"), col("project")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .collect()?;
    let n = counts_column(&resolved, "n")?;
    for (i, key) in text_rows(&resolved, &["organization", "project"])?
        .into_iter()
        .enumerate()
    {
        let [o, p] = key.as_slice() else {
            continue;
        };
        orgs.entry(o.clone())
            .or_insert_with(|| empty(o, ""))
            .resolved += n[i];
        projects
            .entry((o.clone(), p.clone()))
            .or_insert_with(|| empty(o, p))
            .resolved += n[i];
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

/// The inventory view: the repositories with the most critical, high and open findings first,
/// each with its default-branch protection and Advanced Security, up to [`MAX_ROWS`] (joined,
/// sorted and limited by Polars, so memory holds the shown rows, not the estate); and the
/// inventory's totals. The counts come from the inventory tables, never from findings (an
/// organization-level finding names no project, and must not add one).
fn repositories(
    dataset: &Dataset,
    date: NaiveDate,
) -> Result<(Vec<RepositoryRow>, Inventory), ReportError> {
    let count_rows = |table: &str| -> Result<u64, ReportError> {
        let files = dataset.partition_files(table, date)?;
        if files.is_empty() {
            return Ok(0);
        }
        let df = scan_files(&files)?
            .select([len().cast(DataType::UInt64).alias("n")])
            .collect()?;
        Ok(counts_column(&df, "n")?.first().copied().unwrap_or(0))
    };
    let mut inventory = Inventory {
        organizations: count_rows("organizations")?,
        projects: count_rows("projects")?,
        ..Default::default()
    };
    let repository_files = dataset.partition_files("repositories", date)?;
    if repository_files.is_empty() {
        return Ok((Vec::new(), inventory));
    }
    let key = || [col("connector"), col("organization"), col("resource_id")];
    let findings = scan_files(&dataset.partition_files(FINDINGS.name, date)?)?;
    let severity = |name: &str| {
        col("severity")
            .eq(lit(name))
            .cast(DataType::UInt64)
            .sum()
            .alias(name)
    };
    let counts = findings
        .clone()
        .filter(open_findings().and(col("resource_kind").eq(lit("repository"))))
        .group_by(key())
        .agg([
            severity("critical"),
            severity("high"),
            severity("medium"),
            severity("low"),
            len().cast(DataType::UInt64).alias("total"),
        ]);
    // Branch protection is what ADO-REPO-001 checks: at least two reviewers on the default branch.
    let unprotected = findings
        .filter(open_findings().and(col("rule_id").eq(lit("ADO-REPO-001"))))
        .group_by(key())
        .agg([lit(true).alias("unprotected")]);
    let advsec_files = dataset.partition_files("advanced_security", date)?;
    let advsec = if advsec_files.is_empty() {
        None
    } else {
        Some(
            scan_files(&advsec_files)?
                .select([
                    col("connector"),
                    col("organization"),
                    col("repository_id").alias("resource_id"),
                    col("status").cast(DataType::String).alias("advsec_status"),
                ])
                .unique_stable(
                    Some(cols(["connector", "organization", "resource_id"])),
                    UniqueKeepStrategy::Last,
                ),
        )
    };
    let left = |frame: LazyFrame, other: LazyFrame| {
        frame.join(
            other,
            [col("connector"), col("organization"), col("repository_id")],
            key(),
            JoinArgs::new(JoinType::Left),
        )
    };
    let mut joined = left(
        scan_files(&repository_files)?.select([
            col("connector"),
            col("organization"),
            col("project").cast(DataType::String),
            col("repository_id"),
            col("repository").cast(DataType::String),
            col("default_branch")
                .cast(DataType::String)
                .fill_null(lit("")),
            col("is_disabled"),
        ]),
        counts,
    );
    joined = left(joined, unprotected);
    joined = match advsec {
        Some(advsec) => left(joined, advsec),
        None => joined.with_column(lit(NULL).cast(DataType::String).alias("advsec_status")),
    };
    let zero = |name: &str| col(name).fill_null(lit(0u64)).alias(name);
    let joined = joined.select([
        col("organization").cast(DataType::String),
        col("project"),
        col("repository"),
        col("default_branch"),
        when(col("is_disabled").eq(lit(true)))
            .then(lit("disabled"))
            .when(col("default_branch").eq(lit("")))
            .then(lit("empty"))
            .when(col("unprotected").eq(lit(true)))
            .then(lit("unprotected"))
            .otherwise(lit("protected"))
            .alias("branch_protection"),
        col("advsec_status")
            .fill_null(lit("unknown"))
            .alias("advanced_security"),
        zero("critical"),
        zero("high"),
        zero("medium"),
        zero("low"),
        zero("total"),
    ]);
    let tally = |filter: Expr, name: &str| filter.cast(DataType::UInt64).sum().alias(name);
    let totals = joined
        .clone()
        .select([
            len().cast(DataType::UInt64).alias("repositories"),
            tally(col("branch_protection").eq(lit("protected")), "protected"),
            tally(
                col("advanced_security")
                    .eq(lit("on"))
                    .or(col("advanced_security").eq(lit("partial"))),
                "advanced_security",
            ),
            tally(
                col("advanced_security")
                    .neq(lit("on"))
                    .and(col("advanced_security").neq(lit("partial")))
                    .and(col("advanced_security").neq(lit("off"))),
                "unknown",
            ),
        ])
        .collect()?;
    let total = |name: &str| -> Result<u64, ReportError> {
        Ok(counts_column(&totals, name)?.first().copied().unwrap_or(0))
    };
    inventory.repositories = total("repositories")?;
    inventory.repositories_protected = total("protected")?;
    inventory.repositories_advanced_security = total("advanced_security")?;
    inventory.repositories_advanced_security_unknown = total("unknown")?;
    let shown = joined
        .sort_by_exprs(
            [
                col("critical"),
                col("high"),
                col("total"),
                col("organization"),
                col("project"),
                col("repository"),
            ],
            SortMultipleOptions::default()
                .with_order_descending_multi([true, true, true, false, false, false])
                .with_maintain_order(true),
        )
        .limit(u32::try_from(MAX_ROWS).unwrap_or(u32::MAX))
        .collect()?;
    let text = text_rows(
        &shown,
        &[
            "organization",
            "project",
            "repository",
            "default_branch",
            "branch_protection",
            "advanced_security",
        ],
    )?;
    let severities =
        ["critical", "high", "medium", "low", "total"].map(|name| counts_column(&shown, name));
    let [critical, high, medium, low, all] = severities;
    let (critical, high, medium, low, all) = (critical?, high?, medium?, low?, all?);
    let rows = text
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let [
                organization,
                project,
                repository,
                default_branch,
                protection,
                advsec,
            ] = <[String; 6]>::try_from(r).ok()?;
            Some(RepositoryRow {
                organization,
                project,
                repository,
                default_branch,
                branch_protection: BRANCH_PROTECTION
                    .iter()
                    .copied()
                    .find(|p| *p == protection)
                    .unwrap_or("protected"),
                advanced_security: advsec,
                counts: SeverityCounts {
                    critical: critical.get(i).copied().unwrap_or(0),
                    high: high.get(i).copied().unwrap_or(0),
                    medium: medium.get(i).copied().unwrap_or(0),
                    low: low.get(i).copied().unwrap_or(0),
                    total: all.get(i).copied().unwrap_or(0),
                },
            })
        })
        .collect();
    Ok((rows, inventory))
}

/// The values of [`RepositoryRow::branch_protection`].
const BRANCH_PROTECTION: [&str; 4] = ["protected", "unprotected", "empty", "disabled"];

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
