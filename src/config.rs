//! The config file (TOML, see DESIGN.md) and the secrets it points to, validated once at start.
//!
//! Parsing ([`ConfigFile`]) is kept apart from resolution ([`ResolvedConfig`]): resolution reads
//! secrets from the environment or files, so everything after it works with ready values and
//! never needs to look at the environment again.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// Errors in the config file or in the secrets it names. Messages say what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for ado-posture: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config: {0}")]
    Invalid(String),
    #[error("the config has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Problems(Vec<String>),
}

/// A secret value (PAT, client secret, password). Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself: call only where it is put on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The config file as written.
#[derive(Debug, Deserialize)]
pub struct ConfigFile {
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default, rename = "connector")]
    pub connectors: Vec<ConnectorConfig>,
    /// Where the summary e-mail goes; no e-mail when absent.
    pub email: Option<EmailConfig>,
    /// Findings to leave out of the counts until a date.
    #[serde(default, rename = "exemption")]
    pub exemptions: Vec<ExemptionConfig>,
    #[serde(default)]
    pub rules: RulesConfig,
}

/// `[[exemption]]`: a rule (id or pattern), a resource pattern, a reason and a last day.
#[derive(Debug, Deserialize)]
pub struct ExemptionConfig {
    pub rule: String,
    /// `organization/project/resource` (name or id), `*` and `?` wildcards.
    pub resource: String,
    pub reason: String,
    /// `YYYY-MM-DD`: the last day the exemption applies.
    pub expires: String,
}

/// `[rules]`: where users' own rules are.
#[derive(Debug, Default, Deserialize)]
pub struct RulesConfig {
    /// A folder of `*.sql` rule files (relative paths are relative to the config file).
    pub directory: Option<PathBuf>,
}

/// `[email]`: the summary sent after each run.
#[derive(Debug, Deserialize)]
pub struct EmailConfig {
    /// `smtp://host:587` (STARTTLS, required) or `smtps://host:465` (implicit TLS).
    /// `smtp://127.0.0.1:25?tls=none` (no TLS) is accepted for loopback relays only.
    pub smtp_url: String,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// SMTP user name; defaults to `from` when a password is set.
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// Subject prefix, default `[ado-posture]`.
    pub subject_prefix: Option<String>,
    /// Where readers find the full report (e.g. a web share); default: the report's path.
    pub report_url: Option<String>,
}

/// How the summary e-mail is sent, validated.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// (user name, password)
    pub credentials: Option<(String, Secret)>,
    pub subject_prefix: String,
    pub report_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// STARTTLS, required (smtp://, port 587 by default).
    StartTls,
    /// TLS from the first byte (smtps://, port 465 by default).
    Implicit,
    /// No TLS: loopback relays only (`?tls=none`).
    None,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutputConfig {
    /// Where the dataset and reports go; `--out` wins over it.
    pub dir: Option<PathBuf>,
    pub retain_days: Option<u32>,
}

/// Rate limits per identity per organization, like Azure DevOps' own accounting.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub requests_per_second: u32,
    pub burst: u32,
    pub max_concurrency: usize,
    /// Organizations crawled at once per connector. Each in flight is held in memory until it
    /// is written, so this bounds the crawl's memory; more gives more throughput when the
    /// limit per organization binds.
    pub max_organizations: usize,
    /// Attempts per request before a resource is given up (retries = attempts - 1).
    pub max_attempts: u32,
    /// First retry waits about this long; each next one twice as long (with jitter), at most 60 s.
    pub backoff_base_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_second: 10,
            burst: 20,
            max_concurrency: 8,
            max_organizations: 4,
            max_attempts: 6,
            backoff_base_ms: 500,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ConnectorConfig {
    pub name: String,
    /// `https://dev.azure.com` for Azure DevOps Services, `https://host/tfs` for Server.
    pub url: String,
    /// Profile and accounts (organization discovery); derived from `url` when absent.
    pub vssps_url: Option<String>,
    /// GitHub Advanced Security for Azure DevOps; derived from `url` when absent.
    pub advsec_url: Option<String>,
    #[serde(default = "all_organizations")]
    pub organizations: Vec<String>,
    #[serde(default)]
    pub include_projects: Vec<String>,
    #[serde(default)]
    pub exclude_projects: Vec<String>,
    /// Read the pipeline permissions (open to all pipelines, and which pipelines) of every
    /// service connection, variable group, secure file, queue and repository: one call per
    /// resource. Off by default: "open to all pipelines" of the first four comes from one call
    /// per type and project either way.
    #[serde(default)]
    pub detailed_pipeline_permissions: bool,
    pub auth: AuthConfig,
}

