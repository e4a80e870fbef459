//! One run of the nightly job: crawl → tables → dataset → rules → reports. The CLI's `run` and
//! `demo` both call [`run`]; each stage lives in its own module, this one only wires them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use polars::prelude::LazyFrame;

use crate::ado::stats::ApiStats;
use crate::config::ResolvedConfig;
use crate::crawl::{self, CrawlError, CrawlProgress, NoProgress, OrganizationPart};
use crate::dataset::manifest::{FindingTotals, OrganizationRun, RunManifest, ShardRun, TableRows};
use crate::dataset::{Dataset, DatasetError, SnapshotWriter, TableSpool, TableWritten, scan_files};
use crate::report::{self, FindingCounts, ReportError, ReportOptions, ReportPaths, ReportSummary};
use crate::rules::{self, Finding, Rule, RuleError};
use crate::shard::Shard;
use crate::tables::findings::{
    self as run_tables, CHANGES, CRAWL_ERRORS, CrawledOrganization, FINDING_OWNERS, FINDINGS, RUNS,
    RunRow,
};
use crate::tables::inventory::ORGANIZATIONS;
use crate::tables::{TableDef, TableError, TableRole, of_organization};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("nothing was crawled, so no snapshot was committed:\n{}", summarize(.0))]
    NothingCrawled(Vec<CrawlError>),
    #[error(transparent)]
    Tables(#[from] TableError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("{0}")]
    NoSnapshot(String),
    #[error("rules: reading the snapshot: {0}")]
    Read(#[from] polars::prelude::PolarsError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Changes(#[from] crate::changes::ChangeError),
    #[error("pruning the reports under {dir}: {source}")]
    Prune {
        dir: PathBuf,
        source: std::io::Error,
    },
}

fn summarize(errors: &[CrawlError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {}", e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Everything was crawled.
    Success,
    /// Some organizations (or rules) failed; the rest was committed.
    Partial,
}

impl RunStatus {
    /// Success when nothing failed.
    fn of(failed: bool) -> Self {
        if failed {
            RunStatus::Partial
        } else {
            RunStatus::Success
        }
    }

    /// As the manifest, the `runs` table and stdout say it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Partial => "partial",
        }
    }
}

/// What a run wrote.
#[derive(Debug)]
pub struct JobOutcome {
    pub run_id: String,
    pub snapshot_date: NaiveDate,
    pub status: RunStatus,
    pub dataset_dir: PathBuf,
    pub manifest: PathBuf,
    pub reports: ReportPaths,
    pub summary: ReportSummary,
    pub tables: Vec<TableWritten>,
    /// How the findings count (open by severity, new, resolved, …), as every output shows them.
    /// The findings themselves are in the dataset: they were written as each organization was
    /// evaluated.
    pub counts: FindingCounts,
    pub crawl_errors: Vec<CrawlError>,
    pub rule_errors: Vec<String>,
    /// Organizations crawled completely.
    pub organizations: usize,
    /// API totals of the run: calls, failed attempts, retries, 429s, reported delay.
    pub api: crate::ado::stats::EndpointStats,
}

/// A run id that sorts by time and does not collide between runs in the same second.
pub fn new_run_id() -> String {
    let now = Utc::now();
    let salt =
        (now.timestamp_subsec_nanos() as u64 ^ (u64::from(std::process::id()) << 20)) & 0xff_ffff;
    format!("{}-{salt:06x}", now.format("%Y%m%dT%H%M%SZ"))
}

/// For the signal and lock tests: `ADO_POSTURE_TEST_PAUSE_AT=<stage>:<ms>` blocks the run's
/// thread at that stage (`rules`, `reports`), as heavy work does.
fn test_pause(stage: &str) {
    let Ok(setting) = std::env::var("ADO_POSTURE_TEST_PAUSE_AT") else {
        return;
    };
    if let Some((at, ms)) = setting.split_once(':')
        && at == stage
        && let Ok(ms) = ms.parse::<u64>()
    {
        eprintln!("test pause: {stage}");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// What a run may be told instead of reading the clock (tests and backfills).
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    /// The snapshot's date (default: today, UTC).
    pub snapshot_date: Option<NaiveDate>,
    /// The run id (default: [`new_run_id`]).
    pub run_id: Option<String>,
    /// When the reports say they were generated (default: now).
    pub generated_at: Option<chrono::DateTime<Utc>>,
    /// Retention: a successful run leaves snapshots before this date out of the version it
    /// commits (in the same atomic switch).
    pub retain_from: Option<NaiveDate>,
    /// Where the run tells how far it got, for a signal handler to say what was committed.
    pub stage: Arc<RunStage>,
    /// `finalize`: assemble the snapshot from the parts these many shards committed
    /// (`OUT/shards/K-of-N/`) instead of crawling.
    pub assemble_shards: Option<u32>,
}

impl JobOptions {
    /// The run's id, start time and snapshot date: as told, or from the clock.
    fn start(&self) -> (String, chrono::DateTime<Utc>, NaiveDate) {
        let started_at = Utc::now();
        let run_id = self.run_id.clone().unwrap_or_else(new_run_id);
        let date = self
            .snapshot_date
            .unwrap_or_else(|| started_at.date_naive());
        (run_id, started_at, date)
    }
}

/// How far a run has got: nothing committed yet, committing, or committed.
#[derive(Debug, Default)]
pub struct RunStage(std::sync::atomic::AtomicU8);

impl RunStage {
    const COMMITTING: u8 = 1;
    const COMMITTED: u8 = 2;

    fn set(&self, stage: u8) {
        self.0.store(stage, std::sync::atomic::Ordering::SeqCst);
    }

    /// What a run stopped now leaves behind, in words for the operator.
    pub fn describe(&self) -> &'static str {
        match self.0.load(std::sync::atomic::Ordering::SeqCst) {
            Self::COMMITTED => {
                "the snapshot was committed; the reports or e-mail may not be finished (`ado-posture report` and `ado-posture email` redo them)"
            }
            Self::COMMITTING => {
                "stopped while committing: the dataset holds either the whole new snapshot or the previous one, never a mix"
            }
            _ => "nothing new committed; the previous snapshot is intact",
        }
    }

    /// Whether the commit is under way (then a stop must leave its files alone).
    pub fn committing(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst) == Self::COMMITTING
    }

    /// Whether the snapshot was committed.
    pub fn committed(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst) == Self::COMMITTED
    }
}

