//! The command line: parses arguments, calls one stage per subcommand, maps outcomes to exit
//! codes, and keeps a scheduled run safe (lock, signals, retention, a final summary line).

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use ado_posture::config::{self, ConfigError, Limits, ResolvedConfig};
use ado_posture::crawl::CrawlProgress;
use ado_posture::dataset::Dataset;
use ado_posture::job::{self, JobError, JobOptions, JobOutcome, RunStatus};
use ado_posture::lock::{LockError, RunLock};
use ado_posture::report::{self, ReportOptions, ReportPaths, ReportSummary};
use ado_posture::rules::Severity;
use ado_posture::sim::{Estate, EstateSizes, SimServer, SimSettings};

/// Exit codes, declared in `ado_posture::exit_code` (which also writes --help and the README
/// table); the numbers here for brevity.
mod exit {
    use ado_posture::exit_code::ExitCode;

    pub const SUCCESS: u8 = ExitCode::Success.code();
    pub const USAGE: u8 = ExitCode::Usage.code();
    pub const PARTIAL: u8 = ExitCode::Partial.code();
    pub const FAILURE: u8 = ExitCode::Failure.code();
    pub const FINDINGS: u8 = ExitCode::Findings.code();
    pub const EMAIL_FAILED: u8 = ExitCode::EmailFailed.code();
    pub const LOCKED: u8 = ExitCode::Locked.code();
    pub const INTERRUPTED: u8 = ExitCode::Interrupted.code();

    pub fn reason(code: u8) -> &'static str {
        ExitCode::from_code(code).map_or("unknown", ExitCode::reason)
    }
}

/// --help's closing text: the exit codes, logs and examples.
fn after_help() -> String {
    format!(
        "{}
Logs go to stderr: text on a terminal, JSON lines otherwise (--log-format). Filter them with
ADO_POSTURE_LOG or RUST_LOG (e.g. RUST_LOG=debug, RUST_LOG=ado_posture=debug), or -v / -q.

Examples:
  ado-posture demo --out ./demo
  ado-posture run --config /etc/ado-posture/config.toml --check
  ADO_PAT=... ado-posture run --config /etc/ado-posture/config.toml --fail-on high
  ado-posture query -d /var/lib/ado-posture \"SELECT severity, COUNT(*) AS n FROM latest_findings GROUP BY severity\"
  ado-posture simulate --listen 127.0.0.1:8080 --seed 42 --truth truth.json",
        ado_posture::exit_code::help_text()
    )
}

