//! `run` and `demo`: the nightly job with everything a scheduler needs around it (the lock,
//! signals at any stage, e-mail, report retention, the `--fail-on` gate, one summary line).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use ado_posture::config::{self, ConfigError, Limits, ResolvedConfig};
use ado_posture::crawl::CrawlProgress;
use ado_posture::job::{self, JobError, JobOptions, JobOutcome, RunStatus};
use ado_posture::rules::Severity;
use ado_posture_sim::{SimServer, SimSettings};

use crate::args::EstateArgs;
use crate::data::lock_output;
use crate::exit;
use crate::output::{self, Output};
use crate::progress::ProgressBar;

/// `run`: loads and checks the config (every problem at once), then the nightly run.
pub async fn run(
    config: &Path,
    out: Option<&Path>,
    mut settings: RunSettings,
) -> anyhow::Result<u8> {
    let (mut config, output) = match load_for_run(config, out) {
        Ok(loaded) => loaded,
        // A scheduler's log still gets its one summary line.
        Err(e) => {
            eprintln!("error: {e:#}");
            log_summary(None, exit::USAGE, Duration::ZERO, "nothing committed");
            return Ok(exit::USAGE);
        }
    };
    if settings.rules_dir.is_some() {
        config.rules_dir = settings.rules_dir.take();
    }
    if let Some(dir) = &config.rules_dir
        && !dir.is_dir()
    {
        return Err(ConfigError::Invalid(format!(
            "the custom rules folder {} does not exist",
            dir.display()
        ))
        .into());
    }
    if settings.check {
        let orgs: usize = config
            .connectors
            .iter()
            .map(|c| c.organizations.as_ref().map_or(0, Vec::len))
            .sum();
        println!(
            "config OK: {} connector(s), {orgs} organization(s) listed (others discovered), output {}{}",
            config.connectors.len(),
            output.describe(),
            if config.email.is_some() {
                ", e-mail on"
            } else {
                ""
            }
        );
        return Ok(exit::SUCCESS);
    }
    if let Some(shard) = settings.shard {
        return shard_run(&config, &output, shard, &settings).await;
    }
    settings.retain_days = settings.retain_days.or(config.retain_days);
    scheduled_run(&config, &output, &settings).await
}

/// `run --shard K/N`: this shard's organizations, committed into its own folder (its own lock,
/// so shards never wait for each other); no rules, reports, e-mail or retention.
async fn shard_run(
    config: &ResolvedConfig,
    output: &Output,
    shard: ado_posture::shard::Shard,
    settings: &RunSettings,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let out = output.local.as_path();
    let folder = shard.folder(out);
    std::fs::create_dir_all(&folder)?;
    let (lock, stage) = match start(&folder, started) {
        Ok(started) => started,
        Err(code) => return Ok(code),
    };
    let options = JobOptions {
        snapshot_date: settings.snapshot_date,
        stage: stage.clone(),
        ..JobOptions::default()
    };
    let progress = ProgressBar::new();
    let result = job::run_shard(config, out, shard, &options, &progress).await;
    progress.finish();
    let code = match result {
        Ok(o) => {
            if let Some(store) = &output.store {
                let part = store.child(&output::shard_prefix(shard));
                if let Err(e) = output::publish(&part, &folder, o.snapshot_date, None, None).await {
                    eprintln!(
                        "error: {e}\nthe shard's part is committed in {} only",
                        folder.display()
                    );
                    drop(lock);
                    log_summary(None, exit::FAILURE, started.elapsed(), "nothing published");
                    return Ok(exit::FAILURE);
                }
            }
            println!(
                "Shard {} run {} ({}) — snapshot {}\n  dataset:  {}\n  organizations: {}; finalize with `ado-posture finalize --shards {}` once every shard has committed",
                o.shard,
                o.run_id,
                o.status.as_str(),
                o.snapshot_date,
                o.dataset_dir.display(),
                o.organizations,
                o.shard.count,
            );
            for e in &o.crawl_errors {
                println!("  not crawled: {}", e.message);
            }
            match o.status {
                RunStatus::Success => exit::SUCCESS,
                RunStatus::Partial => exit::PARTIAL,
            }
        }
        Err(JobError::NothingCrawled(errors)) => {
            eprintln!("error: nothing was crawled, so no part was committed:");
            for e in &errors {
                eprintln!("  - {}", e.message);
            }
            exit::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}\n{}", stage.describe());
            if stage.committed() {
                exit::PARTIAL
            } else {
                exit::FAILURE
            }
        }
    };
    drop(lock);
    log_summary(None, code, started.elapsed(), stage.describe());
    Ok(code)
}