/// Runs the whole job and writes under `out`: `out/dataset/…` and `out/reports/<date>/…`.
pub async fn run(
    config: &ResolvedConfig,
    out: &Path,
    options: &JobOptions,
) -> Result<JobOutcome, JobError> {
    run_with_progress(config, out, options, &NoProgress).await
}

/// [`run`], telling `progress` how the crawl advances. With
/// [`JobOptions::assemble_shards`], the snapshot is assembled from the shards' committed parts
/// instead of crawled (`finalize`).
pub async fn run_with_progress(
    config: &ResolvedConfig,
    out: &Path,
    options: &JobOptions,
    progress: &dyn CrawlProgress,
) -> Result<JobOutcome, JobError> {
    let (catalog, catalog_errors) = load_catalog(config.rules_dir.as_deref())?;
    let dataset = Dataset::new(out.join("dataset"));
    let staged = match options.assemble_shards {
        Some(count) => stage_shards(&dataset, out, count, options)?,
        None => stage_crawl(config, &dataset, options, progress, None).await?,
    };
    assess_and_commit(config, out, options, staged, &catalog, catalog_errors)
}

/// A snapshot staged up to its rules: the crawled tables (or the shards'), and what the
/// manifest says about how they were read.
struct Staged {
    run_id: String,
    snapshot_date: NaiveDate,
    started_at: chrono::DateTime<Utc>,
    dataset: Dataset,
    writer: SnapshotWriter,
    crawled: Vec<CrawledOrganization>,
    crawl_errors: Vec<CrawlError>,
    stats: Arc<ApiStats>,
    crawl_seconds: f64,
    /// The shards a `finalize` assembled, and those it found missing.
    shards: Vec<ShardRun>,
}

/// Crawls (this shard's organizations, or all) into a new snapshot of `dataset`, staged up to
/// its rules.
async fn stage_crawl(
    config: &ResolvedConfig,
    dataset: &Dataset,
    options: &JobOptions,
    progress: &dyn CrawlProgress,
    shard: Option<Shard>,
) -> Result<Staged, JobError> {
    let (run_id, started_at, snapshot_date) = options.start();
    tracing::info!(run_id = %run_id, connectors = config.connectors.len(), shard = shard.map(|s| s.to_string()), "crawl started");

    // The snapshot is staged while the crawl goes on: each organization is written as soon as it
    // is complete and then dropped, so memory holds the organizations in flight, not the estate.
    let mut writer = SnapshotWriter::begin(dataset, &run_id, snapshot_date)?;
    let stats = Arc::new(ApiStats::default());
    let crawl_started = std::time::Instant::now();
    let mut crawled: Vec<CrawledOrganization> = Vec::new();
    // Each organization's tables, written part by part while it is crawled; one Parquet file per
    // table with rows, part of the snapshot once the organization is complete. Tables without
    // rows are written at the end.
    let mut spools: HashMap<(String, String), TableSpool> = HashMap::new();
    let mut spools_opened: usize = 0;
    let crawl_errors = crawl::crawl_each(
        &config.connectors,
        &config.limits,
        shard,
        stats.clone(),
        progress,
        |part| {
            let (connector, organization) = part.organization();
            let key = (connector.to_string(), organization.to_string());
            if let OrganizationPart::Failed { .. } = part {
                // Dropping the spool removes what the organization handed over.
                spools.remove(&key);
                return Ok(());
            }
            let spool = match spools.entry(key.clone()) {
                std::collections::hash_map::Entry::Occupied(spool) => spool.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    spools_opened = spools_opened.saturating_add(1);
                    slot.insert(writer.spool(&spools_opened.to_string())?)
                }
            };
            for area in crate::tables::part_batches(&run_id, &part) {
                for (def, batch) in area? {
                    spool.append(def, &batch)?;
                }
            }
            if let OrganizationPart::Complete(org) = part
                && let Some(spool) = spools.remove(&key)
            {
                writer.adopt(spool)?;
                crawled.push(CrawledOrganization::of(&org));
            }
            Ok::<(), JobError>(())
        },
    )
    .await?;
    // An organization whose task ended without a last part (recorded as a crawl error) leaves
    // nothing behind.
    drop(spools);
    crate::allocator::release_free();
    let crawl_seconds = crawl_started.elapsed().as_secs_f64();
    if crawled.is_empty() && !(shard.is_some() && crawl_errors.is_empty()) {
        // A shard may own no organization at all; anything else that crawled nothing failed.
        return Err(JobError::NothingCrawled(crawl_errors));
    }
    write_crawl_end(&mut writer, &run_id, &crawl_errors)?;
    Ok(Staged {
        run_id,
        snapshot_date,
        started_at,
        dataset: dataset.clone(),
        writer,
        crawled,
        crawl_errors,
        stats,
        crawl_seconds,
        shards: Vec::new(),
    })
}