fn all_organizations() -> Vec<String> {
    vec!["*".to_string()]
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    /// A personal access token, from an environment variable or a file.
    Pat {
        token_env: Option<String>,
        token_file: Option<PathBuf>,
    },
    /// An Entra service principal with a client secret.
    ServicePrincipal {
        tenant_id: String,
        client_id: String,
        secret_env: Option<String>,
        secret_file: Option<PathBuf>,
        /// PEM file with the private key and the certificate (instead of a secret).
        certificate_file: Option<PathBuf>,
        /// Default `https://login.microsoftonline.com` (sovereign clouds differ).
        authority_url: Option<String>,
    },
    /// The managed identity of the VM / container the job runs on (IMDS).
    ManagedIdentity {
        /// For a user-assigned identity.
        client_id: Option<String>,
        /// Default: IMDS, `http://169.254.169.254/metadata/identity/oauth2/token`.
        endpoint: Option<String>,
    },
    /// Workload identity federation (e.g. AKS): a federated token file as client assertion.
    /// Each field defaults to the variable the platform sets: AZURE_TENANT_ID, AZURE_CLIENT_ID,
    /// AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST.
    WorkloadIdentity {
        tenant_id: Option<String>,
        client_id: Option<String>,
        token_file: Option<PathBuf>,
        authority_url: Option<String>,
    },
    /// The identity `az login` signed in with (`az account get-access-token`).
    AzureCli {},
}

/// The config after validation, with secrets loaded.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub output_dir: Option<PathBuf>,
    /// Snapshots and reports older than this many days are pruned after a successful run.
    pub retain_days: Option<u32>,
    pub limits: Limits,
    pub connectors: Vec<Connector>,
    pub email: Option<EmailSettings>,
    pub exemptions: Vec<crate::rules::Exemption>,
    /// Users' rules folder, if any.
    pub rules_dir: Option<PathBuf>,
}

/// One base URL + one identity, ready to crawl.
#[derive(Debug, Clone)]
pub struct Connector {
    pub name: String,
    /// Base URL without a trailing slash; an organization's API root is `{url}/{organization}`.
    pub url: Url,
    pub vssps_url: Option<Url>,
    pub advsec_url: Option<Url>,
    pub deployment: Deployment,
    /// `None` = discover every organization the identity can reach.
    pub organizations: Option<Vec<String>>,
    pub include_projects: Vec<String>,
    pub exclude_projects: Vec<String>,
    /// One pipeline-permissions call per resource (see [`ConnectorConfig`]).
    pub detailed_pipeline_permissions: bool,
    pub credential: Credential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// Azure DevOps Services (dev.azure.com, or a simulator standing in for it).
    Services,
    /// Azure DevOps Server (`https://host/tfs/{collection}`).
    Server,
}

impl Deployment {
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::Services => "services",
            Deployment::Server => "server",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Credential {
    Pat(Secret),
    Entra(EntraCredential),
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Pat(_) => "pat",
            Credential::Entra(e) => e.kind(),
        }
    }
}