/// Loads the config and checks the output folder, reporting every problem at once.
fn load_for_run(path: &Path, out: Option<&Path>) -> anyhow::Result<(ResolvedConfig, Output)> {
    let mut problems = Vec::new();
    let config = match config::load(path) {
        Ok(c) => Some(c),
        Err(ConfigError::Problems(p)) => {
            problems.extend(p);
            None
        }
        Err(e) => return Err(e.into()),
    };
    // When the config has problems, still check the output folder it names.
    let configured_dir = match &config {
        Some(c) => c.output_dir.clone(),
        None => config::configured_output_dir(path),
    };
    let (out, key) = match (out, configured_dir) {
        (Some(out), _) => (Some(out.to_path_buf()), "--out"),
        (None, Some(dir)) => (Some(dir), "[output] dir"),
        (None, None) => {
            if config.is_some() {
                problems.push("no output folder: pass --out DIR or set [output] dir".into());
            }
            (None, "")
        }
    };
    let work_dir = config.as_ref().and_then(|c| c.work_dir.clone());
    let identity = config.as_ref().and_then(|c| c.output_identity.as_ref());
    let out = out
        .and_then(|out| Output::resolve(&out, work_dir.as_deref(), identity, key, &mut problems));
    match (config, out) {
        (Some(config), Some(out)) if problems.is_empty() => Ok((config, out)),
        _ => Err(ConfigError::Problems(problems).into()),
    }
}

/// What `run` does besides the job itself.
pub struct RunSettings {
    pub fail_on: Option<Severity>,
    /// `--retain-days`, which wins over the config's.
    pub retain_days: Option<u32>,
    pub email: bool,
    pub snapshot_date: Option<chrono::NaiveDate>,
    pub rules_dir: Option<PathBuf>,
    /// `--check`: validate the config and stop.
    pub check: bool,
    /// `run --shard K/N`: crawl and commit this shard's part only.
    pub shard: Option<ado_posture::shard::Shard>,
    /// `finalize --shards N`: assemble the snapshot from the shards' parts.
    pub assemble_shards: Option<u32>,
}

impl RunSettings {
    /// The settings of the flags `run` and `finalize` share; the rest off.
    pub fn of(flags: crate::args::NightlyArgs) -> Self {
        RunSettings {
            fail_on: flags.fail_on.map(crate::args::FailOn::severity),
            retain_days: flags.retain_days,
            email: !flags.no_email,
            snapshot_date: flags.snapshot_date,
            rules_dir: flags.rules_dir,
            check: false,
            shard: None,
            assemble_shards: None,
        }
    }
}

/// Takes the folder's lock and stops cleanly on a signal from then on; the exit code (and the
/// summary line written) when another run holds the lock.
fn start(
    folder: &Path,
    started: Instant,
) -> Result<(ado_posture::lock::RunLock, Arc<job::RunStage>), u8> {
    let lock = lock_output(folder).inspect_err(|code| {
        log_summary(None, *code, started.elapsed(), "nothing committed");
    })?;
    let stage = Arc::new(job::RunStage::default());
    stop_on_signal(stage.clone(), started, folder.to_path_buf());
    Ok((lock, stage))
}