/// The tables a crawl writes (the inventory and what could not be read), which a shard
/// commits and `finalize` gathers.
fn crawled_tables() -> impl Iterator<Item = &'static TableDef> {
    crate::tables::tables_of(TableRole::Inventory)
        .chain(crate::tables::tables_of(TableRole::CrawlGaps))
}

/// Stages a snapshot of `dataset` from the parts the shards `1..=count` committed for the date
/// (`OUT/shards/K-of-N/`): their files are linked in, their organizations and errors taken from
/// their manifests. A shard with no part for the date is a crawl error of the snapshot (so the
/// run is partial); the others' parts are used as they are.
fn stage_shards(
    dataset: &Dataset,
    out: &Path,
    count: u32,
    options: &JobOptions,
) -> Result<Staged, JobError> {
    let (run_id, started_at, snapshot_date) = options.start();
    let mut writer = SnapshotWriter::begin(dataset, &run_id, snapshot_date)?;
    let mut crawled = Vec::new();
    let mut crawl_errors = Vec::new();
    let mut missing = Vec::new();
    let mut shards = Vec::new();
    let mut crawl_seconds: f64 = 0.0;
    // The shards' requests, as their manifests counted them.
    let stats = Arc::new(ApiStats::default());
    for shard in Shard::all(count) {
        let folder = shard.folder(out).join("dataset");
        let part = Dataset::new(&folder);
        let Some(manifest) = part.shard_manifest(&shard.to_string(), snapshot_date) else {
            tracing::error!(shard = %shard, folder = %folder.display(), "the shard committed no part of this snapshot");
            missing.push(CrawlError {
                connector: String::new(),
                organization: None,
                kind: "missing_shard".into(),
                status: None,
                url: None,
                message: format!(
                    "shard {shard} committed no snapshot of {snapshot_date} in {}: its organizations are missing",
                    folder.display()
                ),
            });
            shards.push(ShardRun {
                shard: shard.to_string(),
                run_id: None,
                status: "missing".into(),
            });
            continue;
        };
        for def in crawled_tables() {
            writer.link_files(def, &part.partition_files(def.name, snapshot_date)?)?;
        }
        crawl_seconds = crawl_seconds.max(manifest.crawl_seconds);
        stats.absorb(&manifest.api);
        for o in &manifest.organizations {
            match (o.status.as_str(), &o.organization) {
                ("ok", Some(organization)) => crawled.push(CrawledOrganization {
                    connector: o.connector.clone(),
                    organization: organization.clone(),
                    deployment: crate::config::Deployment::named(o.deployment.as_deref()),
                    api_version: o.api_version.clone(),
                    projects: o.projects.unwrap_or(0) as usize,
                    repositories: o.repositories.unwrap_or(0) as usize,
                }),
                _ => crawl_errors.push(CrawlError {
                    connector: o.connector.clone(),
                    organization: o.organization.clone(),
                    kind: o.error_kind.clone().unwrap_or_else(|| "failed".into()),
                    status: o.http_status,
                    url: None,
                    message: o.error.clone().unwrap_or_default(),
                }),
            }
        }
        shards.push(ShardRun {
            shard: shard.to_string(),
            run_id: Some(manifest.run_id.clone()),
            status: manifest.status.clone(),
        });
    }
    if crawled.is_empty() && shards.iter().all(|s| s.run_id.is_none()) {
        return Err(JobError::NothingCrawled(missing));
    }
    // The shards' own errors are in their crawl_errors files; the missing shards are this run's.
    write_crawl_end(&mut writer, &run_id, &missing)?;
    crawl_errors.extend(missing);
    Ok(Staged {
        run_id,
        snapshot_date,
        started_at,
        dataset: dataset.clone(),
        writer,
        crawled,
        crawl_errors,
        stats,
        crawl_seconds,
        shards,
    })
}

/// What a shard's run committed.
#[derive(Debug)]
pub struct ShardOutcome {
    pub shard: Shard,
    pub run_id: String,
    pub snapshot_date: NaiveDate,
    pub status: RunStatus,
    pub dataset_dir: PathBuf,
    pub organizations: usize,
    pub crawl_errors: Vec<CrawlError>,
    pub api: crate::ado::stats::EndpointStats,
}

