//! The command line's arguments: every subcommand and flag, with the help text they print.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use ado_posture::rules::Severity;
use ado_posture_sim::{Estate, EstateSizes};

/// --help's closing text: the exit codes, logs and examples.
pub fn after_help() -> String {
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
pub struct Cli {
    /// Log format on stderr: text for people, json (one object per line) for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Auto, global = true)]
    pub log_format: LogFormat,
    /// More detail in the logs (-v debug, -vv trace); ADO_POSTURE_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only warnings and errors in the logs.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// text on a terminal, json otherwise
    Auto,
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
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
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
        }
    }
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
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
        /// Where to write the dataset and reports: a folder, or an object store's URL (az://,
        /// abfss://, s3://, gs://) (default: [output] dir of the config).
        #[arg(short, long, value_name = "DIR|URL")]
        out: Option<PathBuf>,
        /// Validate the config, its secrets and the output folder, report every problem, and exit.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        nightly: NightlyArgs,
        /// Crawl only shard K of N: the organizations a stable hash of (connector, organization)
        /// assigns to it. The part is committed into OUT/shards/K-of-N/ (its own lock) with no
        /// rules, reports or e-mail; `ado-posture finalize --shards N` then assembles the
        /// snapshot. Give each shard its own identity (token_env) for its own budget.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<ado_posture::shard::Shard>,
    },
    /// Assemble the snapshot from the parts `run --shard K/N` committed for the date (K = 1..N),
    /// evaluate the recommendations over all of it, write the reports and send the e-mail, as
    /// `run` does. A missing shard is named, its organizations are left out, and the exit code
    /// says partial (3).
    Finalize {
        /// The config file (the same as the shards').
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The output folder or object store's URL the shards wrote under (default: [output]
        /// dir of the config).
        #[arg(short, long, value_name = "DIR|URL")]
        out: Option<PathBuf>,
        /// How many shards the crawl was split into (N of `--shard K/N`).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(ado_posture::shard::MAX_SHARDS)))]
        shards: u32,
        #[command(flatten)]
        nightly: NightlyArgs,
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
    /// List the PAT scopes the crawl reads with (all read-only where Azure DevOps has a read-only
    /// scope) and what each one reads. A scope left out costs only what it reads: those rules
    /// are "not evaluated", naming the scope to add.
    Scopes,
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
pub struct EstateArgs {
    /// Seed of the simulated estate: the same seed and sizes give the same estate.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Organizations in the simulated estate.
    #[arg(long, default_value_t = 3)]
    pub organizations: usize,
    /// Projects per organization.
    #[arg(long, default_value_t = 6)]
    pub projects: usize,
    /// Repositories per project.
    #[arg(long, default_value_t = 5)]
    pub repositories: usize,
    /// Serve the estate as it stands this many days after generation: each day one failing
    /// repository is fixed and one passing repository loses its policy.
    #[arg(long, default_value_t = 0)]
    pub day: u64,
    /// Give every repository with Advanced Security on exactly this many alerts (default: 0 to
    /// 5 at random). About 60% of repositories have it on, 95% of those readable: 18 gives
    /// about 1,000,000 alerts on 100,000 repositories.
    #[arg(long)]
    pub alerts_per_repository: Option<usize>,
}

/// The simulator's Entra token service: POST /{tenant}/oauth2/v2.0/token (client secret or
/// federated assertion) and GET /metadata/identity/oauth2/token (managed identity).
#[derive(Debug, Args)]
pub struct SimEntraArgs {
    /// Tenant id service principals and workload identities authenticate against.
    #[arg(long, default_value = "00000000-0000-0000-0000-00000000cafe")]
    pub tenant_id: String,
    /// Client (application) id of the simulated service principal.
    #[arg(long, default_value = "11111111-2222-3333-4444-555555555555")]
    pub client_id: String,
    /// The service principal's client secret.
    #[arg(
        long,
        env = "ADO_POSTURE_SIM_CLIENT_SECRET",
        default_value = "simulated-client-secret",
        hide_env_values = true
    )]
    pub client_secret: String,
    /// The federated token (workload identity) accepted as client assertion.
    #[arg(long, default_value = "simulated-federated-token")]
    pub federated_token: String,
    /// PEM file with the RSA public key (PKCS#1, `openssl rsa -RSAPublicKey_out`) of the service
    /// principal's certificate: client assertions signed with its private key are accepted.
    #[arg(long, value_name = "FILE")]
    pub client_public_key: Option<PathBuf>,
    /// Lifetime of the tokens it issues (short values exercise the client's refresh).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub token_lifetime_secs: u64,
}