/// Security posture of Azure DevOps organizations, as a Parquet dataset and reports.
///
/// Crawls every configured organization (Azure DevOps Services or Server) inside the global
/// consumption limit, writes inventory and posture tables as Hive-partitioned Parquet, evaluates
/// security recommendations and writes CSV and HTML reports and an e-mailed summary.
#[derive(Debug, Parser)]
#[command(name = "ado-posture", version, after_help = after_help())]
struct Cli {
    /// Log format on stderr: text for people, json (one object per line) for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, global = true)]
    log_format: LogFormat,
    /// More detail in the logs (-v debug, -vv trace); ADO_POSTURE_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    verbose: u8,
    /// Only warnings and errors in the logs.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// text on a terminal, json otherwise
    Auto,
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QueryFormat {
    /// aligned columns
    Table,
    /// RFC 4180, formula cells defused
    Csv,
    /// an array of objects, keys in column order, typed values
    Json,
    /// one JSON object per line
    Ndjson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    High,
    Medium,
    Low,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
        }
    }
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the full job against a built-in simulated estate: no credentials, no network.
    ///
    /// Starts the simulator on a free loopback port, crawls it over HTTP like a real estate,
    /// and writes the dataset and reports under --out.
    Demo {
        /// Where to write the dataset and reports.
        #[arg(short, long, default_value = "ado-posture-demo")]
        out: PathBuf,
        #[command(flatten)]
        estate: EstateArgs,
        /// The snapshot's date (default: today, UTC); with --day, a history of demo snapshots.
        #[arg(long, value_name = "YYYY-MM-DD")]
        snapshot_date: Option<chrono::NaiveDate>,
    },
    /// The nightly job: crawl the configured connectors, write the snapshot, evaluate the
    /// recommendations, write the reports, e-mail the summary.
    ///
    /// One run at a time per output folder (a lock in it); SIGINT/SIGTERM stop it cleanly.
    Run {
        /// The config file (TOML; see the README). Secrets are read from the environment
        /// variables or files it names.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// Where to write the dataset and reports (default: [output] dir of the config).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Validate the config, its secrets and the output folder, report every problem, and exit.
        #[arg(long)]
        check: bool,
        /// Exit with code 5 when open findings at or above this severity exist (a pipeline gate).
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<FailOn>,
        /// After a successful run, delete snapshots and reports older than this many days
        /// (default: [output] retain_days; none when unset).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36500))]
        retain_days: Option<u32>,
        /// Do not send the summary e-mail even if [email] is configured.
        #[arg(long)]
        no_email: bool,
        /// A folder of custom rule files (*.sql with the rule header), added to the built-in
        /// catalog (default: [rules] directory of the config).
        #[arg(long, value_name = "DIR")]
        rules_dir: Option<PathBuf>,
        /// The snapshot's date (default: today, UTC), for backfills and tests; a run on a date
        /// that has a snapshot replaces it whole.
        #[arg(long, value_name = "YYYY-MM-DD")]
        snapshot_date: Option<chrono::NaiveDate>,
    },
    /// (Re)evaluate the recommendations over a snapshot already in the dataset (the newest by
    /// default) and replace its findings; the inventory is not crawled again. Use it after
    /// adding custom rules or exemptions, then `ado-posture report` to rebuild the reports.
    Evaluate {
        /// The output folder of a run (holding dataset/), or the dataset folder itself.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The config file, for its [[exemption]] entries and [rules] directory (optional).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A folder of custom rule files (default: [rules] directory of the config).
        #[arg(long, value_name = "DIR")]
        rules_dir: Option<PathBuf>,
        /// The snapshot to evaluate, YYYY-MM-DD (default: the newest).
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
        /// Exit with code 5 when open findings at or above this severity exist (a pipeline gate).
        #[arg(long, value_enum, value_name = "SEVERITY")]
        fail_on: Option<FailOn>,
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
    /// Run SQL over the dataset with Polars. Every table is registered by name over all its
    /// snapshots (with a snapshot_date column), and latest_<table> holds its newest snapshot.
    ///
    /// Example: ado-posture query --data ./ado-posture-demo "SELECT severity, COUNT(*) AS n FROM latest_findings GROUP BY severity"
    Query {
        /// The output folder of a run (holding dataset/), or the dataset folder itself.
        #[arg(short, long, value_name = "DIR", env = "ADO_POSTURE_DATA")]
        data: PathBuf,
        /// The SQL statement (or use --file).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        sql: Option<String>,
        /// A file holding the SQL statement, e.g. one of sql/*.sql; `-` reads standard input.
        #[arg(short, long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
        /// Write the result to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Make the plain table names read one snapshot, as the rules do: `latest` or a date
        /// (YYYY-MM-DD); the built-in views (e.g. default_branch_policies) are then there too.
        #[arg(long, value_name = "latest|DATE", value_parser = parse_snapshot)]
        snapshot: Option<ado_posture::dataset::query::Snapshots>,
    },
    /// List the dataset's tables, or one table's columns with their types and meanings.
    Schema {
        /// A table name (default: every table).
        table: Option<String>,
    },
    /// Print a shell completion script, e.g. `ado-posture completions bash > /etc/bash_completion.d/ado-posture`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `ado-posture man > /usr/local/share/man/man1/ado-posture.1`.
    Man,
    /// List the recommendations the engine evaluates: id, severity, title, remediation, references.
    Rules {
        /// table (one line per rule), json (everything), or markdown (docs/rules.md).
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
        /// Also list the custom rules of this folder (a file that does not load is reported).
        #[arg(long, value_name = "DIR")]
        rules_dir: Option<PathBuf>,
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
        /// Milliseconds added to every response.
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency_ms: u64,
        #[command(flatten)]
        behaviour: SimBehaviourArgs,
        #[command(flatten)]
        entra: SimEntraArgs,
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

/// The simulator's Entra token service: POST /{tenant}/oauth2/v2.0/token (client secret or
/// federated assertion) and GET /metadata/identity/oauth2/token (managed identity).
#[derive(Debug, Args)]
struct SimEntraArgs {
    /// Tenant id service principals and workload identities authenticate against.
    #[arg(long, default_value = "00000000-0000-0000-0000-00000000cafe")]
    tenant_id: String,
    /// Client (application) id of the simulated service principal.
    #[arg(long, default_value = "11111111-2222-3333-4444-555555555555")]
    client_id: String,
    /// The service principal's client secret.
    #[arg(
        long,
        env = "ADO_POSTURE_SIM_CLIENT_SECRET",
        default_value = "simulated-client-secret",
        hide_env_values = true
    )]
    client_secret: String,
    /// The federated token (workload identity) accepted as client assertion.
    #[arg(long, default_value = "simulated-federated-token")]
    federated_token: String,
    /// PEM file with the RSA public key (PKCS#1, `openssl rsa -RSAPublicKey_out`) of the service
    /// principal's certificate: client assertions signed with its private key are accepted.
    #[arg(long, value_name = "FILE")]
    client_public_key: Option<PathBuf>,
    /// Lifetime of the tokens it issues (short values exercise the client's refresh).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    token_lifetime_secs: u64,
}