/// One shard's run (`run --shard K/N`): crawls the organizations the shard owns and commits
/// them into `OUT/shards/K-of-N/dataset`, with no rules or reports (`finalize` evaluates the
/// whole snapshot once every shard has committed).
pub async fn run_shard(
    config: &ResolvedConfig,
    out: &Path,
    shard: Shard,
    options: &JobOptions,
    progress: &dyn CrawlProgress,
) -> Result<ShardOutcome, JobError> {
    let dataset = Dataset::new(shard.folder(out).join("dataset"));
    let mut staged = stage_crawl(config, &dataset, options, progress, Some(shard)).await?;
    staged
        .crawled
        .sort_by(|a, b| (&a.connector, &a.organization).cmp(&(&b.connector, &b.organization)));
    let status = RunStatus::of(!staged.crawl_errors.is_empty());
    let writer = staged.writer;
    let tables = writer.written().to_vec();
    let mut manifest = manifest(&RunFacts {
        run_id: &staged.run_id,
        snapshot_date: staged.snapshot_date,
        started_at: staged.started_at,
        crawl_seconds: staged.crawl_seconds,
        status,
        crawled: &staged.crawled,
        crawl_errors: &staged.crawl_errors,
        tables: &tables,
        counts: &FindingCounts::default(),
        rule_errors: &[],
        stats: &staged.stats,
    });
    manifest.shard = Some(shard.to_string());
    writer.write_manifest(&manifest)?;
    options.stage.set(RunStage::COMMITTING);
    writer.commit()?;
    options.stage.set(RunStage::COMMITTED);
    tracing::info!(run_id = %staged.run_id, shard = %shard, "shard committed");
    Ok(ShardOutcome {
        shard,
        run_id: staged.run_id,
        snapshot_date: staged.snapshot_date,
        status,
        dataset_dir: dataset.root().to_path_buf(),
        organizations: staged.crawled.len(),
        crawl_errors: staged.crawl_errors,
        api: staged.stats.totals(),
    })
}

/// From a staged snapshot to a committed one with its findings, then the reports.
fn assess_and_commit(
    config: &ResolvedConfig,
    out: &Path,
    options: &JobOptions,
    staged: Staged,
    catalog: &[Rule],
    catalog_errors: Vec<RuleError>,
) -> Result<JobOutcome, JobError> {
    let Staged {
        run_id,
        snapshot_date,
        started_at,
        dataset,
        mut writer,
        mut crawled,
        crawl_errors,
        stats,
        crawl_seconds,
        shards,
    } = staged;
    crawled.sort_by(|a, b| (&a.connector, &a.organization).cmp(&(&b.connector, &b.organization)));
    let tables = staged_rule_inputs(&writer)?;
    let previous = previous_inventory(&dataset, snapshot_date)?;
    let changes = crate::changes::between(
        &run_id,
        previous.as_ref().map(|(date, frames)| (*date, frames)),
        &tables,
    )?;
    writer.write_table(&CHANGES, &[changes])?;
    test_pause("rules");
    let (counts, mut rule_errors) = assess_snapshot(
        &dataset,
        snapshot_date,
        &tables,
        catalog,
        &config.exemptions,
        &config.rule_scopes,
        &mut |findings| write_findings(&mut writer, &run_id, findings, &config.owners),
    )?;
    rule_errors.extend(catalog_errors);
    write_findings_end(&mut writer)?;
    let status = RunStatus::of(!crawl_errors.is_empty() || !rule_errors.is_empty());
    let run_row = RunRow {
        run_id: &run_id,
        started_at,
        status: status.as_str(),
        api_calls: stats.totals().calls,
        open_findings: counts.open.total as usize,
    };
    writer.write_table(
        &RUNS,
        &[run_tables::runs(&run_row, &crawled, &crawl_errors)?],
    )?;
    let tables = writer.written().to_vec();

    let rule_errors: Vec<String> = rule_errors.iter().map(ToString::to_string).collect();
    let mut manifest = manifest(&RunFacts {
        run_id: &run_id,
        snapshot_date,
        started_at,
        crawl_seconds,
        status,
        crawled: &crawled,
        crawl_errors: &crawl_errors,
        tables: &tables,
        counts: &counts,
        rule_errors: &rule_errors,
        stats: &stats,
    });
    manifest.shards = shards;
    // The manifest is committed with the tables, in the same switch.
    writer.write_manifest(&manifest)?;
    if let Some(from) = options.retain_from
        && status == RunStatus::Success
    {
        writer.retain_from(from);
    }
    options.stage.set(RunStage::COMMITTING);
    writer.commit()?;
    options.stage.set(RunStage::COMMITTED);
    tracing::info!(run_id = %run_id, open_findings = counts.open.total, "snapshot committed");
    let manifest_path = dataset.root().join("_runs").join(format!("{run_id}.json"));

    let report_options = ReportOptions {
        generated_at: options.generated_at.unwrap_or_else(Utc::now),
        report_url: config.email.as_ref().and_then(|e| e.report_url.clone()),
    };
    let reports_dir = report::reports_dir(out, snapshot_date);
    crate::allocator::release_free();
    test_pause("reports");
    let (reports, summary) = report::build(
        &dataset,
        snapshot_date,
        catalog,
        &reports_dir,
        &report_options,
    )?;

    Ok(JobOutcome {
        run_id,
        snapshot_date,
        status,
        dataset_dir: dataset.root().to_path_buf(),
        manifest: manifest_path,
        reports,
        summary,
        tables,
        counts,
        organizations: crawled.len(),
        crawl_errors,
        rule_errors,
        api: stats.totals(),
    })
}