impl SimEntraArgs {
    pub fn settings(&self) -> anyhow::Result<ado_posture_sim::entra::EntraSettings> {
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
        Ok(ado_posture_sim::entra::EntraSettings {
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
pub struct SimBehaviourArgs {
    /// Enforce a consumption limit of this many TSTUs per identity and organization per window
    /// (Azure DevOps: 200); off when absent.
    #[arg(long, value_name = "TSTU")]
    pub tstu_budget: Option<f64>,
    /// Length of the limit's sliding window (Azure DevOps: 300).
    #[arg(long, default_value_t = 300.0, value_name = "SECONDS")]
    pub window_seconds: f64,
    /// TSTU cost of one request.
    #[arg(long, default_value_t = 1.0, value_name = "TSTU")]
    pub tstu_cost: f64,
    /// TSTU cost of one route, e.g. --route-cost git/repositories=3 (repeatable). Overrides
    /// the built-in costs: alerts (alert/repositories, reporting/summary) 5, large lists
    /// (git/repositories, policy/configurations, build/definitions, management/enablement) 3,
    /// pipelines/checks and build/authorizedresources 2, anything else --tstu-cost.
    #[arg(long, value_name = "ROUTE=TSTU", value_parser = parse_route_cost)]
    pub route_cost: Vec<(String, f64)>,
    /// Share of the budget used (0 to 1) from which answers carry the X-RateLimit-* headers;
    /// Azure DevOps sends them only near the threshold.
    #[arg(long, default_value_t = 0.8, value_name = "SHARE")]
    pub header_threshold: f64,
    /// Past budget × this factor, requests are blocked (429) rather than delayed.
    #[arg(long, default_value_t = 1.5)]
    pub block_factor: f64,
    /// How long a request over the budget is delayed.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub delay_ms: u64,
    /// Share of requests (0 to 1) that fail once: 500, 503, a reset connection or malformed JSON.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub fault_rate: f64,
    /// Share of requests (0 to 1) whose body arrives slowly.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub slow_rate: f64,
    /// An organization whose paged lists repeat their continuation token forever (repeatable).
    #[arg(long, value_name = "ORG")]
    pub repeat_token_org: Vec<String>,
    /// An organization that answers every request with HTTP 500 (repeatable).
    #[arg(long, value_name = "ORG")]
    pub broken_org: Vec<String>,
    /// An organization's route that answers every request with HTTP 500, as ORG/ROUTE, e.g.
    /// sim-org-02/distributedtask/pools: the organization fails after its projects were read
    /// (repeatable).
    #[arg(long, value_name = "ORG/ROUTE")]
    pub broken_route: Vec<String>,
    /// A route that answers 403 for every project, e.g. serviceendpoint/endpoints (repeatable).
    #[arg(long, value_name = "ROUTE")]
    pub forbid: Vec<String>,
    /// Serve like Azure DevOps Server: organizations become collections under
    /// http://ADDR/tfs/, REST API versions of --server-version, no account discovery, no
    /// Advanced Security.
    #[arg(long)]
    pub server: bool,
    /// The simulated server's newest REST API version: 6.1 (Server 2020: every route preview
    /// at 6.1) or 7.0 (Server 2022).
    #[arg(long, default_value = "6.1", value_parser = parse_server_version, value_name = "VERSION")]
    pub server_version: (u32, u32),
    /// The PAT's scopes, comma-separated (e.g. vso.project,vso.code): routes that need another
    /// answer 401 TF400813. Default: a full-access PAT.
    #[arg(long, value_delimiter = ',', value_name = "SCOPES")]
    pub pat_scopes: Option<Vec<String>>,
    /// Refuse `OPTIONS /_apis` (the resource locations), as a proxy may: clients must then
    /// negotiate versions from the server's errors.
    #[arg(long)]
    pub no_resource_locations: bool,
    /// Refuse the organization-wide Advanced Security alerts (`reporting/summary/alerts` and
    /// `alertsbatch` answer 404), as where that preview API is not available: clients must
    /// read alerts per repository.
    #[arg(long)]
    pub no_alertsbatch: bool,
}

pub fn parse_snapshot(text: &str) -> Result<ado_posture::dataset::query::Snapshots, String> {
    use ado_posture::dataset::query::Snapshots;
    if text.eq_ignore_ascii_case("latest") {
        return Ok(Snapshots::Latest);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Snapshots::On)
        .map_err(|_| format!("{text}: give `latest` or a date YYYY-MM-DD"))
}

pub fn parse_server_version(text: &str) -> Result<(u32, u32), String> {
    match text {
        "6.1" => Ok((6, 1)),
        "7.0" => Ok((7, 0)),
        other => Err(format!("{other}: the simulator serves 6.1 or 7.0")),
    }
}

pub fn parse_route_cost(text: &str) -> Result<(String, f64), String> {
    let (route, cost) = text
        .split_once('=')
        .ok_or("expected ROUTE=TSTU, e.g. git/repositories=3")?;
    let cost: f64 = cost.parse().map_err(|e| format!("{cost}: {e}"))?;
    Ok((route.to_string(), cost))
}

impl SimBehaviourArgs {
    pub fn limit(&self) -> Option<ado_posture_sim::ConsumptionLimit> {
        self.tstu_budget
            .map(|budget| ado_posture_sim::ConsumptionLimit {
                budget,
                window: Duration::from_secs_f64(self.window_seconds.max(0.001)),
                cost: self.tstu_cost,
                route_costs: ado_posture_sim::ConsumptionLimit::default_route_costs()
                    .into_iter()
                    .chain(self.route_cost.iter().cloned())
                    .collect(),
                block_factor: self.block_factor,
                delay: Duration::from_millis(self.delay_ms),
                header_threshold: self.header_threshold.clamp(0.0, 1.0),
            })
    }

    pub fn faults(&self) -> ado_posture_sim::Faults {
        ado_posture_sim::Faults {
            rate: self.fault_rate.clamp(0.0, 1.0),
            slow_rate: self.slow_rate.clamp(0.0, 1.0),
            repeat_token_organizations: self.repeat_token_org.clone(),
            broken_organizations: self.broken_org.clone(),
            broken_routes: self.broken_route.clone(),
            forbidden_routes: self.forbid.clone(),
        }
    }
}

impl EstateArgs {
    pub fn estate(&self) -> Estate {
        let estate = Estate::generate(
            self.seed,
            EstateSizes {
                organizations: self.organizations,
                projects_per_organization: self.projects,
                repositories_per_project: self.repositories,
            },
        );
        let estate = match self.alerts_per_repository {
            Some(alerts) => estate.with_alerts_per_repository(alerts),
            None => estate,
        };
        estate.on_day(self.day)
    }
}

/// `--shard K/N`, with the reason when it is not.
fn parse_shard(text: &str) -> Result<ado_posture::shard::Shard, String> {
    text.parse()
        .map_err(|e: ado_posture::shard::ShardError| e.to_string())
}

/// What `run` and `finalize` share: the gate, retention, e-mail, custom rules and the date.
#[derive(Debug, Args)]
pub struct NightlyArgs {
    /// Exit with code 5 when open findings at or above this severity exist (a pipeline gate).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// After a successful run, delete snapshots and reports older than this many days
    /// (default: [output] retain_days; none when unset).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub retain_days: Option<u32>,
    /// Do not send the summary e-mail even if [email] is configured.
    #[arg(long)]
    pub no_email: bool,
    /// A folder of custom rule files (*.sql with the rule header), added to the built-in
    /// catalog (default: [rules] directory of the config).
    #[arg(long, value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
    /// The snapshot's date (default: today, UTC), for backfills and tests; a run on a date
    /// that has a snapshot replaces it whole (for `finalize`: the date the shards crawled; by
    /// default the newest a shard committed when that is today or yesterday, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub snapshot_date: Option<chrono::NaiveDate>,
}