impl SimEntraArgs {
    fn settings(&self) -> anyhow::Result<ado_posture::sim::entra::EntraSettings> {
        let client_public_key = match &self.client_public_key {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let der = ado_posture::ado::pem::blocks(&text, "RSA PUBLIC KEY")
                    .into_iter()
                    .next()
                    .with_context(|| {
                        format!("{} holds no RSA PUBLIC KEY PEM block", path.display())
                    })?;
                Some(der)
            }
        };
        Ok(ado_posture::sim::entra::EntraSettings {
            client_public_key,
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            federated_token: self.federated_token.clone(),
            token_lifetime: Duration::from_secs(self.token_lifetime_secs),
        })
    }
}

/// The simulator's consumption limit and faults.
#[derive(Debug, Args)]
struct SimBehaviourArgs {
    /// Enforce a consumption limit of this many TSTUs per identity and organization per window
    /// (Azure DevOps: 200); off when absent.
    #[arg(long, value_name = "TSTU")]
    tstu_budget: Option<f64>,
    /// Length of the limit's sliding window (Azure DevOps: 300).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    window_seconds: f64,
    /// TSTU cost of one request.
    #[arg(long, default_value_t = 1.0, value_name = "TSTU")]
    tstu_cost: f64,
    /// TSTU cost of one route, e.g. --route-cost git/repositories=3 (repeatable). Overrides
    /// the built-in costs: alerts (alert/repositories, reporting/summary) 5, large lists
    /// (git/repositories, policy/configurations, build/definitions, management/enablement) 3,
    /// pipelines/checks and build/authorizedresources 2, anything else --tstu-cost.
    #[arg(long, value_name = "ROUTE=TSTU", value_parser = parse_route_cost)]
    route_cost: Vec<(String, f64)>,
    /// Share of the budget used (0 to 1) from which answers carry the X-RateLimit-* headers;
    /// Azure DevOps sends them only near the threshold.
    #[arg(long, default_value_t = 0.8, value_name = "SHARE")]
    header_threshold: f64,
    /// Past budget × this factor, requests are blocked (429) rather than delayed.
    #[arg(long, default_value_t = 1.5)]
    block_factor: f64,
    /// How long a request over the budget is delayed.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    delay_ms: u64,
    /// Share of requests (0 to 1) that fail once: 500, 503, a reset connection or malformed JSON.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    fault_rate: f64,
    /// Share of requests (0 to 1) whose body arrives slowly.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    slow_rate: f64,
    /// An organization whose paged lists repeat their continuation token forever (repeatable).
    #[arg(long, value_name = "ORG")]
    repeat_token_org: Vec<String>,
    /// An organization that answers every request with HTTP 500 (repeatable).
    #[arg(long, value_name = "ORG")]
    broken_org: Vec<String>,
    /// A route that answers 403 for every project, e.g. serviceendpoint/endpoints (repeatable).
    #[arg(long, value_name = "ROUTE")]
    forbid: Vec<String>,
    /// Serve like Azure DevOps Server: organizations become collections under
    /// http://ADDR/tfs/, REST API versions of --server-version, no account discovery, no
    /// Advanced Security.
    #[arg(long)]
    server: bool,
    /// The simulated server's newest REST API version: 6.1 (Server 2020: every route preview
    /// at 6.1) or 7.0 (Server 2022).
    #[arg(long, default_value = "6.1", value_parser = parse_server_version, value_name = "VERSION")]
    server_version: (u32, u32),
    /// The PAT's scopes, comma-separated (e.g. vso.project,vso.code): routes that need another
    /// answer 401 TF400813. Default: a full-access PAT.
    #[arg(long, value_delimiter = ',', value_name = "SCOPES")]
    pat_scopes: Option<Vec<String>>,
    /// Refuse `OPTIONS /_apis` (the resource locations), as a proxy may: clients must then
    /// negotiate versions from the server's errors.
    #[arg(long)]
    no_resource_locations: bool,
    /// Refuse the organization-wide Advanced Security alerts (`reporting/summary/alerts` and
    /// `alertsbatch` answer 404), as where that preview API is not available: clients must
    /// read alerts per repository.
    #[arg(long)]
    no_alertsbatch: bool,
}