/// After the crawl: every crawled table gets a file, even with no rows, so readers always find
/// its schema; and the crawl's errors.
fn write_crawl_end(
    writer: &mut SnapshotWriter,
    run_id: &str,
    crawl_errors: &[CrawlError],
) -> Result<(), JobError> {
    for def in crawled_tables().filter(|def| def.name != CRAWL_ERRORS.name) {
        if !writer.written().iter().any(|w| w.table == def.name) {
            writer.write_table(def, &[])?;
        }
    }
    writer.write_table(
        &CRAWL_ERRORS,
        &[run_tables::crawl_errors(run_id, crawl_errors)?],
    )?;
    Ok(())
}

/// The staged tables the rules read, by name.
fn staged_rule_inputs(writer: &SnapshotWriter) -> Result<BTreeMap<String, LazyFrame>, JobError> {
    let mut tables = BTreeMap::new();
    for def in crate::tables::rule_inputs() {
        tables.insert(
            def.name.to_string(),
            scan_files(&writer.staged_files(def.name)?)?,
        );
    }
    Ok(tables)
}

/// What the manifest records of a finished run.
struct RunFacts<'a> {
    run_id: &'a str,
    snapshot_date: NaiveDate,
    started_at: chrono::DateTime<Utc>,
    crawl_seconds: f64,
    status: RunStatus,
    crawled: &'a [CrawledOrganization],
    crawl_errors: &'a [CrawlError],
    tables: &'a [TableWritten],
    counts: &'a FindingCounts,
    rule_errors: &'a [String],
    stats: &'a ApiStats,
}

/// The run manifest: status, organizations, row counts per table, findings, API statistics.
fn manifest(f: &RunFacts<'_>) -> RunManifest {
    RunManifest {
        run_id: f.run_id.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: crate::tables::SCHEMA_VERSION,
        snapshot_date: f.snapshot_date.to_string(),
        started_at: f.started_at.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        crawl_seconds: (f.crawl_seconds * 1000.0).round() / 1000.0,
        status: f.status.as_str().to_string(),
        organizations: f
            .crawled
            .iter()
            .map(|o| OrganizationRun {
                connector: o.connector.clone(),
                organization: Some(o.organization.clone()),
                status: "ok".into(),
                deployment: Some(o.deployment.to_string()),
                api_version: o.api_version.clone(),
                projects: Some(o.projects as u64),
                repositories: Some(o.repositories as u64),
                ..OrganizationRun::default()
            })
            .chain(f.crawl_errors.iter().map(|e| OrganizationRun {
                connector: e.connector.clone(),
                organization: e.organization.clone(),
                status: "failed".into(),
                error_kind: Some(e.kind.clone()),
                http_status: e.status,
                error: Some(e.message.clone()),
                ..OrganizationRun::default()
            }))
            .collect(),
        tables: f
            .tables
            .iter()
            .map(|t| {
                let rows = TableRows {
                    rows: t.rows as u64,
                    files: t.files.clone(),
                };
                (t.table.to_string(), rows)
            })
            .collect(),
        findings: findings_summary(f.counts),
        rule_errors: f.rule_errors.to_vec(),
        api: f.stats.snapshot(),
        api_totals: f.stats.totals(),
        shard: None,
        shards: Vec::new(),
    }
}

/// What a nightly run does once the snapshot is committed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivery {
    /// E-mail the summary (when the config has an `[email]` section), and each owner its digest
    /// (`[email] owner_digests`).
    pub email: bool,
    /// Remove the reports of snapshots before this date (the dataset's were removed in the
    /// commit).
    pub retain_from: Option<NaiveDate>,
    /// Count the open findings at or above this severity (`--fail-on`).
    pub fail_on: Option<rules::Severity>,
}

/// What [`deliver`] did.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Why the e-mail was not sent, when it was wanted and failed; the dataset and reports are kept.
    pub email_error: Option<crate::email::EmailError>,
    pub reports_pruned: usize,
    /// Owner digests sent (`[email] owner_digests`).
    pub digests: usize,
    /// Open findings at or above `fail_on`.
    pub failing: usize,
}

