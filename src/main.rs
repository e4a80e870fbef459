//! The command line: parses arguments, calls one stage per subcommand, maps errors to exit codes.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use ado_posture::config::{
    self, Connector, Credential, Deployment, Limits, ResolvedConfig, Secret,
};
use ado_posture::dataset::Dataset;
use ado_posture::job::{self, JobError, JobOptions, JobOutcome, RunStatus};
use ado_posture::report::{self, ReportOptions, ReportPaths, ReportSummary};
use ado_posture::sim::{Estate, EstateSizes, SimServer, SimSettings};

/// Exit codes, documented in --help and the README.
mod exit {
    pub const SUCCESS: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const PARTIAL: u8 = 3;
    pub const FAILURE: u8 = 4;
    pub const EMAIL_FAILED: u8 = 6;
}

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  2  usage or configuration error (nothing was crawled)
  3  partial: some organizations or rules failed; the rest was committed
  4  failure: nothing was committed (e.g. every organization rejected the credential)
  6  the summary e-mail could not be sent (dataset and reports are kept)

Logs go to stderr; set ADO_POSTURE_LOG (e.g. ADO_POSTURE_LOG=debug) to change their level.

Examples:
  ado-posture demo --out ./demo
  ADO_PAT=... ado-posture run --config /etc/ado-posture/config.toml --out /var/lib/ado-posture
  ado-posture simulate --listen 127.0.0.1:8080 --seed 42 --truth truth.json";