fn parse_snapshot(text: &str) -> Result<ado_posture::dataset::query::Snapshots, String> {
    use ado_posture::dataset::query::Snapshots;
    if text.eq_ignore_ascii_case("latest") {
        return Ok(Snapshots::Latest);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Snapshots::On)
        .map_err(|_| format!("{text}: give `latest` or a date YYYY-MM-DD"))
}

fn parse_server_version(text: &str) -> Result<(u32, u32), String> {
    match text {
        "6.1" => Ok((6, 1)),
        "7.0" => Ok((7, 0)),
        other => Err(format!("{other}: the simulator serves 6.1 or 7.0")),
    }
}

fn parse_route_cost(text: &str) -> Result<(String, f64), String> {
    let (route, cost) = text
        .split_once('=')
        .ok_or("expected ROUTE=TSTU, e.g. git/repositories=3")?;
    let cost: f64 = cost.parse().map_err(|e| format!("{cost}: {e}"))?;
    Ok((route.to_string(), cost))
}

impl SimBehaviourArgs {
    fn limit(&self) -> Option<ado_posture::sim::ConsumptionLimit> {
        self.tstu_budget
            .map(|budget| ado_posture::sim::ConsumptionLimit {
                budget,
                window: Duration::from_secs_f64(self.window_seconds.max(0.001)),
                cost: self.tstu_cost,
                route_costs: ado_posture::sim::ConsumptionLimit::default_route_costs()
                    .into_iter()
                    .chain(self.route_cost.iter().cloned())
                    .collect(),
                block_factor: self.block_factor,
                delay: Duration::from_millis(self.delay_ms),
                header_threshold: self.header_threshold.clamp(0.0, 1.0),
            })
    }

    fn faults(&self) -> ado_posture::sim::Faults {
        ado_posture::sim::Faults {
            rate: self.fault_rate.clamp(0.0, 1.0),
            slow_rate: self.slow_rate.clamp(0.0, 1.0),
            repeat_token_organizations: self.repeat_token_org.clone(),
            broken_organizations: self.broken_org.clone(),
            forbidden_routes: self.forbid.clone(),
        }
    }
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
    let json_logs = init_logging(cli.log_format, cli.verbose, cli.quiet);
    let started = Instant::now();
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
    let code = match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            if json_logs {
                tracing::error!("{e:#}");
            }
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                exit::USAGE
            } else {
                exit::FAILURE
            }
        }
    };
    // Don't wait for background tasks (e.g. a simulator) after the answer is known.
    runtime.shutdown_timeout(Duration::from_secs(2));
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        exit_code = code,
        "exit"
    );
    ExitCode::from(code)
}