/// The nightly stages after the commit: the e-mail, the reports' retention (only after a
/// successful run, as the dataset's), and the `--fail-on` count.
pub async fn deliver(
    config: &ResolvedConfig,
    out: &Path,
    outcome: &JobOutcome,
    delivery: Delivery,
) -> Result<Delivered, JobError> {
    let mut delivered = Delivered::default();
    if delivery.email
        && let Some(email) = &config.email
        && let Err(e) = crate::email::send(email, &outcome.summary, &outcome.reports).await
    {
        delivered.email_error = Some(e);
    }
    if delivery.email
        && delivered.email_error.is_none()
        && let Some(email) = &config.email
        && email.owner_digests
    {
        let report = email
            .report_url
            .clone()
            .unwrap_or_else(|| outcome.reports.report_html.display().to_string());
        let digests = report::digests::owner_digests(
            &Dataset::new(out.join("dataset")),
            outcome.snapshot_date,
            &config.owners,
            crate::email::DIGEST_ROWS,
        )?;
        match crate::email::send_digests(
            email,
            &config.owners,
            &digests,
            outcome.snapshot_date,
            &report,
        )
        .await
        {
            Ok(sent) => delivered.digests = sent,
            Err(e) => delivered.email_error = Some(e),
        }
    }
    if let Some(cutoff) = delivery.retain_from
        && outcome.status == RunStatus::Success
    {
        delivered.reports_pruned =
            report::prune_before(out, cutoff).map_err(|source| JobError::Prune {
                dir: out.join("reports"),
                source,
            })?;
        tracing::info!(%cutoff, reports = delivered.reports_pruned, "retention: removed snapshots and reports before {cutoff}");
    }
    if let Some(threshold) = delivery.fail_on {
        delivered.failing =
            usize::try_from(outcome.counts.open.at_or_above(threshold)).unwrap_or(usize::MAX);
    }
    Ok(delivered)
}

/// The built-in rules and the users' rules of `custom_dir`; a custom rule that does not load
/// is an error beside the catalog, never a reason to stop.
pub fn load_catalog(custom_dir: Option<&Path>) -> Result<(Vec<Rule>, Vec<RuleError>), JobError> {
    let mut catalog = rules::builtin_rules()?;
    let mut errors = Vec::new();
    if let Some(dir) = custom_dir {
        let (custom, custom_errors) = rules::load_rules_dir(dir, &catalog);
        for e in &custom_errors {
            tracing::error!("{e}");
        }
        tracing::info!(folder = %dir.display(), rules = custom.len(), "custom rules loaded");
        catalog.extend(custom);
        errors = custom_errors;
    }
    Ok((catalog, errors))
}

/// The manifest's `findings` object, from the counts every output shares.
fn findings_summary(counts: &FindingCounts) -> FindingTotals {
    FindingTotals {
        open: counts.open.total,
        by_severity: [
            ("critical".to_string(), counts.open.critical),
            ("high".to_string(), counts.open.high),
            ("medium".to_string(), counts.open.medium),
            ("low".to_string(), counts.open.low),
        ]
        .into_iter()
        .collect(),
        new: counts.new,
        persisting: counts.persisting,
        resolved: counts.resolved,
        not_evaluated: counts.not_evaluated,
        exempt: counts.exempt,
    }
}

/// Evaluates the catalog over one snapshot's tables (staged or committed) one partition of
/// organizations at a time (see [`partitions`]), sets its findings against their findings of the
/// newest snapshot before `date`, and hands them to `sink` as they come: memory holds one
/// partition's rule inputs and findings, not the estate's. Then the previous findings of organizations this snapshot did not
/// read (carried as not evaluated), then the rules that compare organizations
/// (`whole_snapshot`), once over every organization. Returns the counts of all findings and
/// the rules that could not run (each named once, however many organizations it failed on).
fn assess_snapshot(
    dataset: &Dataset,
    date: NaiveDate,
    tables: &Frames,
    catalog: &[Rule],
    exemptions: &[rules::Exemption],
    scopes: &[rules::RuleScope],
    sink: &mut dyn FnMut(&[Finding]) -> Result<(), JobError>,
) -> Result<(FindingCounts, Vec<RuleError>), JobError> {
    let previous = previous_findings(dataset, date)?;
    let crawled = crawled_organizations(tables)?;
    let (whole, per_organization): (Vec<Rule>, Vec<Rule>) =
        catalog.iter().cloned().partition(|r| r.whole_snapshot);
    let whole_ids: Vec<&str> = whole.iter().map(|r| r.id.as_str()).collect();
    let mut counts = FindingCounts::default();
    let mut errors: Vec<RuleError> = Vec::new();
    let mut record = |findings: &[Finding],
                      new_errors: Vec<RuleError>,
                      counts: &mut FindingCounts|
     -> Result<(), JobError> {
        for e in new_errors {
            if !errors
                .iter()
                .any(|known| known.to_string() == e.to_string())
            {
                errors.push(e);
            }
        }
        counts.add_findings(findings);
        sink(findings)
    };
    for partition in partitions(tables, &crawled)? {
        let in_partition = partition
            .iter()
            .fold(polars::prelude::lit(false), |any, (c, o)| {
                any.or(of_organization(c, o))
            });
        let only = |frame: &LazyFrame| frame.clone().filter(in_partition.clone());
        let part_tables: Frames = tables.iter().map(|(n, f)| (n.clone(), only(f))).collect();
        let part_previous = match &previous {
            Some(frame) => {
                rules::history::read_findings(only(frame).filter(not_rule_ids(&whole_ids)))?
            }
            None => Vec::new(),
        };
        let part_crawled: HashSet<(String, String)> = partition.iter().cloned().collect();
        let (findings, new_errors) = rules::assess(
            &part_tables,
            &rules::Assessment {
                rules: &per_organization,
                date,
                previous: &part_previous,
                crawled: &part_crawled,
                exemptions,
                scopes,
            },
        );
        tracing::debug!(
            organizations = partition.len(),
            findings = findings.len(),
            "partition evaluated"
        );
        record(&findings, new_errors, &mut counts)?;
    }
    if let Some(frame) = &previous {
        let not_read = crawled
            .iter()
            .fold(polars::prelude::lit(true), |keep, (c, o)| {
                keep.and(of_organization(c, o).not())
            });
        let carried_previous = rules::history::read_findings(
            frame
                .clone()
                .filter(not_read)
                .filter(not_rule_ids(&whole_ids)),
        )?;
        let carried = rules::carry_over(
            &carried_previous,
            &rules::Assessment {
                rules: &per_organization,
                date,
                previous: &carried_previous,
                crawled: &crawled,
                exemptions,
                scopes,
            },
        );
        record(&carried, Vec::new(), &mut counts)?;
    }
    if !whole.is_empty() {
        let whole_previous = match &previous {
            Some(frame) => {
                rules::history::read_findings(frame.clone().filter(not_rule_ids(&whole_ids).not()))?
            }
            None => Vec::new(),
        };
        let (findings, new_errors) = rules::assess(
            tables,
            &rules::Assessment {
                rules: &whole,
                date,
                previous: &whole_previous,
                crawled: &crawled,
                exemptions,
                scopes,
            },
        );
        record(&findings, new_errors, &mut counts)?;
    }
    Ok((counts, errors))
}