/// A Microsoft Entra identity, ready to ask for tokens.
#[derive(Debug, Clone)]
pub enum EntraCredential {
    ClientSecret {
        authority: Url,
        tenant_id: String,
        client_id: String,
        secret: Secret,
    },
    /// A certificate: the client assertion is a JWT signed with its private key.
    ClientCertificate {
        authority: Url,
        tenant_id: String,
        client_id: String,
        certificate: ClientCertificate,
    },
    WorkloadIdentity {
        authority: Url,
        tenant_id: String,
        client_id: String,
        token_file: PathBuf,
    },
    ManagedIdentity {
        endpoint: Url,
        client_id: Option<String>,
    },
    AzureCli,
}

impl EntraCredential {
    pub fn kind(&self) -> &'static str {
        match self {
            EntraCredential::ClientSecret { .. } | EntraCredential::ClientCertificate { .. } => {
                "service_principal"
            }
            EntraCredential::WorkloadIdentity { .. } => "workload_identity",
            EntraCredential::ManagedIdentity { .. } => "managed_identity",
            EntraCredential::AzureCli => "azure_cli",
        }
    }
}

/// A service principal's certificate: its RSA private key (never printed) and the base64url
/// SHA-1 thumbprint (`x5t`) of the certificate that Entra matches it with.
#[derive(Clone)]
pub struct ClientCertificate {
    pub key: std::sync::Arc<ring::signature::RsaKeyPair>,
    pub thumbprint: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint)
            .field("key", &"***")
            .finish()
    }
}

/// Reads a PEM file holding the private key (PKCS#8 or PKCS#1 RSA) and the certificate.
pub fn read_client_certificate(path: &Path) -> Result<ClientCertificate, String> {
    use base64::Engine as _;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read certificate file {}: {e}", path.display()))?;
    let pkcs8 = crate::ado::pem::blocks(&text, "PRIVATE KEY");
    let pkcs1 = crate::ado::pem::blocks(&text, "RSA PRIVATE KEY");
    let key = if let Some(der) = pkcs8.first() {
        ring::signature::RsaKeyPair::from_pkcs8(der)
    } else if let Some(der) = pkcs1.first() {
        ring::signature::RsaKeyPair::from_der(der)
    } else {
        return Err(format!(
            "certificate file {} holds no PEM private key (PRIVATE KEY or RSA PRIVATE KEY)",
            path.display()
        ));
    }
    .map_err(|e| {
        format!(
            "certificate file {}: the private key is not a usable RSA key ({e})",
            path.display()
        )
    })?;
    let certificate = crate::ado::pem::blocks(&text, "CERTIFICATE")
        .into_iter()
        .next()
        .ok_or_else(|| {
            format!(
                "certificate file {} holds no CERTIFICATE block (put the certificate after the key)",
                path.display()
            )
        })?;
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &certificate);
    Ok(ClientCertificate {
        key: std::sync::Arc::new(key),
        thumbprint: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
    })
}

const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
const IMDS_TOKEN_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// An Entra endpoint from the config: https, or http to loopback (tests, local token proxies);
/// the IMDS address is allowed over http as Azure serves it.
fn entra_url(owner: &str, key: &str, text: &str, allow_imds: bool) -> Result<Url, String> {
    let url =
        Url::parse(text).map_err(|e| format!("{owner}: {key} \"{text}\" is not a URL: {e}"))?;
    let host_ok = match url.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || (allow_imds && ip.to_string() == "169.254.169.254")
        }
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && host_ok) {
        Ok(url)
    } else {
        Err(format!(
            "{owner}: {key} \"{text}\" must use https (plain http only to loopback)"
        ))
    }
}