/// Sets up logging to stderr; returns whether the logs are JSON.
fn init_logging(format: LogFormat, verbose: u8, quiet: bool) -> bool {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ADO_POSTURE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let terminal = std::io::stderr().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(terminal).init();
    }
    json
}

/// Resolves when SIGINT or SIGTERM arrives, with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Demo {
            out,
            estate,
            snapshot_date,
        } => demo(&out, &estate, snapshot_date).await,
        Command::Run {
            config,
            out,
            check,
            fail_on,
            retain_days,
            no_email,
            rules_dir,
            snapshot_date,
        } => {
            let (mut config, out) = match load_for_run(&config, out.as_deref()) {
                Ok(loaded) => loaded,
                // A scheduler's log still gets its one summary line.
                Err(e) => {
                    eprintln!("error: {e:#}");
                    log_summary(None, exit::USAGE, Duration::ZERO, "nothing committed");
                    return Ok(exit::USAGE);
                }
            };
            if rules_dir.is_some() {
                config.rules_dir = rules_dir;
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
            if check {
                let orgs: usize = config
                    .connectors
                    .iter()
                    .map(|c| c.organizations.as_ref().map_or(0, Vec::len))
                    .sum();
                println!(
                    "config OK: {} connector(s), {orgs} organization(s) listed (others discovered), output {}{}",
                    config.connectors.len(),
                    out.display(),
                    if config.email.is_some() {
                        ", e-mail on"
                    } else {
                        ""
                    }
                );
                return Ok(exit::SUCCESS);
            }
            let settings = RunSettings {
                fail_on: fail_on.map(FailOn::severity),
                retain_days: retain_days.or(config.retain_days),
                email: !no_email,
                snapshot_date,
            };
            scheduled_run(&config, &out, &settings).await
        }
        Command::Report { data, out } => {
            let (root, _) = output_root(&data)?;
            let out = out.unwrap_or(root.clone());
            let _lock = match lock_output(&root) {
                Ok(lock) => lock,
                Err(code) => return Ok(code),
            };
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
        Command::Query {
            data,
            sql,
            file,
            format,
            output,
            snapshot,
        } => query(
            &data,
            sql,
            file,
            format,
            output,
            snapshot.unwrap_or_default(),
        ),
        Command::Schema { table } => match ado_posture::tables::describe(table.as_deref()) {
            Some(text) => {
                print!("{text}");
                Ok(exit::SUCCESS)
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
                Ok(exit::USAGE)
            }
        },
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ado-posture",
                &mut std::io::stdout(),
            );
            Ok(exit::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::SUCCESS)
        }
        Command::Evaluate {
            data,
            config,
            rules_dir,
            date,
            fail_on,
        } => {
            let config = config.map(|c| config::load(&c)).transpose()?;
            let rules_dir = rules_dir.or(config.as_ref().and_then(|c| c.rules_dir.clone()));
            let (exemptions, scopes) = config
                .map(|c| (c.exemptions, c.rule_scopes))
                .unwrap_or_default();
            let (root, dataset_dir) = output_root(&data)?;
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
            )?;
            let counts = ado_posture::report::FindingCounts::of(&o.findings);
            println!(
                "Evaluated {} rules over snapshot {}: {} open findings (high {}, medium {}, low {}), {} not evaluated, {} exempt, {} resolved",
                o.rules,
                o.snapshot_date,
                counts.open.total,
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
                && gate(&o.findings, threshold.severity())
            {
                code = exit::FINDINGS;
            }
            Ok(code)
        }
        Command::Rules { format, rules_dir } => {
            let (rules, errors) = job::load_catalog(rules_dir.as_deref())?;
            for e in &errors {
                eprintln!("error: {e}");
            }
            let mut stdout = std::io::stdout().lock();
            match format {
                RulesFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&rules)?)?,
                RulesFormat::Markdown => {
                    write!(stdout, "{}", ado_posture::rules::markdown(&rules))?
                }
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
        Command::Email { config, data } => {
            let config = config::load(&config)?;
            let Some(email) = &config.email else {
                return Err(
                    ConfigError::Invalid("no [email] section: nothing to send".into()).into(),
                );
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
        Command::Simulate {
            listen,
            estate,
            pat,
            page_size,
            latency_ms,
            behaviour,
            entra,
            truth,
        } => {
            let settings = SimSettings {
                pat,
                max_page_size: page_size as usize,
                latency: Duration::from_millis(latency_ms),
                server_mode: behaviour.server,
                server_version: behaviour.server_version,
                pat_scopes: behaviour.pat_scopes.clone(),
                serve_locations: !behaviour.no_resource_locations,
                serve_alertsbatch: !behaviour.no_alertsbatch,
                limit: behaviour.limit(),
                faults: behaviour.faults(),
                entra: entra.settings()?,
            };
            simulate(listen, &estate, settings, truth.as_deref()).await
        }
    }
}

