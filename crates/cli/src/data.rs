//! The commands over a dataset a run wrote: `report`, `query`, `schema`, `evaluate`, `rules`
//! and `email`, and what they share (finding the dataset, the output folder's lock).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use ado_posture::config::{self, ConfigError};
use ado_posture::dataset::Dataset;
use ado_posture::job;
use ado_posture::lock::{LockError, RunLock};
use ado_posture::report::{self, ReportOptions, ReportPaths, ReportSummary};
use ado_posture::rules::Severity;

use crate::args::{QueryFormat, RulesFormat};
use crate::exit;

/// `report`: rebuilds the newest snapshot's reports.
pub fn report(data: &Path, out: Option<PathBuf>) -> anyhow::Result<u8> {
    let (root, _) = output_root(data)?;
    let out = out.unwrap_or(root.clone());
    let _lock = match lock_output(&root) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let (paths, summary) = latest_reports(&root, &out, None)?;
    println!(
        "Reports of snapshot {} ({} critical, {} high, {} medium, {} low):\n  {}\n  {}",
        summary.snapshot_date,
        summary.counts.critical,
        summary.counts.high,
        summary.counts.medium,
        summary.counts.low,
        paths.report_html.display(),
        paths.dir.display()
    );
    Ok(exit::SUCCESS)
}

/// `schema`: one table's columns, or every table's; a table that does not exist is a usage
/// error that lists those that do.
pub fn schema(table: Option<&str>) -> u8 {
    match ado_posture::tables::describe(table) {
        Some(text) => {
            print!("{text}");
            exit::SUCCESS
        }
        None => {
            let names: Vec<&str> = ado_posture::tables::ALL_TABLES
                .iter()
                .map(|t| t.name)
                .collect();
            eprintln!(
                "error: there is no table {:?}; the tables are: {}",
                table.unwrap_or_default(),
                names.join(", ")
            );
            exit::USAGE
        }
    }
}

/// `evaluate`: re-runs the rules over a committed snapshot and commits the findings.
pub fn evaluate(
    data: &Path,
    config: Option<&Path>,
    rules_dir: Option<PathBuf>,
    date: Option<chrono::NaiveDate>,
    fail_on: Option<Severity>,
) -> anyhow::Result<u8> {
    let config = config.map(config::load).transpose()?;
    let rules_dir = rules_dir.or(config.as_ref().and_then(|c| c.rules_dir.clone()));
    let (exemptions, scopes, owners) = config
        .map(|c| (c.exemptions, c.rule_scopes, c.owners))
        .unwrap_or_default();
    let (root, dataset_dir) = output_root(data)?;
    let _lock = match lock_output(&root) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let o = job::evaluate_committed(
        &dataset_dir,
        date,
        rules_dir.as_deref(),
        &exemptions,
        &scopes,
        &owners,
    )?;
    let counts = o.counts;
    println!(
        "Evaluated {} rules over snapshot {}: {} open findings (critical {}, high {}, medium {}, low {}), {} not evaluated, {} exempt, {} resolved",
        o.rules,
        o.snapshot_date,
        counts.open.total,
        counts.open.critical,
        counts.open.high,
        counts.open.medium,
        counts.open.low,
        counts.not_evaluated,
        counts.exempt,
        counts.resolved,
    );
    for e in &o.rule_errors {
        eprintln!("rule failed: {e}");
    }
    let mut code = if o.rule_errors.is_empty() {
        exit::SUCCESS
    } else {
        exit::PARTIAL
    };
    if code == exit::SUCCESS
        && let Some(threshold) = fail_on
        && crate::nightly::say_failing(
            usize::try_from(counts.open.at_or_above(threshold)).unwrap_or(usize::MAX),
            threshold,
        )
    {
        code = exit::FINDINGS;
    }
    Ok(code)
}

/// `rules`: the catalog as a table, JSON or Markdown.
pub fn rules(format: RulesFormat, rules_dir: Option<&Path>) -> anyhow::Result<u8> {
    let (rules, errors) = job::load_catalog(rules_dir)?;
    for e in &errors {
        eprintln!("error: {e}");
    }
    let mut stdout = std::io::stdout().lock();
    match format {
        RulesFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&rules)?)?,
        RulesFormat::Markdown => write!(stdout, "{}", ado_posture::rules::markdown(&rules))?,
        RulesFormat::Table => {
            for r in &rules {
                writeln!(
                    stdout,
                    "{:<14} {:<7} {:<12} {}",
                    r.id,
                    r.severity.as_str(),
                    r.resource_kind,
                    r.title
                )?;
            }
            writeln!(stdout, "({} rules)", rules.len())?;
        }
    }
    Ok(exit::SUCCESS)
}