/// Resolves an Entra auth entry; `None` (with problems) when something is missing.
fn resolve_entra(
    connector: &str,
    auth: AuthConfig,
    env: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<EntraCredential> {
    let owner = format!("connector '{connector}': auth");
    let mut keep = |r: Result<Url, String>| r.map_err(|e| problems.push(e)).ok();
    match auth {
        AuthConfig::Pat { .. } => None,
        AuthConfig::ServicePrincipal {
            tenant_id,
            client_id,
            secret_env,
            secret_file,
            certificate_file,
            authority_url,
        } => {
            let authority = keep(entra_url(
                &owner,
                "authority_url",
                authority_url.as_deref().unwrap_or(DEFAULT_AUTHORITY),
                false,
            ));
            for (key, value) in [("tenant_id", &tenant_id), ("client_id", &client_id)] {
                if value.trim().is_empty() {
                    problems.push(format!("{owner}: {key} is empty"));
                    return None;
                }
            }
            if let Some(path) = certificate_file {
                if secret_env.is_some() || secret_file.is_some() {
                    problems.push(format!(
                        "{owner}: set a client secret or certificate_file, not both"
                    ));
                    return None;
                }
                let certificate = read_client_certificate(&path)
                    .map_err(|e| problems.push(format!("{owner}: {e}")))
                    .ok();
                return Some(EntraCredential::ClientCertificate {
                    authority: authority?,
                    tenant_id,
                    client_id,
                    certificate: certificate?,
                });
            }
            let secret = match (secret_env, secret_file) {
                (None, None) => Err(format!(
                    "{owner}: a service principal needs secret_env, secret_file or certificate_file"
                )),
                (var, file) => read_secret(&owner, var, file, env),
            }
            .map_err(|e| problems.push(e))
            .ok();
            Some(EntraCredential::ClientSecret {
                authority: authority?,
                tenant_id,
                client_id,
                secret: secret?,
            })
        }
        AuthConfig::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
            authority_url,
        } => {
            let mut from = |value: Option<String>, var: &str, key: &str| {
                let v = value.or_else(|| env(var)).filter(|v| !v.trim().is_empty());
                if v.is_none() {
                    problems.push(format!(
                        "{owner}: workload_identity needs {key} (or environment variable {var})"
                    ));
                }
                v
            };
            let tenant_id = from(tenant_id, "AZURE_TENANT_ID", "tenant_id");
            let client_id = from(client_id, "AZURE_CLIENT_ID", "client_id");
            let token_file = from(
                token_file.map(|p| p.display().to_string()),
                "AZURE_FEDERATED_TOKEN_FILE",
                "token_file",
            );
            let authority_text = authority_url
                .or_else(|| env("AZURE_AUTHORITY_HOST"))
                .unwrap_or_else(|| DEFAULT_AUTHORITY.to_string());
            let authority = entra_url(&owner, "authority_url", &authority_text, false)
                .map_err(|e| problems.push(e))
                .ok();
            Some(EntraCredential::WorkloadIdentity {
                authority: authority?,
                tenant_id: tenant_id?,
                client_id: client_id?,
                token_file: PathBuf::from(token_file?),
            })
        }
        AuthConfig::ManagedIdentity {
            client_id,
            endpoint,
        } => {
            let endpoint = keep(entra_url(
                &owner,
                "endpoint",
                endpoint.as_deref().unwrap_or(IMDS_TOKEN_ENDPOINT),
                true,
            ))?;
            Some(EntraCredential::ManagedIdentity {
                endpoint,
                client_id,
            })
        }
        AuthConfig::AzureCli {} => Some(EntraCredential::AzureCli),
    }
}

impl Connector {
    /// Whether a project name passes the include / exclude patterns.
    pub fn wants_project(&self, project: &str) -> bool {
        let included = self.include_projects.is_empty()
            || self
                .include_projects
                .iter()
                .any(|p| wildmatch::WildMatch::new(p).matches(project));
        included
            && !self
                .exclude_projects
                .iter()
                .any(|p| wildmatch::WildMatch::new(p).matches(project))
    }
}