/// Repositories one evaluation partition holds at most, unless one organization alone has more:
/// small organizations are evaluated together (each evaluation costs every rule's query
/// planning, whatever the rows), large ones alone (memory follows the partition's rows).
const PARTITION_REPOSITORIES: u64 = 10_000;

/// The crawled organizations in evaluation partitions, in name order, each under
/// [`PARTITION_REPOSITORIES`] repositories or of one organization.
fn partitions(
    tables: &Frames,
    crawled: &HashSet<(String, String)>,
) -> Result<Vec<Vec<(String, String)>>, JobError> {
    use polars::prelude::{DataType, col, len};
    let mut sizes: std::collections::HashMap<(String, String), u64> = Default::default();
    if let Some(frame) = tables.get(crate::tables::inventory::REPOSITORIES.name) {
        let df = frame
            .clone()
            .group_by([col("connector"), col("organization")])
            .agg([len().cast(DataType::UInt64).alias("n")])
            .collect()?;
        let connectors = df.column("connector")?.str()?.clone();
        let organizations = df.column("organization")?.str()?.clone();
        let n = df.column("n")?.u64()?.clone();
        for i in 0..df.height() {
            if let (Some(c), Some(o)) = (connectors.get(i), organizations.get(i)) {
                sizes.insert((c.to_string(), o.to_string()), n.get(i).unwrap_or(0));
            }
        }
    }
    let mut organizations: Vec<(String, String)> = crawled.iter().cloned().collect();
    organizations.sort();
    let mut partitions = Vec::new();
    let (mut current, mut size) = (Vec::new(), 0u64);
    for organization in organizations {
        let n = sizes.get(&organization).copied().unwrap_or(0);
        if !current.is_empty() && size.saturating_add(n) > PARTITION_REPOSITORIES {
            partitions.push(std::mem::take(&mut current));
            size = 0;
        }
        size = size.saturating_add(n);
        current.push(organization);
    }
    if !current.is_empty() {
        partitions.push(current);
    }
    Ok(partitions)
}

/// Rows whose `rule_id` is none of `ids`.
fn not_rule_ids(ids: &[&str]) -> polars::prelude::Expr {
    use polars::prelude::{col, lit};
    ids.iter().fold(lit(true), |keep, id| {
        keep.and(col("rule_id").neq(lit(id.to_string())))
    })
}

/// Writes one organization's findings (and their owners) as files of the snapshot.
fn write_findings(
    writer: &mut SnapshotWriter,
    run_id: &str,
    findings: &[Finding],
    owners: &[rules::Owner],
) -> Result<(), JobError> {
    if findings.is_empty() {
        return Ok(());
    }
    writer.write_table(&FINDINGS, &[run_tables::findings(run_id, findings)?])?;
    let owned = run_tables::finding_owners(run_id, findings, owners)?;
    if owned.num_rows() > 0 {
        writer.write_table(&FINDING_OWNERS, &[owned])?;
    }
    Ok(())
}

/// The findings tables get a file even without rows, so readers always find their schema.
fn write_findings_end(writer: &mut SnapshotWriter) -> Result<(), JobError> {
    for def in [&FINDINGS, &FINDING_OWNERS] {
        if !writer.written().iter().any(|w| w.table == def.name) {
            writer.write_table(def, &[])?;
        }
    }
    Ok(())
}

/// (connector, organization) pairs of the snapshot's organizations table.
fn crawled_organizations(
    tables: &BTreeMap<String, LazyFrame>,
) -> Result<HashSet<(String, String)>, JobError> {
    let Some(frame) = tables.get(ORGANIZATIONS.name) else {
        return Ok(HashSet::new());
    };
    let df = frame
        .clone()
        .select([
            polars::prelude::col("connector"),
            polars::prelude::col("organization"),
        ])
        .collect()?;
    let connectors = df.column("connector")?.str()?.clone();
    let organizations = df.column("organization")?.str()?.clone();
    Ok((0..df.height())
        .filter_map(|i| {
            Some((
                connectors.get(i)?.to_string(),
                organizations.get(i)?.to_string(),
            ))
        })
        .collect())
}