/// Security posture of Azure DevOps organizations, as a Parquet dataset and reports.
///
/// Crawls every configured organization (Azure DevOps Services or Server) inside the global
/// consumption limit, writes inventory and posture tables as Hive-partitioned Parquet, evaluates
/// security recommendations and writes CSV and HTML reports.
#[derive(Debug, Parser)]
#[command(name = "ado-posture", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the full job against a built-in simulated estate: no credentials, no network.
    ///
    /// Starts the simulator on a free loopback port, crawls it over HTTP like a real estate,
    /// and writes the dataset and reports under --out.
    Demo {
        /// Where to write the dataset and reports.
        #[arg(long, default_value = "ado-posture-demo")]
        out: PathBuf,
        #[command(flatten)]
        estate: EstateArgs,
    },
    /// The nightly job: crawl the configured connectors, write the snapshot, evaluate the
    /// recommendations, write the reports.
    Run {
        /// The config file (TOML; see the README). Secrets are read from the environment
        /// variables or files it names.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Where to write the dataset and reports (default: [output] dir of the config).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Do not send the summary e-mail even if [email] is configured.
        #[arg(long)]
        no_email: bool,
    },
    /// Rebuild the reports of the newest snapshot from the dataset.
    Report {
        /// The output folder of a run (holding dataset/), or the dataset folder itself.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Where to write reports/<date>/ (default: the output folder of --data).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// (Re)send the summary e-mail of the newest snapshot, as configured in [email].
    Email {
        /// The config file with the [email] section.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The output folder of a run (default: [output] dir of the config).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Serve a simulated Azure DevOps estate over HTTP on a loopback address, until Ctrl-C.
    ///
    /// Point a connector's url and vssps_url at the printed address. Requests must carry the
    /// PAT given by --pat as Basic auth.
    Simulate {
        /// Loopback address to listen on (port 0 picks a free port; the address is printed).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: SocketAddr,
        #[command(flatten)]
        estate: EstateArgs,
        /// The PAT clients must present.
        #[arg(
            long,
            env = "ADO_POSTURE_SIM_PAT",
            default_value = "simulated-pat",
            hide_env_values = true
        )]
        pat: String,
        /// Largest page the paged lists (projects, policy configurations) return.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        page_size: u32,
        /// Write the estate's ground truth (counts, injected misconfigurations, expected
        /// findings) to this JSON file.
        #[arg(long, value_name = "FILE")]
        truth: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct EstateArgs {
    /// Seed of the simulated estate: the same seed and sizes give the same estate.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Organizations in the simulated estate.
    #[arg(long, default_value_t = 3)]
    organizations: usize,
    /// Projects per organization.
    #[arg(long, default_value_t = 6)]
    projects: usize,
    /// Repositories per project.
    #[arg(long, default_value_t = 5)]
    repositories: usize,
    /// Serve the estate as it stands this many days after generation: each day one failing
    /// repository is fixed and one passing repository loses its policy.
    #[arg(long, default_value_t = 0)]
    day: u64,
}

impl EstateArgs {
    fn estate(&self) -> Estate {
        Estate::generate(
            self.seed,
            EstateSizes {
                organizations: self.organizations,
                projects_per_organization: self.projects,
                repositories_per_project: self.repositories,
            },
        )
        .on_day(self.day)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            let code = if e.downcast_ref::<config::ConfigError>().is_some() {
                exit::USAGE
            } else {
                exit::FAILURE
            };
            ExitCode::from(code)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ADO_POSTURE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Demo { out, estate } => demo(&out, &estate).await,
        Command::Run {
            config,
            out,
            no_email,
        } => {
            let config = config::load(&config)?;
            let out = match out.or_else(|| config.output_dir.clone()) {
                Some(out) => out,
                None => {
                    return Err(config::ConfigError::Invalid(
                        "no output folder: pass --out DIR or set [output] dir in the config".into(),
                    )
                    .into());
                }
            };
            let (code, outcome) = run_job(&config, &out).await?;
            let (Some(email), Some(outcome), false) = (&config.email, outcome, no_email) else {
                return Ok(code);
            };
            {
                {
                    match ado_posture::email::send(email, &outcome.summary, &outcome.reports).await
                    {
                        Ok(()) => Ok(code),
                        Err(e) => {
                            eprintln!(
                                "error: {e}; the dataset and reports are kept, resend with `ado-posture email`"
                            );
                            Ok(if code == exit::SUCCESS {
                                exit::EMAIL_FAILED
                            } else {
                                code
                            })
                        }
                    }
                }
            }
        }
        Command::Report { data, out } => {
            let (root, _) = output_root(&data)?;
            let out = out.unwrap_or(root.clone());
            let (paths, summary) = latest_reports(&root, &out, None)?;
            println!(
                "Reports of snapshot {} ({} high, {} medium, {} low):\n  {}\n  {}",
                summary.snapshot_date,
                summary.counts.high,
                summary.counts.medium,
                summary.counts.low,
                paths.report_html.display(),
                paths.dir.display()
            );
            Ok(exit::SUCCESS)
        }
        Command::Email { config, data } => {
            let config = config::load(&config)?;
            let Some(email) = &config.email else {
                return Err(config::ConfigError::Invalid(
                    "no [email] section: nothing to send".into(),
                )
                .into());
            };
            let Some(data) = data.or_else(|| config.output_dir.clone()) else {
                return Err(config::ConfigError::Invalid(
                    "no output folder: pass --data DIR or set [output] dir in the config".into(),
                )
                .into());
            };
            let (root, _) = output_root(&data)?;
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
        Command::Simulate {
            listen,
            estate,
            pat,
            page_size,
            truth,
        } => simulate(listen, &estate, pat, page_size as usize, truth.as_deref()).await,
    }
}

/// The output folder of a run and its dataset, from either of them.
fn output_root(data: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
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
fn latest_reports(
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

async fn demo(out: &Path, estate: &EstateArgs) -> anyhow::Result<u8> {
    let settings = SimSettings::default();
    let pat = settings.pat.clone();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = SimServer::start(loopback, estate.estate(), settings)
        .await
        .context("cannot start the simulator on a loopback port")?;
    let url = url::Url::parse(&server.url()).context("simulator URL")?;
    println!("Simulated Azure DevOps estate serving on {}", server.url());
    let config = ResolvedConfig {
        output_dir: None,
        limits: Limits {
            requests_per_second: 200,
            burst: 50,
            max_concurrency: 8,
        },
        connectors: vec![Connector {
            name: "demo".into(),
            url: url.clone(),
            vssps_url: Some(url.clone()),
            advsec_url: Some(url),
            deployment: Deployment::Services,
            organizations: None,
            include_projects: Vec::new(),
            exclude_projects: Vec::new(),
            credential: Credential::Pat(Secret::new(pat)),
        }],
        email: None,
    };
    let (code, _) = run_job(&config, out).await?;
    println!("Requests served by the simulator: {}", server.requests());
    Ok(code)
}

/// Runs the job and prints what it wrote; the exit code, and the outcome when something was committed.
async fn run_job(config: &ResolvedConfig, out: &Path) -> anyhow::Result<(u8, Option<JobOutcome>)> {
    match job::run(config, out, &JobOptions::default()).await {
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
    let count = |s: &str| {
        o.findings
            .iter()
            .filter(|f| f.severity.as_str() == s)
            .count()
    };
    let new = o.findings.iter().filter(|f| f.status == "new").count();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Run {} ({}) — snapshot {}\n  dataset:  {}  ({rows} rows)\n  manifest: {}\n  reports:  {}\n            {} (findings.csv, recommendations.csv, summary.csv, email.html)\n  findings: {} (high {}, medium {}, low {}), {new} new, {} resolved",
        o.run_id,
        match o.status {
            RunStatus::Success => "success",
            RunStatus::Partial => "partial",
        },
        o.snapshot_date,
        o.dataset_dir.display(),
        o.manifest.display(),
        o.reports.report_html.display(),
        o.reports.dir.display(),
        o.findings.len(),
        count("high"),
        count("medium"),
        count("low"),
        o.summary.resolved,
    );
    for e in &o.crawl_errors {
        let _ = writeln!(stdout, "  not crawled: {}", e.message);
    }
    for e in &o.rule_errors {
        let _ = writeln!(stdout, "  rule failed: {e}");
    }
}

async fn simulate(
    listen: SocketAddr,
    estate: &EstateArgs,
    pat: String,
    page_size: usize,
    truth: Option<&Path>,
) -> anyhow::Result<u8> {
    if !listen.ip().is_loopback() {
        bail!("the simulator only listens on loopback addresses (127.0.0.1 or ::1), not {listen}");
    }
    let estate = estate.estate();
    if let Some(path) = truth {
        let text = serde_json::to_vec_pretty(&estate.ground_truth())?;
        std::fs::write(path, text)
            .with_context(|| format!("writing ground truth to {}", path.display()))?;
    }
    let server = SimServer::start(
        listen,
        estate,
        SimSettings {
            pat,
            max_page_size: page_size,
        },
    )
    .await
    .with_context(|| format!("cannot listen on {listen}"))?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "ado-posture simulator listening on {}",
            server.url()
        )?;
        stdout.flush()?;
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = server.wait() => {}
    }
    Ok(exit::SUCCESS)
}