/// Reads, parses, validates and resolves a config file. Every problem found is reported at
/// once (unknown keys, missing secrets, bad URLs, bad patterns), each naming its key.
pub fn load(path: &Path) -> Result<ResolvedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut unknown = Vec::new();
    let deserializer = toml::Deserializer::parse(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let file: ConfigFile = serde_ignored::deserialize(deserializer, |key| {
        unknown.push(format!(
            "unknown key `{key}`: remove it or fix its spelling"
        ));
    })
    .map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut config = resolve_with(file, |var| std::env::var(var).ok(), unknown)?;
    if let Some(dir) = &config.rules_dir
        && dir.is_relative()
        && let Some(base) = path.parent()
    {
        config.rules_dir = Some(base.join(dir));
    }
    Ok(config)
}

/// Validates a parsed config and loads its secrets; `env` looks up environment variables.
pub fn resolve(
    file: ConfigFile,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    resolve_with(file, env, Vec::new())
}

fn resolve_with(
    file: ConfigFile,
    env: impl Fn(&str) -> Option<String>,
    mut problems: Vec<String>,
) -> Result<ResolvedConfig, ConfigError> {
    if file.connectors.is_empty() {
        problems.push(
            "no [[connector]] is configured: add one with name, url, organizations and auth".into(),
        );
    }
    let limits = file.limits;
    for (key, value) in [
        ("requests_per_second", limits.requests_per_second as usize),
        ("burst", limits.burst as usize),
        ("max_concurrency", limits.max_concurrency),
        ("max_organizations", limits.max_organizations),
        ("max_attempts", limits.max_attempts as usize),
    ] {
        if value == 0 {
            problems.push(format!("[limits] {key} must be at least 1"));
        }
    }
    let mut names = HashSet::new();
    let mut connectors = Vec::new();
    for c in file.connectors {
        if c.name.trim().is_empty() {
            problems.push("[[connector]] name is empty".into());
        } else if !names.insert(c.name.clone()) {
            problems.push(format!(
                "[[connector]] name: two connectors are named '{}'; names must be unique",
                c.name
            ));
        }
        if let Some(connector) = resolve_connector(c, &env, &mut problems) {
            connectors.push(connector);
        }
    }
    let email = file
        .email
        .and_then(|e| resolve_email(e, &env, &mut problems));
    let exemptions = resolve_exemptions(file.exemptions, &mut problems);
    if !problems.is_empty() {
        return Err(ConfigError::Problems(problems));
    }
    Ok(ResolvedConfig {
        output_dir: file.output.dir,
        retain_days: file.output.retain_days,
        limits,
        connectors,
        email,
        exemptions,
        rules_dir: file.rules.directory,
    })
}

/// Validates `[[exemption]]` entries: every field present, a real date, usable patterns.
fn resolve_exemptions(
    entries: Vec<ExemptionConfig>,
    problems: &mut Vec<String>,
) -> Vec<crate::rules::Exemption> {
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let key = format!("[[exemption]] #{} ({})", i + 1, e.rule);
        let mut ok = true;
        for (field, value) in [
            ("rule", &e.rule),
            ("resource", &e.resource),
            ("reason", &e.reason),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{key}: {field} is empty"));
                ok = false;
            }
        }
        let expires = match chrono::NaiveDate::parse_from_str(e.expires.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(format!(
                    "{key}: expires \"{}\" is not a date like 2027-03-31",
                    e.expires
                ));
                None
            }
        };
        if let (true, Some(expires)) = (ok, expires) {
            out.push(crate::rules::Exemption {
                rule: e.rule.trim().to_string(),
                resource: e.resource.trim().to_string(),
                reason: e.reason.trim().to_string(),
                expires,
            });
        }
    }
    out
}

/// Checks that the output folder exists and is writable, or can be created; touches nothing
/// but a probe file that it removes.
pub fn check_output_dir(out: &Path) -> Result<(), String> {
    let mut existing = out;
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(format!(
            "output folder {}: {} is not a folder",
            out.display(),
            existing.display()
        ));
    }
    let probe = existing.join(format!(".ado-posture-write-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "output folder {}: cannot write in {}: {e}",
            out.display(),
            existing.display()
        )),
    }
}