/// Tables as lazy frames, by name.
type Frames = BTreeMap<String, LazyFrame>;

/// The inventory of the newest snapshot before `date`, for the change feed: its date and the
/// frames of the tables it watches.
fn previous_inventory(
    dataset: &Dataset,
    date: NaiveDate,
) -> Result<Option<(NaiveDate, Frames)>, JobError> {
    let Some(previous) = dataset
        .snapshot_dates(ORGANIZATIONS.name)?
        .into_iter()
        .rfind(|d| *d < date)
    else {
        return Ok(None);
    };
    let mut frames = BTreeMap::new();
    for def in crate::tables::ALL_TABLES
        .iter()
        .filter(|t| t.watch.is_some())
    {
        let files = dataset.partition_files(def.name, previous)?;
        if !files.is_empty() {
            frames.insert(def.name.to_string(), scan_files(&files)?);
        }
    }
    Ok(Some((previous, frames)))
}

/// The findings of the newest committed snapshot before `date`, as a lazy frame.
fn previous_findings(dataset: &Dataset, date: NaiveDate) -> Result<Option<LazyFrame>, JobError> {
    let Some(previous) = dataset
        .snapshot_dates(FINDINGS.name)?
        .into_iter()
        .rfind(|d| *d < date)
    else {
        return Ok(None);
    };
    let files = dataset.partition_files(FINDINGS.name, previous)?;
    if files.is_empty() {
        return Ok(None);
    }
    Ok(Some(scan_files(&files)?))
}

/// What `evaluate` did.
#[derive(Debug)]
pub struct EvaluateOutcome {
    pub snapshot_date: NaiveDate,
    pub counts: FindingCounts,
    pub rule_errors: Vec<String>,
    pub rules: usize,
}

/// Re-evaluates the rules over a committed snapshot (the newest, or `date`) and replaces that
/// snapshot's findings partition atomically; the inventory is left as it is.
pub fn evaluate_committed(
    data: &Path,
    date: Option<NaiveDate>,
    custom_dir: Option<&Path>,
    exemptions: &[rules::Exemption],
    scopes: &[rules::RuleScope],
    owners: &[rules::Owner],
) -> Result<EvaluateOutcome, JobError> {
    let dataset = Dataset::new(data);
    let dates = dataset.snapshot_dates(ORGANIZATIONS.name)?;
    let date = match date {
        Some(d) if dates.contains(&d) => d,
        Some(d) => return Err(JobError::NoSnapshot(format!("there is no snapshot of {d}"))),
        None => *dates
            .last()
            .ok_or_else(|| JobError::NoSnapshot(format!("{} holds no snapshot", data.display())))?,
    };
    let (catalog, catalog_errors) = load_catalog(custom_dir)?;
    let mut tables = BTreeMap::new();
    for def in crate::tables::rule_inputs() {
        let files = dataset.partition_files(def.name, date)?;
        if !files.is_empty() {
            tables.insert(def.name.to_string(), scan_files(&files)?);
        }
    }
    let run_id = new_run_id();
    let mut writer = SnapshotWriter::begin_tables(&dataset, &run_id, date)?;
    let (counts, mut rule_errors) = assess_snapshot(
        &dataset,
        date,
        &tables,
        &catalog,
        exemptions,
        scopes,
        &mut |findings| write_findings(&mut writer, &run_id, findings, owners),
    )?;
    rule_errors.extend(catalog_errors);
    write_findings_end(&mut writer)?;
    writer.commit()?;
    Ok(EvaluateOutcome {
        snapshot_date: date,
        counts,
        rule_errors: rule_errors.iter().map(ToString::to_string).collect(),
        rules: catalog.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{IntoLazy, df};

    /// Small organizations share a partition up to the repository budget; one larger than it
    /// is a partition of its own; every organization is in exactly one, in name order.
    #[test]
    fn organizations_are_partitioned_by_repositories() {
        let mut rows: Vec<(&str, &str)> = Vec::new();
        for (org, n) in [
            ("a", 4_000),
            ("b", 5_000),
            ("c", 3_000),
            ("d", 25_000),
            ("e", 1),
        ] {
            rows.extend(std::iter::repeat_n(("conn", org), n));
        }
        let repositories = df!(
            "connector" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "organization" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy();
        let tables = Frames::from([(
            crate::tables::inventory::REPOSITORIES.name.to_string(),
            repositories,
        )]);
        let crawled: HashSet<(String, String)> = ["e", "d", "c", "b", "a", "f"]
            .iter()
            .map(|o| ("conn".to_string(), o.to_string()))
            .collect();
        let names: Vec<Vec<String>> = partitions(&tables, &crawled)
            .unwrap()
            .into_iter()
            .map(|p| p.into_iter().map(|(_, o)| o).collect())
            .collect();
        // f has no repositories; it joins e.
        assert_eq!(
            names,
            [vec!["a", "b"], vec!["c"], vec!["d"], vec!["e", "f"]]
        );
    }
}