/// On SIGINT or SIGTERM, whatever stage the run is in (the crawl, writing, rules, reports,
/// e-mail): say what was committed, write the summary line and exit 130. Stopping at any
/// instant is safe: the dataset switches versions atomically, and the next run clears what an
/// unfinished one staged.
fn stop_on_signal(stage: Arc<job::RunStage>, started: Instant, out: PathBuf) {
    tokio::spawn(async move {
        let signal = crate::shutdown_signal().await;
        if !stage.committing() {
            // Tidy up as the run's own cleanup would; what a racing write leaves, the next
            // run's recovery removes.
            ado_posture::dataset::commit::VersionStore::of(&out.join("dataset")).discard_staging();
        }
        // The kernel releases the lock with the process; its file goes too, as on a normal end.
        let _ = std::fs::remove_file(out.join(ado_posture::lock::LOCK_FILE));
        eprintln!("error: interrupted by {signal}: {}", stage.describe());
        log_summary(None, exit::INTERRUPTED, started.elapsed(), stage.describe());
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}

/// The nightly run: lock, job (interruptible), e-mail, retention, exit code, summary line.
async fn scheduled_run(
    config: &ResolvedConfig,
    output: &Output,
    settings: &RunSettings,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let out = output.local.as_path();
    let (lock, stage) = match start(out, started) {
        Ok(started) => started,
        Err(code) => return Ok(code),
    };
    let date = match output::prepare(output, settings.snapshot_date, settings.assemble_shards).await
    {
        Ok(date) => date,
        Err(e) => {
            eprintln!("error: {e}");
            drop(lock);
            log_summary(None, exit::FAILURE, started.elapsed(), "nothing committed");
            return Ok(exit::FAILURE);
        }
    };
    let retain_from = settings.retain_days.map(|days| {
        date.checked_sub_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(chrono::NaiveDate::MIN)
    });
    let options = JobOptions {
        snapshot_date: Some(date),
        retain_from,
        stage: stage.clone(),
        assemble_shards: settings.assemble_shards,
        ..JobOptions::default()
    };
    let progress = ProgressBar::new();
    let work = async {
        let (code, outcome) = run_job(config, out, &options, &progress).await?;
        progress.finish();
        let Some(outcome) = outcome else {
            return Ok::<_, anyhow::Error>((code, None));
        };
        if let Some(store) = &output.store {
            let reports = Some(outcome.reports.dir.as_path());
            if let Err(e) =
                output::publish(store, out, outcome.snapshot_date, retain_from, reports).await
            {
                eprintln!(
                    "error: {e}\nthe snapshot is committed in the work folder {} only; no e-mail was sent",
                    out.display()
                );
                return Ok((exit::FAILURE, Some(outcome)));
            }
        }
        let delivered = job::deliver(
            config,
            out,
            &outcome,
            job::Delivery {
                email: settings.email,
                retain_from,
                fail_on: settings.fail_on,
            },
        )
        .await?;
        let mut code = code;
        if let Some(e) = &delivered.email_error {
            eprintln!(
                "error: {e}; the dataset and reports are kept, resend with `ado-posture email`"
            );
            if code == exit::SUCCESS {
                code = exit::EMAIL_FAILED;
            }
        }
        if code == exit::SUCCESS
            && let Some(threshold) = settings.fail_on
            && say_failing(delivered.failing, threshold)
        {
            code = exit::FINDINGS;
        }
        Ok((code, Some(outcome)))
    };
    let (code, outcome) = match work.await {
        Ok(done) => done,
        Err(e) => {
            progress.finish();
            // Disk full, a report that cannot be written…: say what was kept, and still
            // write the summary line.
            let code = if stage.committed() {
                exit::PARTIAL
            } else {
                exit::FAILURE
            };
            eprintln!("error: {e:#}\n{}", stage.describe());
            log_summary(None, code, started.elapsed(), stage.describe());
            return Ok(code);
        }
    };
    drop(lock);
    log_summary(outcome.as_ref(), code, started.elapsed(), stage.describe());
    Ok(code)
}

/// Whether open findings at or above `threshold` exist (`--fail-on`); says so.
pub fn say_failing(failing: usize, threshold: Severity) -> bool {
    if failing > 0 {
        eprintln!(
            "{failing} open finding(s) at or above {threshold} severity (--fail-on {threshold})"
        );
    }
    failing > 0
}

/// The one line a scheduler's log keeps: what was crawled, found and spent, and why it exited.
/// `committed` says what was committed when there is no outcome to count.
fn log_summary(outcome: Option<&JobOutcome>, code: u8, elapsed: Duration, committed: &str) {
    let reason = exit::reason(code);
    let seconds = (elapsed.as_secs_f64() * 10.0).round() / 10.0;
    match outcome {
        Some(o) => {
            // The counts stdout, the manifest and the report show (open = failing, not exempt);
            // inventory sizes are the rows of the inventory tables.
            let counts = &o.counts.open;
            let rows = |table: &str| {
                o.tables
                    .iter()
                    .find(|t| t.table == table)
                    .map_or(0, |t| t.rows)
            };
            let (projects, repositories) = (rows("projects"), rows("repositories"));
            let api = &o.api;
            tracing::info!(
                organizations = o.organizations,
                organizations_failed = o.crawl_errors.len(),
                projects,
                repositories,
                critical = counts.critical,
                high = counts.high,
                medium = counts.medium,
                low = counts.low,
                new = o.counts.new,
                resolved = o.counts.resolved,
                api_calls = api.calls,
                api_errors = api.errors,
                api_retries = api.retries,
                throttled_blocked = api.blocked,
                throttled_delay_s = api.delayed_seconds,
                duration_s = seconds,
                exit_code = code,
                exit_reason = reason,
                "summary: {} organizations ({} failed), {projects} projects, {repositories} repositories, findings {} critical / {} high / {} medium / {} low ({} new, {} resolved), {} API calls ({} failed, {} retries; throttling: {} blocked, {:.1} s delayed), {seconds} s, exit {code} ({reason})",
                o.organizations,
                o.crawl_errors.len(),
                counts.critical,
                counts.high,
                counts.medium,
                counts.low,
                o.counts.new,
                o.counts.resolved,
                api.calls,
                api.errors,
                api.retries,
                api.blocked,
                api.delayed_seconds,
            );
        }
        None => tracing::info!(
            duration_s = seconds,
            exit_code = code,
            exit_reason = reason,
            "summary: {committed}, {seconds} s, exit {code} ({reason})"
        ),
    }
}

pub async fn demo(
    out: &Path,
    estate: &EstateArgs,
    snapshot_date: Option<chrono::NaiveDate>,
) -> anyhow::Result<u8> {
    if ado_posture::dataset::remote::is_url(&out.to_string_lossy()) {
        return Err(ConfigError::Invalid(format!(
            "demo writes a local folder, not {}: use `run` with [output] dir for an object store",
            out.display()
        ))
        .into());
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = SimServer::start(loopback, estate.estate(), SimSettings::default())
        .await
        .context("cannot start the simulator on a loopback port")?;
    println!("Simulated Azure DevOps estate serving on {}", server.url());
    let config = ResolvedConfig {
        output_dir: None,
        work_dir: None,
        output_identity: None,
        retain_days: None,
        limits: Limits {
            requests_per_second: 200,
            burst: 50,
            ..Limits::default()
        },
        connectors: vec![server.connector("demo")],
        email: None,
        exemptions: Vec::new(),
        rule_scopes: Vec::new(),
        owners: Vec::new(),
        rules_dir: None,
    };
    let options = JobOptions {
        snapshot_date,
        ..JobOptions::default()
    };
    let _lock = match lock_output(out) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let (code, _) = run_job(&config, out, &options, &ado_posture::crawl::NoProgress).await?;
    println!("Requests served by the simulator: {}", server.requests());
    Ok(code)
}

/// Runs the job and prints what it wrote; the exit code, and the outcome when something was committed.
async fn run_job(
    config: &ResolvedConfig,
    out: &Path,
    options: &JobOptions,
    progress: &dyn CrawlProgress,
) -> anyhow::Result<(u8, Option<JobOutcome>)> {
    match job::run_with_progress(config, out, options, progress).await {
        Ok(outcome) => {
            print_outcome(&outcome);
            let code = match outcome.status {
                RunStatus::Success => exit::SUCCESS,
                RunStatus::Partial => exit::PARTIAL,
            };
            Ok((code, Some(outcome)))
        }
        Err(JobError::NothingCrawled(errors)) => {
            eprintln!("error: nothing was crawled, so no snapshot was committed:");
            for e in &errors {
                eprintln!("  - {}", e.message);
            }
            Ok((exit::FAILURE, None))
        }
        Err(e) => Err(e.into()),
    }
}

fn print_outcome(o: &JobOutcome) {
    let rows = o
        .tables
        .iter()
        .map(|t| format!("{} {}", t.table, t.rows))
        .collect::<Vec<_>>()
        .join(", ");
    let counts = &o.counts;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Run {} ({}) — snapshot {}\n  dataset:  {}  ({rows} rows)\n  manifest: {}\n  reports:  {}\n            {} (findings.csv, recommendations.csv, summary.csv, email.html)\n  findings: {} (critical {}, high {}, medium {}, low {}), {} new, {} resolved",
        o.run_id,
        o.status.as_str(),
        o.snapshot_date,
        o.dataset_dir.display(),
        o.manifest.display(),
        o.reports.report_html.display(),
        o.reports.dir.display(),
        counts.open.total,
        counts.open.critical,
        counts.open.high,
        counts.open.medium,
        counts.open.low,
        counts.new,
        counts.resolved,
    );
    for e in &o.crawl_errors {
        let _ = writeln!(stdout, "  not crawled: {}", e.message);
    }
    for e in &o.rule_errors {
        let _ = writeln!(stdout, "  rule failed: {e}");
    }
}