fn resolve_email(
    e: EmailConfig,
    env: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<EmailSettings> {
    let before = problems.len();
    let mut problem = |m: String| problems.push(format!("[email] {m}"));
    let mut server = None;
    match Url::parse(&e.smtp_url) {
        Err(err) => problem(format!("smtp_url = \"{}\" is not a URL: {err}", e.smtp_url)),
        Ok(url) => {
            let host = url
                .host_str()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let no_tls = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
            let tls = match (url.scheme(), no_tls) {
                ("smtps", false) => Some(SmtpTls::Implicit),
                ("smtp", false) => Some(SmtpTls::StartTls),
                ("smtp", true) => Some(SmtpTls::None),
                ("smtps", true) => {
                    problem("smtp_url: smtps:// and tls=none contradict each other".into());
                    None
                }
                (scheme, _) => {
                    problem(format!(
                        "smtp_url scheme must be smtp (STARTTLS) or smtps (implicit TLS), not {scheme}"
                    ));
                    None
                }
            };
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if host.is_empty() {
                problem(format!("smtp_url = \"{}\" has no host", e.smtp_url));
            } else if !url.username().is_empty() || url.password().is_some() {
                problem(
                    "smtp_url must not hold credentials: use username and password_env (or password_file)"
                        .into(),
                );
            } else if tls == Some(SmtpTls::None) && !loopback {
                problem(format!(
                    "smtp_url: tls=none sends mail unencrypted and is allowed only to a loopback relay, not {host}"
                ));
            } else if let Some(tls) = tls {
                let port = url.port().unwrap_or(match tls {
                    SmtpTls::Implicit => 465,
                    SmtpTls::StartTls => 587,
                    SmtpTls::None => 25,
                });
                server = Some((host, port, tls));
            }
        }
    }
    if e.to.is_empty() {
        problem("to is empty: list at least one recipient".into());
    }
    for (key, address) in std::iter::once(("from", &e.from))
        .chain(e.to.iter().map(|a| ("to", a)))
        .chain(e.cc.iter().map(|a| ("cc", a)))
    {
        if address.parse::<lettre::message::Mailbox>().is_err() {
            problem(format!("{key}: '{address}' is not an e-mail address"));
        }
    }
    let password = match (e.password_env, e.password_file) {
        (None, None) => None,
        (env_var, file) => match read_secret("[email] password", env_var, file, env) {
            Ok(secret) => Some(secret),
            Err(message) => {
                problems.push(message);
                None
            }
        },
    };
    let (host, port, tls) = server?;
    if problems.len() > before {
        return None;
    }
    let credentials = password.map(|p| (e.username.unwrap_or_else(|| e.from.clone()), p));
    Some(EmailSettings {
        host,
        port,
        tls,
        from: e.from,
        to: e.to,
        cc: e.cc,
        credentials,
        subject_prefix: e
            .subject_prefix
            .unwrap_or_else(|| "[ado-posture]".to_string()),
        report_url: e.report_url,
    })
}

fn parse_base_url(connector: &str, key: &str, value: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim_end_matches('/'))
        .map_err(|e| format!("connector '{connector}': {key} = \"{value}\" is not a URL: {e}"))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!(
            "connector '{connector}': {key} must be an http(s) URL, not {}",
            url.scheme()
        ));
    }
    Ok(url)
}

/// A project name pattern (`*` and `?` wildcards): not empty, no path separators.
fn check_pattern(connector: &str, key: &str, pattern: &str) -> Result<(), String> {
    if pattern.trim().is_empty() || pattern.contains(['/', '\\']) {
        Err(format!(
            "connector '{connector}': {key} pattern \"{pattern}\" is not a project name pattern \
             (use * and ? wildcards; no empty patterns or slashes)"
        ))
    } else {
        Ok(())
    }
}