/// Loads the config and checks the output folder, reporting every problem at once.
fn load_for_run(path: &Path, out: Option<&Path>) -> anyhow::Result<(ResolvedConfig, PathBuf)> {
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
        None => std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|t| t.get("output")?.get("dir")?.as_str().map(PathBuf::from)),
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
    if let Some(out) = &out
        && let Err(e) = config::check_output_dir(out)
    {
        problems.push(format!("{key}: {e}"));
    }
    match (config, out) {
        (Some(config), Some(out)) if problems.is_empty() => Ok((config, out)),
        _ => Err(ConfigError::Problems(problems).into()),
    }
}

/// What `run` does besides the job itself.
struct RunSettings {
    fail_on: Option<Severity>,
    retain_days: Option<u32>,
    email: bool,
    snapshot_date: Option<chrono::NaiveDate>,
}

/// Takes the output folder's lock for a command that writes there (`run`, `evaluate`,
/// `report`, `email`), or says who holds it: exit 7.
fn lock_output(out: &Path) -> Result<RunLock, u8> {
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

/// On SIGINT or SIGTERM, whatever stage the run is in (the crawl, writing, rules, reports,
/// e-mail): say what was committed, write the summary line and exit 130. Stopping at any
/// instant is safe: the dataset switches versions atomically, and the next run clears what an
/// unfinished one staged.
fn stop_on_signal(stage: Arc<job::RunStage>, started: Instant, out: PathBuf) {
    tokio::spawn(async move {
        let signal = shutdown_signal().await;
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
    out: &Path,
    settings: &RunSettings,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let lock = match lock_output(out) {
        Ok(lock) => lock,
        Err(code) => {
            log_summary(None, code, started.elapsed(), "nothing committed");
            return Ok(code);
        }
    };
    let stage = Arc::new(job::RunStage::default());
    stop_on_signal(stage.clone(), started, out.to_path_buf());
    let today = settings
        .snapshot_date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let retain_from = settings.retain_days.map(|days| {
        today
            .checked_sub_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(chrono::NaiveDate::MIN)
    });
    let options = JobOptions {
        snapshot_date: settings.snapshot_date,
        retain_from,
        stage: stage.clone(),
        ..JobOptions::default()
    };
    let progress = ProgressBar::new();
    let work = async {
        let (code, outcome) = run_job(config, out, &options, &progress).await?;
        progress.finish();
        let Some(outcome) = outcome else {
            return Ok::<_, anyhow::Error>((code, None));
        };
        let mut code = code;
        if settings.email
            && let Some(email) = &config.email
            && let Err(e) =
                ado_posture::email::send(email, &outcome.summary, &outcome.reports).await
        {
            eprintln!(
                "error: {e}; the dataset and reports are kept, resend with `ado-posture email`"
            );
            if code == exit::SUCCESS {
                code = exit::EMAIL_FAILED;
            }
        }
        // The dataset's retention was part of the commit; the reports follow it.
        if let Some(cutoff) = retain_from
            && outcome.status == RunStatus::Success
        {
            let reports = report::prune_before(out, cutoff)
                .with_context(|| format!("pruning reports under {}", out.display()))?;
            tracing::info!(%cutoff, reports, "retention: removed snapshots and reports before {cutoff}");
        }
        if code == exit::SUCCESS
            && let Some(threshold) = settings.fail_on
            && gate(&outcome.findings, threshold)
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

/// Whether open (failing, not exempt) findings at or above `threshold` exist; says so.
fn gate(findings: &[ado_posture::rules::Finding], threshold: Severity) -> bool {
    let failing = findings
        .iter()
        .filter(|f| f.is_open() && f.severity <= threshold)
        .count();
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
                "summary: {} organizations ({} failed), {projects} projects, {repositories} repositories, findings {} high / {} medium / {} low ({} new, {} resolved), {} API calls ({} failed, {} retries; throttling: {} blocked, {:.1} s delayed), {seconds} s, exit {code} ({reason})",
                o.organizations,
                o.crawl_errors.len(),
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

/// Organizations crawled, as a bar on a terminal; nothing otherwise.
struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    /// Stops the thread that shows request counters.
    done: Arc<std::sync::atomic::AtomicBool>,
}

impl ProgressBar {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} organizations {pos}/{len} · {prefix} · {wide_msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ProgressBar {
            bar,
            done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    fn finish(&self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl CrawlProgress for ProgressBar {
    fn watch_requests(
        &self,
        stats: Arc<ado_posture::ado::stats::ApiStats>,
        projects: Arc<ado_posture::crawl::ProjectCounter>,
    ) {
        let Some(bar) = self.bar.clone() else {
            return;
        };
        let done = self.done.clone();
        // Requests, retries and throttling, refreshed twice a second until the crawl ends.
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let t = stats.totals();
                let (done, found) = (
                    projects.done.load(std::sync::atomic::Ordering::Relaxed),
                    projects.found.load(std::sync::atomic::Ordering::Relaxed),
                );
                bar.set_prefix(format!(
                    "projects {done}/{found} · requests {} · retries {} · blocked (429) {} · delayed {:.0}s",
                    t.calls, t.retries, t.blocked, t.delayed_seconds
                ));
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    }

    fn organizations_found(&self, _connector: &str, count: usize) {
        if let Some(bar) = &self.bar {
            bar.inc_length(count as u64);
        }
    }

    fn organization_done(&self, connector: &str, organization: &str, crawled: bool) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{connector}/{organization}{}",
                if crawled { "" } else { " failed" }
            ));
        }
    }
}

/// `ado-posture query`: a mistake in the SQL is a usage error (exit 2), said once; a reader
/// that closes the pipe early (`| head`) is not an error.
fn query(
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

async fn demo(
    out: &Path,
    estate: &EstateArgs,
    snapshot_date: Option<chrono::NaiveDate>,
) -> anyhow::Result<u8> {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = SimServer::start(loopback, estate.estate(), SimSettings::default())
        .await
        .context("cannot start the simulator on a loopback port")?;
    println!("Simulated Azure DevOps estate serving on {}", server.url());
    let config = ResolvedConfig {
        output_dir: None,
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
        "Run {} ({}) — snapshot {}\n  dataset:  {}  ({rows} rows)\n  manifest: {}\n  reports:  {}\n            {} (findings.csv, recommendations.csv, summary.csv, email.html)\n  findings: {} (high {}, medium {}, low {}), {} new, {} resolved",
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
        counts.open.total,
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

async fn simulate(
    listen: SocketAddr,
    estate: &EstateArgs,
    settings: SimSettings,
    truth: Option<&Path>,
) -> anyhow::Result<u8> {
    if !listen.ip().is_loopback() {
        bail!("the simulator only listens on loopback addresses (127.0.0.1 or ::1), not {listen}");
    }
    let estate = estate.estate();
    if let Some(path) = truth {
        let text = serde_json::to_vec_pretty(&estate.ground_truth(
            settings.max_page_size,
            settings.server_mode,
            settings.serve_alertsbatch,
        ))?;
        std::fs::write(path, text)
            .with_context(|| format!("writing ground truth to {}", path.display()))?;
    }
    let server = SimServer::start(listen, estate, settings)
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
    let signal = shutdown_signal().await;
    // What the simulated service did, for benchmarks and tests that read stderr.
    eprintln!(
        "simulator stopped by {signal}: {}",
        serde_json::to_string(&server.counters()).unwrap_or_default()
    );
    Ok(exit::SUCCESS)
}