/// `email`: sends the newest snapshot's summary again.
pub async fn email(config: &Path, data: Option<PathBuf>) -> anyhow::Result<u8> {
    let config = config::load(config)?;
    let Some(email) = &config.email else {
        return Err(ConfigError::Invalid("no [email] section: nothing to send".into()).into());
    };
    let Some(data) = data.or_else(|| config.output_dir.clone()) else {
        return Err(ConfigError::Invalid(
            "no output folder: pass --data DIR or set [output] dir in the config".into(),
        )
        .into());
    };
    let (root, _) = output_root(&data)?;
    let _lock = match lock_output(&root) {
        Ok(lock) => lock,
        Err(code) => return Ok(code),
    };
    let (paths, summary) = latest_reports(&root, &root, email.report_url.clone())?;
    match ado_posture::email::send(email, &summary, &paths).await {
        Ok(()) => {
            println!(
                "Sent the summary of snapshot {} to {}",
                summary.snapshot_date,
                email.to.join(", ")
            );
            Ok(exit::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(exit::EMAIL_FAILED)
        }
    }
}

/// Takes the output folder's lock for a command that writes there (`run`, `evaluate`,
/// `report`, `email`), or says who holds it: exit 7.
pub fn lock_output(out: &Path) -> Result<RunLock, u8> {
    match RunLock::acquire(out) {
        Ok(lock) => {
            if let Some(previous) = &lock.taken_over_from {
                tracing::warn!(lock = %lock.path().display(), "took over the lock of a run that is no longer running ({previous})");
            }
            Ok(lock)
        }
        Err(e @ LockError::Held { .. }) => {
            eprintln!("error: {e}");
            Err(exit::LOCKED)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(exit::FAILURE)
        }
    }
}

/// `ado-posture query`: a mistake in the SQL is a usage error (exit 2), said once; a reader
/// that closes the pipe early (`| head`) is not an error.
pub fn query(
    data: &Path,
    sql: Option<String>,
    file: Option<PathBuf>,
    format: QueryFormat,
    output: Option<PathBuf>,
    snapshots: ado_posture::dataset::query::Snapshots,
) -> anyhow::Result<u8> {
    use ado_posture::dataset::query::{self, OutputFormat, QueryError};
    let (_, dataset_dir) = output_root(data)?;
    let sql = match (sql, file) {
        (Some(sql), _) => sql,
        (None, Some(file)) if file.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .context("reading the SQL from standard input")?;
            text
        }
        (None, Some(file)) => {
            std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?
        }
        (None, None) => bail!("give the SQL as an argument or with --file"),
    };
    let result = match query::run(&Dataset::new(dataset_dir), &sql, snapshots) {
        Ok(result) => result,
        Err(e @ (QueryError::Sql { .. } | QueryError::NoSnapshot(_))) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
        Err(e) => return Err(e.into()),
    };
    let format = match format {
        QueryFormat::Table => OutputFormat::Table,
        QueryFormat::Csv => OutputFormat::Csv,
        QueryFormat::Json => OutputFormat::Json,
        QueryFormat::Ndjson => OutputFormat::Ndjson,
    };
    let written = match &output {
        Some(path) => std::fs::File::create(path)
            .and_then(|f| {
                let mut writer = std::io::BufWriter::new(f);
                query::write_result(&result, format, &mut writer)
            })
            .with_context(|| format!("writing {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match query::write_result(&result, format, &mut stdout) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(exit::SUCCESS),
                other => other.context("writing the result"),
            }
        }
    };
    written?;
    Ok(exit::SUCCESS)
}

/// The output folder of a run and its dataset, from either of them.
pub fn output_root(data: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    if ado_posture::dataset::remote::is_url(&data.to_string_lossy()) {
        bail!(
            "{} is an object store: this command reads a local folder. Point it at the run's work folder ([output] work_dir), or read the store's tables as docs/dataset.md shows",
            data.display()
        )
    }
    if data.join("dataset").is_dir() {
        Ok((data.to_path_buf(), data.join("dataset")))
    } else if data.join("_runs").is_dir() {
        let root = data.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok((root, data.to_path_buf()))
    } else {
        bail!(
            "{} holds no ado-posture dataset (no dataset/ or _runs/ folder): run the job first",
            data.display()
        )
    }
}

/// Rebuilds the newest snapshot's reports from the dataset under `root` into `out`.
pub fn latest_reports(
    root: &Path,
    out: &Path,
    report_url: Option<String>,
) -> anyhow::Result<(ReportPaths, ReportSummary)> {
    let dataset = Dataset::new(root.join("dataset"));
    let rules = ado_posture::rules::builtin_rules()?;
    let options = ReportOptions {
        report_url,
        ..ReportOptions::default()
    };
    Ok(report::build_latest(&dataset, &rules, out, &options)?)
}