fn resolve_connector(
    c: ConnectorConfig,
    env: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<Connector> {
    let before = problems.len();
    let mut keep = |r: Result<Url, String>| match r {
        Ok(url) => Some(url),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    let url = keep(parse_base_url(&c.name, "url", &c.url));
    let vssps_override = c
        .vssps_url
        .as_deref()
        .map(|v| keep(parse_base_url(&c.name, "vssps_url", v)));
    let advsec_override = c
        .advsec_url
        .as_deref()
        .map(|v| keep(parse_base_url(&c.name, "advsec_url", v)));
    for (key, patterns) in [
        ("include_projects", &c.include_projects),
        ("exclude_projects", &c.exclude_projects),
    ] {
        for p in patterns {
            if let Err(e) = check_pattern(&c.name, key, p) {
                problems.push(e);
            }
        }
    }
    let credential = match c.auth {
        AuthConfig::Pat {
            token_env,
            token_file,
        } => match read_secret(
            &format!("connector '{}': auth", c.name),
            token_env,
            token_file,
            env,
        ) {
            Ok(secret) => Some(Credential::Pat(secret)),
            Err(e) => {
                problems.push(e);
                None
            }
        },
        entra => resolve_entra(&c.name, entra, env, problems).map(Credential::Entra),
    };
    let url = url?;
    let is_cloud = url.host_str() == Some("dev.azure.com");
    // Server collections live under a path (https://host/tfs); the cloud and simulators at a host root.
    let deployment = if !is_cloud && url.path() != "/" && !url.path().is_empty() {
        Deployment::Server
    } else {
        Deployment::Services
    };
    let vssps_url = match vssps_override {
        Some(v) => v,
        None if is_cloud => Url::parse("https://app.vssps.visualstudio.com").ok(),
        None => None,
    };
    let advsec_url = match advsec_override {
        Some(v) => v,
        None if is_cloud => Url::parse("https://advsec.dev.azure.com").ok(),
        None => None,
    };
    let organizations = if c.organizations.iter().any(|o| o == "*") {
        if vssps_url.is_none() {
            problems.push(format!(
                "connector '{}': organizations = [\"*\"] needs account discovery, which {} does not offer; \
                 list the organizations (collections) by name, or set vssps_url",
                c.name, c.url
            ));
        }
        None
    } else if c.organizations.is_empty() {
        problems.push(format!(
            "connector '{}': organizations is empty; use [\"*\"] for all or list names",
            c.name
        ));
        None
    } else {
        for o in &c.organizations {
            if o.trim().is_empty() || o.contains(['/', '\\', '?', '#']) {
                problems.push(format!(
                    "connector '{}': organizations: \"{o}\" is not an organization name",
                    c.name
                ));
            }
        }
        Some(c.organizations)
    };
    if problems.len() > before {
        return None;
    }
    Some(Connector {
        name: c.name,
        url,
        vssps_url,
        advsec_url,
        deployment,
        organizations,
        include_projects: c.include_projects,
        exclude_projects: c.exclude_projects,
        detailed_pipeline_permissions: c.detailed_pipeline_permissions,
        credential: credential?,
    })
}

/// Reads a secret from an environment variable or a file; `owner` names its config key in errors.
fn read_secret(
    owner: &str,
    env_var: Option<String>,
    file: Option<PathBuf>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Secret, String> {
    match (env_var, file) {
        (Some(var), None) => match env(&var) {
            Some(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(format!(
                "{owner}: the secret is read from environment variable {var}, which is not set or empty"
            )),
        },
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{owner}: cannot read secret file {}: {e}", path.display()))?;
            if text.trim().is_empty() {
                return Err(format!("{owner}: secret file {} is empty", path.display()));
            }
            Ok(Secret::new(text.trim()))
        }
        (Some(_), Some(_)) => Err(format!(
            "{owner}: set the secret's environment variable or its file, not both"
        )),
        (None, None) => Err(format!(
            "{owner}: needs an environment variable name (token_env / password_env) or a file (token_file / password_file)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    const DESIGN_EXAMPLE: &str = r#"
[output]
dir = "/var/lib/ado-posture"
retain_days = 180

[limits]
requests_per_second = 10
burst = 20
max_concurrency = 8

[[connector]]
name = "contoso"
url = "https://dev.azure.com"
organizations = ["*"]
exclude_projects = ["sandbox-*"]
auth = { kind = "pat", token_env = "ADO_PAT" }

[email]
smtp_url = "smtp://mail.contoso.com:587"
from = "ado-posture@contoso.com"
to = ["secops@contoso.com"]
password_env = "SMTP_PASSWORD"

[[exemption]]
rule = "ADO-REPO-002"
resource = "contoso/Legacy/*"
reason = "archived, read-only"
expires = "2027-03-31"
"#;

    #[test]
    fn design_example_resolves_with_cloud_hosts_derived() {
        let cfg = resolve(parse(DESIGN_EXAMPLE), |v| match v {
            "ADO_PAT" => Some("secret-pat".to_string()),
            "SMTP_PASSWORD" => Some("smtp-secret".to_string()),
            _ => None,
        })
        .unwrap();
        let email = cfg.email.as_ref().unwrap();
        assert_eq!(
            (email.host.as_str(), email.port, email.tls),
            ("mail.contoso.com", 587, SmtpTls::StartTls)
        );
        assert!(!format!("{cfg:?}").contains("smtp-secret"));
        let c = &cfg.connectors[0];
        assert_eq!(c.deployment, Deployment::Services);
        assert_eq!(
            c.vssps_url.as_ref().unwrap().as_str(),
            "https://app.vssps.visualstudio.com/"
        );
        assert!(c.organizations.is_none());
        assert!(!c.wants_project("sandbox-1"));
        assert!(c.wants_project("Payments"));
        assert!(!format!("{cfg:?}").contains("secret-pat"));
    }

    #[test]
    fn missing_pat_variable_names_the_variable() {
        let err = resolve(parse(DESIGN_EXAMPLE), |_| None).unwrap_err();
        assert!(err.to_string().contains("ADO_PAT"), "{err}");
    }

    #[test]
    fn server_without_organizations_list_is_rejected() {
        let text = r#"
[[connector]]
name = "onprem"
url = "https://ado.contoso.local/tfs"
auth = { kind = "pat", token_env = "X" }
"#;
        let err = resolve(parse(text), |_| Some("x".into())).unwrap_err();
        assert!(err.to_string().contains("collections"), "{err}");
    }

    #[test]
    fn plaintext_smtp_is_refused_except_to_loopback() {
        let text = |url: &str| {
            format!(
                "[[connector]]\nname = \"c\"\nurl = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {{ kind = \"pat\", token_env = \"P\" }}\n[email]\nsmtp_url = \"{url}\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"
            )
        };
        let env = |_: &str| Some("x".to_string());
        assert!(resolve(parse(&text("smtp://mail.example.com:25?tls=none")), env).is_err());
        let cfg = resolve(parse(&text("smtp://127.0.0.1:2525?tls=none")), env).unwrap();
        assert_eq!(cfg.email.unwrap().tls, SmtpTls::None);
        let cfg = resolve(parse(&text("smtps://mail.example.com")), env).unwrap();
        assert_eq!(cfg.email.unwrap().port, 465);
    }

    #[test]
    fn all_problems_are_reported_together_naming_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            r#"
[limits]
requests_per_secnd = 3

[[connector]]
name = "c"
url = "htps//nope"
organizations = ["o"]
exclude_projects = [""]
auth = { kind = "pat", token_env = "ADO_POSTURE_TEST_SURELY_UNSET" }
"#,
        )
        .unwrap();
        let err = load(&path).unwrap_err().to_string();
        for needle in [
            "limits.requests_per_secnd",
            "url = \"htps//nope\"",
            "exclude_projects",
            "ADO_POSTURE_TEST_SURELY_UNSET",
        ] {
            assert!(err.contains(needle), "{needle} missing from:\n{err}");
        }
    }
}
