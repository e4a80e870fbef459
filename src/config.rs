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
    pub limits: LimitsConfig,
    #[serde(default, rename = "connector")]
    pub connectors: Vec<ConnectorConfig>,
    /// Where the summary e-mail goes; no e-mail when absent.
    pub email: Option<EmailConfig>,
    /// Findings to leave out of the counts until a date.
    #[serde(default, rename = "exemption")]
    pub exemptions: Vec<ExemptionConfig>,
    /// Rules judged only for some resources.
    #[serde(default, rename = "rule_scope")]
    pub rule_scopes: Vec<RuleScopeConfig>,
    #[serde(default, rename = "owner")]
    pub owners: Vec<OwnerConfig>,
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

/// `[[rule_scope]]`: a rule (id or pattern) judged only for the resources matching a pattern,
/// e.g. approvals required on production environments only.
#[derive(Debug, Deserialize)]
pub struct RuleScopeConfig {
    pub rule: String,
    /// `organization/project/resource` patterns (name or id), `*` and `?` wildcards.
    pub resources: Vec<String>,
}

/// `[[owner]]`: a team, its e-mail address, and the resources it owns by pattern; the first
/// entry that matches a finding owns it.
#[derive(Debug, Deserialize)]
pub struct OwnerConfig {
    pub team: String,
    pub email: String,
    /// `organization/project/resource` patterns (name or id), `*` and `?` wildcards.
    pub resources: Vec<String>,
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
    /// Overall deadline of one send (connect, greeting, STARTTLS, login, message), in
    /// seconds: default 60, 1 to 3600. Signed so that a negative value gets a clear message.
    pub timeout_seconds: Option<i64>,
    /// Largest findings attachment, in KiB: default 5120 (5 MiB), 0 (no attachment) to 51200.
    /// Past it the CSV goes compressed, then only its new, critical and high findings.
    pub attachment_max_kb: Option<i64>,
    /// Also send each `[[owner]]` a digest of its own open findings (default: false).
    #[serde(default)]
    pub owner_digests: bool,
}

/// `[email] attachment_max_kb` when absent: 5 MiB, which base64 makes about 6.8 MB, under the
/// 10 MB message limit of most relays.
pub const DEFAULT_ATTACHMENT_MAX_KB: u64 = 5120;

/// `[email] timeout_seconds` when absent.
pub const DEFAULT_EMAIL_TIMEOUT_SECONDS: u64 = 60;

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
    /// The whole send, from connecting to the server's last answer, ends within this.
    pub timeout: std::time::Duration,
    /// Send each `[[owner]]` a digest of its own open findings.
    pub owner_digests: bool,
    /// The findings attachment is at most this many bytes (0: none).
    pub attachment_max_bytes: u64,
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
    /// Where the dataset and reports go: a local folder, or an object store's URL
    /// (`crate::dataset::remote`); `--out` wins over it.
    pub dir: Option<PathBuf>,
    /// With an object store's URL: the local folder the run works in (default: one per URL
    /// under the system's temporary folder).
    pub work_dir: Option<PathBuf>,
    /// With an Azure storage URL: the connector whose Entra identity writes there (default:
    /// credentials from the environment).
    pub identity: Option<String>,
    /// Days of snapshots and reports to keep: 1 to 36500. Signed, like every number in the
    /// file, so that a negative or huge value gets a message naming its bounds.
    pub retain_days: Option<i64>,
}

/// The bounds of `[output] retain_days`. Past them the value is a typo, and the date it implies
/// would not be representable.
pub const RETAIN_DAYS: std::ops::RangeInclusive<i64> = 1..=36_500;

/// `[limits]` as written; [`Limits`] once validated. Each key's bounds are in
/// [`resolve_limits`].
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    pub requests_per_second: i64,
    pub burst: i64,
    pub max_concurrency: i64,
    pub max_organizations: i64,
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let limits = Limits::default();
        LimitsConfig {
            requests_per_second: limits.requests_per_second.into(),
            burst: limits.burst.into(),
            max_concurrency: limits.max_concurrency as i64,
            max_organizations: limits.max_organizations as i64,
            max_attempts: limits.max_attempts.into(),
            backoff_base_ms: limits.backoff_base_ms as i64,
        }
    }
}

/// Rate limits per identity per organization, like Azure DevOps' own accounting.
#[derive(Debug, Clone)]
pub struct Limits {
    pub requests_per_second: u32,
    pub burst: u32,
    pub max_concurrency: usize,
    /// Organizations crawled at once per connector. Each in flight holds its lists (projects,
    /// repositories) and shared service connections until it completes (its projects and alerts
    /// are written as they are read), so this bounds the crawl's memory; more gives more
    /// throughput when the limit per organization binds.
    pub max_organizations: usize,
    /// Attempts per request before a resource is given up (retries = attempts - 1).
    pub max_attempts: u32,
    /// First retry waits about this long; each next one twice as long (with jitter), at most 60 s.
    pub backoff_base_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_second: 100,
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
    /// `https://dev.azure.com` (or `https://{org}.visualstudio.com`) for Azure DevOps Services;
    /// the server's address for Server: `https://host/tfs`, or `https://host:8080` when its
    /// collections sit at the root. Plain `http://` only to a loopback address: the credential
    /// would otherwise cross the network in clear text.
    pub url: String,
    /// `services` or `server`; inferred from `url` when absent (cloud hosts and loopback
    /// simulators are Services, any other host is Server).
    pub deployment: Option<String>,
    /// Profile and accounts (organization discovery); derived from `url` when absent.
    pub vssps_url: Option<String>,
    /// GitHub Advanced Security for Azure DevOps; derived from `url` when absent.
    pub advsec_url: Option<String>,
    /// Graph (users, groups, memberships) of each organization, `{graph_url}/{organization}`:
    /// `https://vssps.dev.azure.com` on Azure DevOps Services; `url` itself for a Services URL
    /// that is not a cloud host (a simulator, a proxy); none on Server.
    pub graph_url: Option<String>,
    /// User entitlements (access levels, last access), `{entitlements_url}/{organization}`:
    /// `https://vsaex.dev.azure.com` on Azure DevOps Services; like `graph_url` otherwise.
    pub entitlements_url: Option<String>,
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
    /// `{ kind = "pat", ... }`: see [`AuthTable`]; reported as a problem when missing.
    pub auth: Option<AuthTable>,
}

fn all_organizations() -> Vec<String> {
    vec!["*".to_string()]
}

/// `auth = { kind = "...", ... }` as written: every key of every kind, so that a misspelt key is
/// reported (by `serde_ignored`, like any other unknown key) together with the config's other
/// problems instead of failing the whole parse. [`AuthTable::into_auth`] checks that the keys
/// fit the kind and builds the [`AuthConfig`].
#[derive(Debug, Default, Deserialize)]
pub struct AuthTable {
    pub kind: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub secret_env: Option<String>,
    pub secret_file: Option<PathBuf>,
    pub certificate_file: Option<PathBuf>,
    pub authority_url: Option<String>,
    pub endpoint: Option<String>,
}

/// Each `auth` kind and the keys it takes (besides `kind`).
const AUTH_KINDS: [(&str, &[&str]); 5] = [
    ("pat", &["token_env", "token_file"]),
    (
        "service_principal",
        &[
            "tenant_id",
            "client_id",
            "secret_env",
            "secret_file",
            "certificate_file",
            "authority_url",
        ],
    ),
    ("managed_identity", &["client_id", "endpoint"]),
    (
        "workload_identity",
        &["tenant_id", "client_id", "token_file", "authority_url"],
    ),
    ("azure_cli", &[]),
];

impl AuthTable {
    /// The keys set in this table, by name.
    fn keys_set(&self) -> Vec<&'static str> {
        [
            ("token_env", self.token_env.is_some()),
            ("token_file", self.token_file.is_some()),
            ("tenant_id", self.tenant_id.is_some()),
            ("client_id", self.client_id.is_some()),
            ("secret_env", self.secret_env.is_some()),
            ("secret_file", self.secret_file.is_some()),
            ("certificate_file", self.certificate_file.is_some()),
            ("authority_url", self.authority_url.is_some()),
            ("endpoint", self.endpoint.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }

    /// The entry for its kind; a missing or unknown kind, a key of another kind and a missing
    /// required key are problems, each named. `owner` is e.g. `connector 'x': auth`.
    pub fn into_auth(self, owner: &str, problems: &mut Vec<String>) -> Option<AuthConfig> {
        let kinds = || {
            AUTH_KINDS
                .iter()
                .map(|(kind, _)| format!("\"{kind}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(kind) = self.kind.clone() else {
            problems.push(format!("{owner}: kind is missing: use one of {}", kinds()));
            return None;
        };
        let Some((_, allowed)) = AUTH_KINDS.iter().find(|(k, _)| *k == kind) else {
            problems.push(format!(
                "{owner}: kind = \"{kind}\" is not a kind of auth: use one of {}",
                kinds()
            ));
            return None;
        };
        let before = problems.len();
        for key in self.keys_set() {
            if !allowed.contains(&key) {
                problems.push(format!(
                    "{owner}: {key} does not apply to kind = \"{kind}\" ({}); remove it",
                    if allowed.is_empty() {
                        "it takes no other key".to_string()
                    } else {
                        format!("its keys: {}", allowed.join(", "))
                    }
                ));
            }
        }
        let mut required = |key: &str, value: Option<String>| {
            if value.is_none() {
                problems.push(format!("{owner}: kind = \"{kind}\" needs {key}"));
            }
            value.unwrap_or_default()
        };
        let auth = match kind.as_str() {
            "pat" => AuthConfig::Pat {
                token_env: self.token_env,
                token_file: self.token_file,
            },
            "service_principal" => AuthConfig::ServicePrincipal {
                tenant_id: required("tenant_id", self.tenant_id),
                client_id: required("client_id", self.client_id),
                secret_env: self.secret_env,
                secret_file: self.secret_file,
                certificate_file: self.certificate_file,
                authority_url: self.authority_url,
            },
            "managed_identity" => AuthConfig::ManagedIdentity {
                client_id: self.client_id,
                endpoint: self.endpoint,
            },
            "workload_identity" => AuthConfig::WorkloadIdentity {
                tenant_id: self.tenant_id,
                client_id: self.client_id,
                token_file: self.token_file,
                authority_url: self.authority_url,
            },
            // "azure_cli": the only kind left in AUTH_KINDS.
            _ => AuthConfig::AzureCli,
        };
        (problems.len() == before).then_some(auth)
    }
}

/// One connector's identity, its keys checked against its kind (see [`AuthTable`]).
#[derive(Debug)]
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
    /// The managed identity of the machine or app the job runs on: App Service, Functions and
    /// Container Apps when IDENTITY_ENDPOINT and IDENTITY_HEADER are set, else IMDS (VMs, AKS).
    ManagedIdentity {
        /// For a user-assigned identity.
        client_id: Option<String>,
        /// An IMDS-style endpoint, used as is (the environment is then not consulted). Default:
        /// `http://169.254.169.254/metadata/identity/oauth2/token`.
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
    AzureCli,
}

/// The config after validation, with secrets loaded.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub output_dir: Option<PathBuf>,
    /// `[output] work_dir`: where a run whose output is an object store works.
    pub work_dir: Option<PathBuf>,
    /// `[output] identity`: the Entra identity (a connector's) that writes to Azure storage.
    pub output_identity: Option<EntraCredential>,
    /// Snapshots and reports older than this many days are pruned after a successful run.
    pub retain_days: Option<u32>,
    pub limits: Limits,
    pub connectors: Vec<Connector>,
    pub email: Option<EmailSettings>,
    pub exemptions: Vec<crate::rules::Exemption>,
    /// `[[rule_scope]]` entries.
    pub rule_scopes: Vec<crate::rules::RuleScope>,
    /// `[[owner]]` entries, in order (the first match owns a finding).
    pub owners: Vec<crate::rules::Owner>,
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
    /// Graph host (organization-scoped); `None` where the deployment has none (Server).
    pub graph_url: Option<Url>,
    /// User entitlements host; `None` where the deployment has none (Server).
    pub entitlements_url: Option<Url>,
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

    /// The name [`as_str`](Self::as_str) gave, read back (a manifest's); anything else is
    /// Services, the default deployment.
    pub fn named(name: Option<&str>) -> &'static str {
        match name {
            Some(n) if n.eq_ignore_ascii_case(Deployment::Server.as_str()) => {
                Deployment::Server.as_str()
            }
            _ => Deployment::Services.as_str(),
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
        protocol: ManagedIdentityProtocol,
    },
    AzureCli,
}

/// How a managed identity's token endpoint is asked.
#[derive(Debug, Clone)]
pub enum ManagedIdentityProtocol {
    /// Azure Instance Metadata Service (VMs, scale sets, AKS nodes): header `Metadata: true`,
    /// api-version 2018-02-01.
    Imds,
    /// App Service, Functions, Container Apps: the platform's local endpoint
    /// (IDENTITY_ENDPOINT), header `X-IDENTITY-HEADER` = IDENTITY_HEADER, api-version 2019-08-01.
    AppService { identity_header: Secret },
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

/// The address Azure's Instance Metadata Service answers on: link-local, never routed, so
/// Azure serves it over plain http.
const IMDS_ADDRESS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(169, 254, 169, 254);

/// Whether a URL's host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // Outside http(s) (smtp://), the url crate leaves an IPv4 address as a domain.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// Refuses `https://user:secret@host`: the secret would be printed wherever the URL is, and
/// the URL is not where credentials go. The message leaves the URL out for that reason.
fn refuse_credentials_in_url(owner: &str, key: &str, url: &Url) -> Result<(), String> {
    if url.username().is_empty() && url.password().is_none() {
        Ok(())
    } else {
        Err(format!(
            "{owner}: {key} must not hold a user name or password; put the credential in auth"
        ))
    }
}

/// Refuses a URL that would carry a credential over the network unencrypted: plain http is
/// allowed only to a loopback address (tests, simulators, local token proxies) and, when
/// `allow_imds`, to the IMDS address.
fn refuse_clear_text(
    owner: &str,
    key: &str,
    text: &str,
    url: &Url,
    allow_imds: bool,
) -> Result<(), String> {
    let imds = allow_imds && url.host() == Some(url::Host::Ipv4(IMDS_ADDRESS));
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) || imds => Ok(()),
        "http" => Err(format!(
            "{owner}: {key} = \"{text}\" would send the credential in clear text; use https \
             (plain http is allowed only to a loopback address{})",
            if allow_imds {
                " or to IMDS, 169.254.169.254"
            } else {
                ""
            }
        )),
        scheme => Err(format!(
            "{owner}: {key} = \"{text}\" must be an https URL, not {scheme}"
        )),
    }
}

/// An Entra endpoint from the config: https, or http to loopback (tests, local token proxies);
/// the IMDS address is allowed over http as Azure serves it.
fn entra_url(owner: &str, key: &str, text: &str, allow_imds: bool) -> Result<Url, String> {
    let url =
        Url::parse(text).map_err(|e| format!("{owner}: {key} = \"{text}\" is not a URL: {e}"))?;
    refuse_credentials_in_url(owner, key, &url)?;
    refuse_clear_text(owner, key, text, &url, allow_imds)?;
    Ok(url)
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
            // As Azure's SDKs do: both platform variables set means App Service and its kin.
            let set = |var: &str| env(var).filter(|v| !v.trim().is_empty());
            if let (None, Some(platform_endpoint), Some(identity_header)) =
                (&endpoint, set("IDENTITY_ENDPOINT"), set("IDENTITY_HEADER"))
            {
                let endpoint = keep(entra_url(
                    &owner,
                    "environment variable IDENTITY_ENDPOINT",
                    platform_endpoint.trim(),
                    false,
                ))?;
                return Some(EntraCredential::ManagedIdentity {
                    endpoint,
                    client_id,
                    protocol: ManagedIdentityProtocol::AppService {
                        identity_header: Secret::new(identity_header.trim()),
                    },
                });
            }
            let endpoint = keep(entra_url(
                &owner,
                "endpoint",
                endpoint.as_deref().unwrap_or(IMDS_TOKEN_ENDPOINT),
                true,
            ))?;
            Some(EntraCredential::ManagedIdentity {
                endpoint,
                client_id,
                protocol: ManagedIdentityProtocol::Imds,
            })
        }
        AuthConfig::AzureCli => Some(EntraCredential::AzureCli),
    }
}

/// Azure DevOps Services' own hosts: `dev.azure.com` and the older `{org}.visualstudio.com`.
fn is_cloud_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "dev.azure.com" || host.ends_with(".visualstudio.com")
}

/// Services for the cloud's hosts and for a simulator on loopback at the root; Server for a
/// URL with a path (`https://host/tfs`) and for any other host, whose collections may sit at
/// the root (`http://host:8080/DefaultCollection`).
fn infer_deployment(url: &Url) -> Deployment {
    let host = url.host_str().unwrap_or_default();
    let at_root = url.path() == "/" || url.path().is_empty();
    if is_cloud_host(host) || (at_root && is_loopback(url)) {
        Deployment::Services
    } else {
        Deployment::Server
    }
}

impl Connector {
    /// The API root of one organization (collection): `{url}/{organization}`, or
    /// `https://{organization}.visualstudio.com/` when the connector uses that older cloud URL.
    pub fn organization_url(&self, organization: &str) -> Url {
        let host = self.url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host.ends_with(".visualstudio.com") && !host.contains(".vssps.") {
            let mut url = self.url.clone();
            if url
                .set_host(Some(&format!("{organization}.visualstudio.com")))
                .is_ok()
            {
                url.set_path("/");
                url.set_query(None);
                return url;
            }
        }
        let mut url = crate::ado::client::api_url(&self.url, &[organization], &[]);
        if url.query().is_some_and(str::is_empty) {
            url.set_query(None);
        }
        url
    }

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

/// The `[output] dir` a config file names, read even when the rest of the file has problems, so
/// that `run --check` can report the output folder's problems with the config's.
pub fn configured_output_dir(path: &Path) -> Option<PathBuf> {
    std::fs::read_to_string(path)
        .ok()?
        .parse::<toml::Table>()
        .ok()?
        .get("output")?
        .get("dir")?
        .as_str()
        .map(PathBuf::from)
}

/// Reads, parses, validates and resolves a config file. Every problem found is reported at
/// once (unknown keys, missing secrets, bad URLs, bad patterns), each naming its key.
pub fn load(path: &Path) -> Result<ResolvedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (file, unknown) =
        parse_reporting_unknown_keys(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
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

/// Parses the TOML; every unknown key (inside `auth` too) becomes a problem naming its path,
/// reported later with the others. Only TOML syntax and type errors fail here.
fn parse_reporting_unknown_keys(text: &str) -> Result<(ConfigFile, Vec<String>), String> {
    let mut keys = Vec::new();
    let deserializer = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
    let file: ConfigFile = serde_ignored::deserialize(deserializer, |path| {
        // serde_ignored writes an optional table (`auth`, `email`) as `auth.?`; users wrote `auth`.
        keys.push(path.to_string().replace(".?.", "."));
    })
    .map_err(|e| e.to_string())?;
    let unknown = keys
        .into_iter()
        .map(|key| {
            // `connector.2.auth.x`: say which connector, since users know them by name.
            let connector = key
                .strip_prefix("connector.")
                .and_then(|rest| rest.split('.').next()?.parse::<usize>().ok())
                .and_then(|i| file.connectors.get(i))
                .map(|c| format!(" (connector '{}')", c.name))
                .unwrap_or_default();
            format!("unknown key `{key}`{connector}: remove it or fix its spelling")
        })
        .collect();
    Ok((file, unknown))
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
    let limits = resolve_limits(&file.limits, &mut problems);
    let retain_days = file
        .output
        .retain_days
        .and_then(|days| bounded("[output] retain_days", days, RETAIN_DAYS, &mut problems));
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
    let output_identity = file.output.identity.as_deref().and_then(|name| {
        match connectors.iter().find(|c| c.name == name) {
            Some(Connector {
                credential: Credential::Entra(entra),
                ..
            }) => Some(entra.clone()),
            Some(_) => {
                problems.push(format!(
                    "[output] identity: connector '{name}' authenticates with a PAT; Azure Storage takes an Entra identity (service principal, certificate, workload identity, managed identity or the Azure CLI)"
                ));
                None
            }
            None => {
                problems.push(format!("[output] identity: no [[connector]] is named '{name}'"));
                None
            }
        }
    });
    let email = file
        .email
        .and_then(|e| resolve_email(e, &env, &mut problems));
    let exemptions = resolve_exemptions(file.exemptions, &mut problems);
    let rule_scopes = resolve_rule_scopes(file.rule_scopes, &mut problems);
    let owners = resolve_owners(file.owners, &mut problems);
    if !problems.is_empty() {
        return Err(ConfigError::Problems(problems));
    }
    Ok(ResolvedConfig {
        output_dir: file.output.dir,
        work_dir: file.output.work_dir,
        output_identity,
        retain_days,
        limits,
        connectors,
        email,
        exemptions,
        rule_scopes,
        owners,
        rules_dir: file.rules.directory,
    })
}

/// Validates `[[owner]]` entries: a team, an e-mail address and at least one pattern.
fn resolve_owners(
    entries: Vec<OwnerConfig>,
    problems: &mut Vec<String>,
) -> Vec<crate::rules::Owner> {
    let mut out = Vec::new();
    for (i, o) in entries.into_iter().enumerate() {
        let key = format!("[[owner]] #{} ({})", i + 1, o.team);
        let before = problems.len();
        if o.team.trim().is_empty() {
            problems.push(format!("{key}: team is empty"));
        }
        if o.email.trim().parse::<lettre::Address>().is_err() {
            problems.push(format!(
                "{key}: email '{}' is not an e-mail address",
                o.email
            ));
        }
        if o.resources.is_empty() || o.resources.iter().any(|r| r.trim().is_empty()) {
            problems.push(format!(
                "{key}: resources must list patterns like \"contoso/Payments*/*\" (organization/project/resource)"
            ));
        }
        if problems.len() == before {
            out.push(crate::rules::Owner {
                team: o.team.trim().to_string(),
                email: o.email.trim().to_string(),
                resources: o.resources.iter().map(|r| r.trim().to_string()).collect(),
            });
        }
    }
    out
}

/// `value` as a `T` when it lies in `range`; else a problem naming `key` and the bounds.
fn bounded<T: TryFrom<i64>>(
    key: &str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let fits = range.contains(&value).then(|| T::try_from(value).ok());
    if fits.is_none() {
        problems.push(format!(
            "{key} = {value} is out of range: use {} to {}",
            range.start(),
            range.end()
        ));
    }
    fits.flatten()
}

/// `[limits]` within bounds that keep the crawl sane: a value outside them is a typo or a unit
/// mistake (milliseconds for seconds), and reported; the default then stands in.
fn resolve_limits(limits: &LimitsConfig, problems: &mut Vec<String>) -> Limits {
    let default = Limits::default();
    let mut check = |key: &str, value: i64, range| {
        bounded::<u64>(&format!("[limits] {key}"), value, range, problems)
    };
    let requests_per_second = check(
        "requests_per_second",
        limits.requests_per_second,
        1..=10_000,
    );
    let burst = check("burst", limits.burst, 1..=100_000);
    let max_concurrency = check("max_concurrency", limits.max_concurrency, 1..=1024);
    let max_organizations = check("max_organizations", limits.max_organizations, 1..=1024);
    let max_attempts = check("max_attempts", limits.max_attempts, 1..=20);
    let backoff_base_ms = check("backoff_base_ms", limits.backoff_base_ms, 0..=600_000);
    let narrow = |value: Option<u64>| value.and_then(|v| u32::try_from(v).ok());
    let size = |value: Option<u64>| value.and_then(|v| usize::try_from(v).ok());
    Limits {
        requests_per_second: narrow(requests_per_second).unwrap_or(default.requests_per_second),
        burst: narrow(burst).unwrap_or(default.burst),
        max_concurrency: size(max_concurrency).unwrap_or(default.max_concurrency),
        max_organizations: size(max_organizations).unwrap_or(default.max_organizations),
        max_attempts: narrow(max_attempts).unwrap_or(default.max_attempts),
        backoff_base_ms: backoff_base_ms.unwrap_or(default.backoff_base_ms),
    }
}

/// Validates `[[rule_scope]]` entries: a rule and at least one non-empty pattern.
fn resolve_rule_scopes(
    entries: Vec<RuleScopeConfig>,
    problems: &mut Vec<String>,
) -> Vec<crate::rules::RuleScope> {
    let mut out = Vec::new();
    for (i, s) in entries.into_iter().enumerate() {
        let key = format!("[[rule_scope]] #{} ({})", i + 1, s.rule);
        if s.rule.trim().is_empty() {
            problems.push(format!("{key}: rule is empty"));
        } else if s.resources.is_empty() || s.resources.iter().any(|r| r.trim().is_empty()) {
            problems.push(format!(
                "{key}: resources must list patterns like \"*/*/prod*\" (organization/project/resource)"
            ));
        } else {
            out.push(crate::rules::RuleScope {
                rule: s.rule.trim().to_string(),
                resources: s.resources.iter().map(|r| r.trim().to_string()).collect(),
            });
        }
    }
    out
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
            if host.is_empty() {
                problem(format!("smtp_url = \"{}\" has no host", e.smtp_url));
            } else if !url.username().is_empty() || url.password().is_some() {
                problem(
                    "smtp_url must not hold credentials: use username and password_env (or password_file)"
                        .into(),
                );
            } else if tls == Some(SmtpTls::None) && !is_loopback(&url) {
                problem(format!(
                    "smtp_url = \"{}\" would send the mail{} in clear text; use smtp:// (STARTTLS) \
                     or smtps:// (tls=none is allowed only to a loopback address)",
                    e.smtp_url,
                    if e.password_env.is_some() || e.password_file.is_some() {
                        " and the SMTP password"
                    } else {
                        ""
                    }
                ));
            } else if url.port() == Some(0) {
                problem(format!(
                    "smtp_url = \"{}\": port 0 is not a port",
                    e.smtp_url
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
    let timeout_seconds = match e.timeout_seconds {
        None => DEFAULT_EMAIL_TIMEOUT_SECONDS,
        Some(seconds @ 1..=3600) => seconds.unsigned_abs(),
        Some(seconds) => {
            problem(format!(
                "timeout_seconds = {seconds} is out of range: use 1 to 3600 (default {DEFAULT_EMAIL_TIMEOUT_SECONDS})"
            ));
            DEFAULT_EMAIL_TIMEOUT_SECONDS
        }
    };
    let attachment_max_kb = match e.attachment_max_kb {
        None => DEFAULT_ATTACHMENT_MAX_KB,
        Some(kb @ 0..=51_200) => kb.unsigned_abs(),
        Some(kb) => {
            problem(format!(
                "attachment_max_kb = {kb} is out of range: use 0 (no attachment) to 51200 (default {DEFAULT_ATTACHMENT_MAX_KB})"
            ));
            DEFAULT_ATTACHMENT_MAX_KB
        }
    };
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
        timeout: std::time::Duration::from_secs(timeout_seconds),
        owner_digests: e.owner_digests,
        attachment_max_bytes: attachment_max_kb.saturating_mul(1024),
    })
}

/// A connector's base URL; `None` when it cannot be used at all. Plain http to a remote host is
/// a problem, yet the URL is returned so that the problems that depend on it (the deployment's
/// organization names) are found in the same run.
fn parse_base_url(
    connector: &str,
    key: &str,
    value: &str,
    problems: &mut Vec<String>,
) -> Option<Url> {
    let url = match Url::parse(value.trim_end_matches('/')) {
        Ok(url) => url,
        Err(e) => {
            problems.push(format!(
                "connector '{connector}': {key} = \"{value}\" is not a URL: {e}"
            ));
            return None;
        }
    };
    if !matches!(url.scheme(), "https" | "http") {
        problems.push(format!(
            "connector '{connector}': {key} = \"{value}\" must be an https URL, not {}",
            url.scheme()
        ));
        return None;
    }
    let owner = format!("connector '{connector}'");
    if let Err(e) = refuse_credentials_in_url(&owner, key, &url) {
        problems.push(e);
        return None;
    }
    if let Err(e) = refuse_clear_text(&owner, key, value, &url, false) {
        problems.push(e);
    }
    Some(url)
}

/// Why `name` cannot be an organization (Services) or a project collection (Server), after
/// learn.microsoft.com's "Naming restrictions and conventions".
fn organization_name_problem(deployment: Deployment, name: &str) -> Option<String> {
    match deployment {
        // English letters, digits and hyphens; a letter or digit first and last; at most 50.
        Deployment::Services => {
            let bytes = name.as_bytes();
            let ok = (1..=50).contains(&bytes.len())
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
                && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
            (!ok).then(|| {
                "is not an Azure DevOps Services organization name: use English letters, digits and \
                 hyphens, a letter or digit first and last, at most 50 characters"
                    .to_string()
            })
        }
        Deployment::Server => {
            const FORBIDDEN: &str = "/:\\~&%;@'\"?<>|#$*}{,+=[]";
            const RESERVED: [&str; 26] = [
                "PRN", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
                "COM10", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
                "NUL", "CON", "AUX", "WEB", "SERVER", "SIGNALR",
            ];
            let why = if name.trim().is_empty() {
                "is empty".to_string()
            } else if name.encode_utf16().count() > 64 {
                "is longer than 64 characters".to_string()
            } else if name.trim() != name {
                "starts or ends with a space".to_string()
            } else if let Some(c) = name.chars().find(|c| c.is_control()) {
                format!("holds the control character U+{:04X}", u32::from(c))
            } else if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(*c)) {
                format!("holds '{c}' (not allowed: {FORBIDDEN})")
            } else if name.contains("..") || name.contains('\u{2026}') {
                "holds a double period or an ellipsis".to_string()
            } else if name.starts_with('_') || name.starts_with('.') || name.ends_with('.') {
                "starts with _ or ., or ends with .".to_string()
            } else if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                "is a reserved name".to_string()
            } else {
                return None;
            };
            Some(format!(
                "is not an Azure DevOps Server collection name: it {why}"
            ))
        }
    }
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
    let url = parse_base_url(&c.name, "url", &c.url, problems);
    let vssps_override = c
        .vssps_url
        .as_deref()
        .map(|v| parse_base_url(&c.name, "vssps_url", v, problems));
    let advsec_override = c
        .advsec_url
        .as_deref()
        .map(|v| parse_base_url(&c.name, "advsec_url", v, problems));
    let graph_override = c
        .graph_url
        .as_deref()
        .map(|v| parse_base_url(&c.name, "graph_url", v, problems));
    let entitlements_override = c
        .entitlements_url
        .as_deref()
        .map(|v| parse_base_url(&c.name, "entitlements_url", v, problems));
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
    let owner = format!("connector '{}': auth", c.name);
    let auth = match c.auth {
        Some(table) => table.into_auth(&owner, problems),
        None => {
            problems.push(format!(
                "{owner} is missing: add e.g. auth = {{ kind = \"pat\", token_env = \"ADO_PAT\" }}"
            ));
            None
        }
    };
    let credential = match auth {
        None => None,
        Some(AuthConfig::Pat {
            token_env,
            token_file,
        }) => match read_secret(&owner, token_env, token_file, env) {
            Ok(secret) => Some(Credential::Pat(secret)),
            Err(e) => {
                problems.push(e);
                None
            }
        },
        Some(entra) => resolve_entra(&c.name, entra, env, problems).map(Credential::Entra),
    };
    let url = url?;
    let is_cloud = is_cloud_host(url.host_str().unwrap_or_default());
    let deployment = match c
        .deployment
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("services") => Deployment::Services,
        Some("server") => Deployment::Server,
        Some(other) => {
            problems.push(format!(
                "connector '{}': deployment = \"{other}\" is neither \"services\" nor \"server\"",
                c.name
            ));
            infer_deployment(&url)
        }
        None => infer_deployment(&url),
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
    // Identity hosts: the cloud's own, or the connector's URL for a Services stand-in.
    let identity_host = |cloud: &str| match deployment {
        Deployment::Services if is_cloud => Url::parse(cloud).ok(),
        Deployment::Services => Some(url.clone()),
        Deployment::Server => None,
    };
    let graph_url = match graph_override {
        Some(v) => v,
        None => identity_host("https://vssps.dev.azure.com"),
    };
    let entitlements_url = match entitlements_override {
        Some(v) => v,
        None => identity_host("https://vsaex.dev.azure.com"),
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
            if let Some(why) = organization_name_problem(deployment, o) {
                problems.push(format!(
                    "connector '{}': organizations: \"{o}\" {why}",
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
        graph_url,
        entitlements_url,
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

    /// `[[owner]]` entries are checked like the rest: a team, an address, patterns.
    #[test]
    fn owner_entries_need_a_team_an_address_and_patterns() {
        let mut problems = Vec::new();
        let owners = resolve_owners(
            vec![
                OwnerConfig {
                    team: "Payments".into(),
                    email: "payments@contoso.com".into(),
                    resources: vec!["contoso/Payments*/*".into()],
                },
                OwnerConfig {
                    team: "".into(),
                    email: "not an address".into(),
                    resources: Vec::new(),
                },
            ],
            &mut problems,
        );
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].team, "Payments");
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("not an e-mail address")));
    }

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

    /// ../shared/ado-api/README.md §6: `{org}.visualstudio.com` is a cloud URL, and a Server
    /// collection can sit at the root of its host.
    #[test]
    fn deployments_are_told_from_their_urls() {
        let connector = |url: &str, extra: &str| {
            let text = format!(
                "[[connector]]\nname = \"c\"\nurl = \"{url}\"\norganizations = [\"DefaultCollection\"]\n{extra}auth = {{ kind = \"pat\", token_env = \"P\" }}\n"
            );
            resolve(parse(&text), |_| Some("x".into()))
                .map(|cfg| cfg.connectors.into_iter().next().unwrap())
        };
        let vs = connector("https://contoso.visualstudio.com", "").unwrap();
        assert_eq!(vs.deployment, Deployment::Services);
        assert_eq!(
            vs.vssps_url.as_ref().unwrap().as_str(),
            "https://app.vssps.visualstudio.com/"
        );
        assert_eq!(
            vs.advsec_url.as_ref().unwrap().as_str(),
            "https://advsec.dev.azure.com/"
        );
        assert_eq!(
            vs.organization_url("contoso").as_str(),
            "https://contoso.visualstudio.com/"
        );
        let root = connector("https://ado-server:8080", "").unwrap();
        assert_eq!(root.deployment, Deployment::Server);
        assert!(root.advsec_url.is_none());
        assert_eq!(
            root.organization_url("DefaultCollection").as_str(),
            "https://ado-server:8080/DefaultCollection"
        );
        let tfs = connector("https://ado.contoso.local/tfs", "").unwrap();
        assert_eq!(tfs.deployment, Deployment::Server);
        assert_eq!(
            tfs.organization_url("DefaultCollection").as_str(),
            "https://ado.contoso.local/tfs/DefaultCollection"
        );
        let cloud = connector("https://dev.azure.com", "").unwrap();
        assert_eq!(
            cloud.organization_url("contoso").as_str(),
            "https://dev.azure.com/contoso"
        );
        assert_eq!(
            connector("http://127.0.0.1:8080", "").unwrap().deployment,
            Deployment::Services
        );
        let explicit = connector("http://127.0.0.1:8080", "deployment = \"server\"\n").unwrap();
        assert_eq!(explicit.deployment, Deployment::Server);
        let err = connector("http://127.0.0.1:8080", "deployment = \"cloud\"\n").unwrap_err();
        assert!(err.to_string().contains("deployment"), "{err}");
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
    fn email_timeout_defaults_to_a_minute_and_is_bounded() {
        let text = |extra: &str| {
            format!(
                "[[connector]]\nname = \"c\"\nurl = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {{ kind = \"pat\", token_env = \"P\" }}\n[email]\nsmtp_url = \"smtps://mail.example.com\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n{extra}"
            )
        };
        let env = |_: &str| Some("x".to_string());
        let timeout =
            |extra: &str| resolve(parse(&text(extra)), env).map(|c| c.email.unwrap().timeout);
        assert_eq!(timeout("").unwrap(), std::time::Duration::from_secs(60));
        for seconds in [1, 3600] {
            assert_eq!(
                timeout(&format!("timeout_seconds = {seconds}\n")).unwrap(),
                std::time::Duration::from_secs(seconds)
            );
        }
        for seconds in ["0", "-5", "3601"] {
            let err = timeout(&format!("timeout_seconds = {seconds}\n")).unwrap_err();
            assert!(
                err.to_string().contains(&format!(
                    "[email] timeout_seconds = {seconds} is out of range: use 1 to 3600"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn the_attachment_bound_defaults_to_5_mib_and_is_checked() {
        let text = |extra: &str| {
            format!(
                "[[connector]]\nname = \"c\"\nurl = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {{ kind = \"pat\", token_env = \"P\" }}\n[email]\nsmtp_url = \"smtps://mail.example.com\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n{extra}"
            )
        };
        let env = |_: &str| Some("x".to_string());
        let bound = |extra: &str| {
            resolve(parse(&text(extra)), env).map(|c| c.email.unwrap().attachment_max_bytes)
        };
        assert_eq!(bound("").unwrap(), 5 * 1024 * 1024);
        assert_eq!(bound("attachment_max_kb = 0\n").unwrap(), 0);
        assert_eq!(bound("attachment_max_kb = 64\n").unwrap(), 65_536);
        for kb in ["-1", "51201"] {
            let err = bound(&format!("attachment_max_kb = {kb}\n")).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("[email] attachment_max_kb = {kb} is out of range")),
                "{err}"
            );
        }
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

    fn managed_identity(auth: &str, vars: &[(&str, &str)]) -> Result<EntraCredential, String> {
        let text = format!(
            "[[connector]]\nname = \"c\"\nurl = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {auth}\n"
        );
        let env = |var: &str| {
            vars.iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| v.to_string())
        };
        let mut config = resolve(parse(&text), env).map_err(|e| e.to_string())?;
        match config.connectors.remove(0).credential {
            Credential::Entra(entra) => Ok(entra),
            Credential::Pat(_) => Err("a PAT".into()),
        }
    }

    const HEADER: &str = "identity-header-0f3e-never-print-me";

    #[test]
    fn managed_identity_is_app_service_style_when_the_platform_sets_both_variables() {
        let auth = r#"{ kind = "managed_identity", client_id = "uami" }"#;
        let platform = [
            ("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token"),
            ("IDENTITY_HEADER", HEADER),
        ];
        let EntraCredential::ManagedIdentity {
            endpoint,
            client_id,
            protocol: ManagedIdentityProtocol::AppService { identity_header },
        } = managed_identity(auth, &platform).unwrap()
        else {
            panic!("not App Service style");
        };
        assert_eq!(endpoint.as_str(), "http://localhost:42356/msi/token");
        assert_eq!(client_id.as_deref(), Some("uami"));
        assert_eq!(identity_header.expose(), HEADER);
        let debug = format!("{identity_header:?}");
        assert!(!debug.contains(HEADER), "{debug}");
    }

    #[test]
    fn managed_identity_is_imds_without_both_variables_or_with_an_explicit_endpoint() {
        let imds = |auth: &str, vars: &[(&str, &str)]| match managed_identity(auth, vars) {
            Ok(EntraCredential::ManagedIdentity {
                endpoint,
                protocol: ManagedIdentityProtocol::Imds,
                ..
            }) => endpoint.to_string(),
            other => panic!("not IMDS: {other:?}"),
        };
        let plain = r#"{ kind = "managed_identity" }"#;
        let default = "http://169.254.169.254/metadata/identity/oauth2/token";
        assert_eq!(imds(plain, &[]), default);
        assert_eq!(
            imds(
                plain,
                &[("IDENTITY_ENDPOINT", "http://localhost:1/msi/token")]
            ),
            default
        );
        assert_eq!(
            imds(
                plain,
                &[("IDENTITY_ENDPOINT", ""), ("IDENTITY_HEADER", HEADER)]
            ),
            default
        );
        let explicit = r#"{ kind = "managed_identity", endpoint = "http://127.0.0.1:8080/token" }"#;
        let platform = [
            ("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token"),
            ("IDENTITY_HEADER", HEADER),
        ];
        assert_eq!(imds(explicit, &platform), "http://127.0.0.1:8080/token");
    }

    #[test]
    fn an_app_service_endpoint_over_plain_http_must_be_loopback() {
        for remote in [
            "http://10.0.0.4:8081/msi/token",
            "http://169.254.169.254/metadata/identity/oauth2/token",
            "not a url",
        ] {
            let err = managed_identity(
                r#"{ kind = "managed_identity" }"#,
                &[("IDENTITY_ENDPOINT", remote), ("IDENTITY_HEADER", HEADER)],
            )
            .unwrap_err();
            assert!(err.contains("IDENTITY_ENDPOINT"), "{err}");
            assert!(!err.contains(HEADER), "{err}");
        }
        for local in [
            "http://127.0.0.1:41741/msi/token",
            "http://[::1]:8081/msi/token",
            "https://identity.example.net/msi/token",
        ] {
            assert!(
                managed_identity(
                    r#"{ kind = "managed_identity" }"#,
                    &[("IDENTITY_ENDPOINT", local), ("IDENTITY_HEADER", HEADER)],
                )
                .is_ok(),
                "{local}"
            );
        }
    }

    /// Resolves one connector (and `extra` TOML after it) through the same parse as `load`, so
    /// that unknown keys are reported; every environment variable is set.
    fn check(connector: &str, extra: &str) -> Result<ResolvedConfig, String> {
        let text = format!("[[connector]]\nname = \"c\"\n{connector}\n{extra}");
        let (file, unknown) = parse_reporting_unknown_keys(&text)?;
        // The platform's identity variables stay unset, so that IMDS is the default.
        let env = |var: &str| {
            (!var.starts_with("IDENTITY_") && !var.starts_with("AZURE_")).then(|| "x".to_string())
        };
        resolve_with(file, env, unknown).map_err(|e| e.to_string())
    }

    const PAT: &str = r#"auth = { kind = "pat", token_env = "P" }"#;

    fn connector_at(url_keys: &str) -> String {
        format!("{url_keys}\norganizations = [\"o\"]\n{PAT}")
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_for_every_connector_url() {
        for key in [
            "url",
            "vssps_url",
            "advsec_url",
            "graph_url",
            "entitlements_url",
        ] {
            let remote = "http://ado.contoso.local/tfs";
            let keys = if key == "url" {
                format!("url = \"{remote}\"")
            } else {
                format!("url = \"https://dev.azure.com\"\n{key} = \"{remote}\"")
            };
            let err = check(&connector_at(&keys), "").unwrap_err();
            let expected = format!(
                "connector 'c': {key} = \"{remote}\" would send the credential in clear text; \
                 use https (plain http is allowed only to a loopback address)"
            );
            assert!(err.contains(&expected), "{expected}\nmissing from:\n{err}");
        }
        for local in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://localhost:8080",
            "http://LOCALHOST",
            "http://[::1]:8080",
            "https://ado.contoso.local/tfs",
        ] {
            let keys =
                format!("url = \"{local}\"\nvssps_url = \"{local}\"\nadvsec_url = \"{local}\"");
            assert!(check(&connector_at(&keys), "").is_ok(), "{local}");
        }
        let err = check(&connector_at("url = \"ftp://ado.contoso.local\""), "").unwrap_err();
        assert!(err.contains("must be an https URL, not ftp"), "{err}");
        let with_secret = "url = \"https://me:pat-in-url@dev.azure.com\"";
        let err = check(&connector_at(with_secret), "").unwrap_err();
        assert!(
            err.contains("url must not hold a user name or password"),
            "{err}"
        );
        assert!(!err.contains("pat-in-url"), "{err}");
    }

    #[test]
    fn plain_http_entra_endpoints_must_be_loopback_or_imds() {
        let entra = |auth: &str| {
            check(
                &format!("url = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {auth}"),
                "",
            )
        };
        for (auth, key) in [
            (
                r#"{ kind = "service_principal", tenant_id = "t", client_id = "c", secret_env = "S", authority_url = "http://login.contoso.local" }"#,
                "authority_url",
            ),
            (
                r#"{ kind = "workload_identity", tenant_id = "t", client_id = "c", token_file = "/t", authority_url = "http://login.contoso.local" }"#,
                "authority_url",
            ),
            (
                r#"{ kind = "managed_identity", endpoint = "http://10.0.0.4/msi/token" }"#,
                "endpoint",
            ),
        ] {
            let err = entra(auth).unwrap_err();
            assert!(
                err.contains(&format!("auth: {key} = \"http://"))
                    && err.contains("would send the credential in clear text"),
                "{auth}: {err}"
            );
        }
        for auth in [
            r#"{ kind = "managed_identity" }"#,
            r#"{ kind = "managed_identity", endpoint = "http://169.254.169.254/metadata/identity/oauth2/token" }"#,
            r#"{ kind = "managed_identity", endpoint = "http://127.0.0.1:41741/msi/token" }"#,
            r#"{ kind = "service_principal", tenant_id = "t", client_id = "c", secret_env = "S", authority_url = "http://localhost:9000" }"#,
        ] {
            assert!(entra(auth).is_ok(), "{auth}: {:?}", entra(auth).err());
        }
        // The IMDS address is for managed identity only.
        let err = entra(r#"{ kind = "service_principal", tenant_id = "t", client_id = "c", secret_env = "S", authority_url = "http://169.254.169.254" }"#).unwrap_err();
        assert!(err.contains("authority_url"), "{err}");
    }

    #[test]
    fn plain_smtp_to_a_remote_host_names_smtp_url_and_clear_text() {
        let email = |url: &str, extra: &str| {
            format!("[email]\nsmtp_url = \"{url}\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n{extra}")
        };
        let connector = connector_at("url = \"https://dev.azure.com\"");
        let err = check(
            &connector,
            &email("smtp://mail.contoso.com:25?tls=none", ""),
        )
        .unwrap_err();
        assert!(
            err.contains(
                "[email] smtp_url = \"smtp://mail.contoso.com:25?tls=none\" would send the mail in clear text"
            ),
            "{err}"
        );
        let with_password = email(
            "smtp://mail.contoso.com?tls=none",
            "password_env = \"SMTP\"\n",
        );
        let err = check(&connector, &with_password).unwrap_err();
        assert!(
            err.contains("the mail and the SMTP password in clear text"),
            "{err}"
        );
        for local in [
            "smtp://localhost:2525?tls=none",
            "smtp://[::1]:2525?tls=none",
        ] {
            let cfg = check(&connector, &email(local, "")).unwrap();
            assert_eq!(cfg.email.unwrap().tls, SmtpTls::None, "{local}");
        }
        let err = check(&connector, &email("smtp://mail.contoso.com:0", "")).unwrap_err();
        assert!(err.contains("port 0"), "{err}");
    }

    #[test]
    fn every_number_outside_its_bounds_is_reported_with_its_bounds() {
        let connector = connector_at("url = \"https://dev.azure.com\"");
        let cases = [
            ("output", "retain_days", 1, 36_500),
            ("limits", "requests_per_second", 1, 10_000),
            ("limits", "burst", 1, 100_000),
            ("limits", "max_concurrency", 1, 1024),
            ("limits", "max_organizations", 1, 1024),
            ("limits", "max_attempts", 1, 20),
            ("limits", "backoff_base_ms", 0, 600_000),
        ];
        for (table, key, min, max) in cases {
            for value in [min, max] {
                let cfg = check(&connector, &format!("[{table}]\n{key} = {value}\n"));
                assert!(cfg.is_ok(), "{key} = {value}: {:?}", cfg.err());
            }
            for value in [min - 1, max + 1, i64::MAX, -999_999_999] {
                let err = check(&connector, &format!("[{table}]\n{key} = {value}\n")).unwrap_err();
                let expected =
                    format!("[{table}] {key} = {value} is out of range: use {min} to {max}");
                assert!(err.contains(&expected), "{expected}\nmissing from:\n{err}");
            }
        }
        let cfg = check(&connector, "[output]\nretain_days = 36500\n").unwrap();
        assert_eq!(cfg.retain_days, Some(36_500));
        let all_wrong =
            "[output]\nretain_days = 999999999\n[limits]\nburst = 0\nmax_attempts = 100\n";
        let err = check(&connector, all_wrong).unwrap_err();
        assert!(err.contains("3 problem(s)"), "{err}");
    }

    #[test]
    fn the_defaults_lie_within_the_bounds() {
        let cfg = check(&connector_at("url = \"https://dev.azure.com\""), "").unwrap();
        let default = Limits::default();
        assert_eq!(cfg.limits.requests_per_second, default.requests_per_second);
        assert_eq!(cfg.limits.max_organizations, default.max_organizations);
        assert_eq!(cfg.limits.backoff_base_ms, default.backoff_base_ms);
        assert_eq!(cfg.retain_days, None);
    }

    #[test]
    fn an_unknown_key_inside_auth_is_reported_with_the_other_problems() {
        let connector = r#"url = "http://ado.contoso.local"
organizations = ["my#org"]
auth = { kind = "pat", token_env = "X", tokne_file = "y" }"#;
        let err = check(connector, "[output]\nretain_days = 0\n").unwrap_err();
        for needle in [
            "unknown key `connector.0.auth.tokne_file` (connector 'c')",
            "url = \"http://ado.contoso.local\" would send the credential in clear text",
            "\"my#org\" is not an Azure DevOps Server collection name",
            "[output] retain_days = 0 is out of range",
        ] {
            assert!(err.contains(needle), "{needle} missing from:\n{err}");
        }
    }

    #[test]
    fn auth_keys_must_fit_the_kind() {
        let auth = |auth: &str| {
            check(
                &format!("url = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {auth}"),
                "",
            )
        };
        let err = auth(r#"{ kind = "pat", token_env = "P", endpoint = "https://x" }"#).unwrap_err();
        assert!(
            err.contains("connector 'c': auth: endpoint does not apply to kind = \"pat\" (its keys: token_env, token_file)"),
            "{err}"
        );
        let err = auth(r#"{ kind = "azure_cli", client_id = "c" }"#).unwrap_err();
        assert!(
            err.contains("client_id does not apply to kind = \"azure_cli\""),
            "{err}"
        );
        let err = auth(r#"{ kind = "service_principal", secret_env = "S" }"#).unwrap_err();
        for key in ["needs tenant_id", "needs client_id"] {
            assert!(err.contains(key), "{key}: {err}");
        }
        let err = auth(r#"{ kind = "pta", token_env = "P" }"#).unwrap_err();
        assert!(
            err.contains("kind = \"pta\" is not a kind of auth"),
            "{err}"
        );
        let err = auth(r#"{ token_env = "P" }"#).unwrap_err();
        assert!(err.contains("auth: kind is missing"), "{err}");
        let err = check(
            "url = \"https://dev.azure.com\"\norganizations = [\"o\"]",
            "",
        )
        .unwrap_err();
        assert!(err.contains("connector 'c': auth is missing"), "{err}");
        assert!(auth(r#"{ kind = "azure_cli" }"#).is_ok());
    }

    #[test]
    fn organization_names_follow_the_rules_of_their_deployment() {
        let with = |url: &str, name: &str| {
            let name = name.replace('\\', "\\\\").replace('"', "\\\"");
            check(
                &format!("url = \"{url}\"\norganizations = [\"{name}\"]\n{PAT}"),
                "",
            )
        };
        let services = "https://dev.azure.com";
        let longest = "a".repeat(50);
        for good in ["contoso", "Contoso-2", "7", longest.as_str()] {
            assert!(with(services, good).is_ok(), "{good}");
        }
        let too_long = "a".repeat(51);
        for bad in [
            "my org",
            "-contoso",
            "contoso-",
            "con_toso",
            "contosö",
            "a.b",
            too_long.as_str(),
        ] {
            let err = with(services, bad).unwrap_err();
            assert!(
                err.contains(&format!(
                    "\"{bad}\" is not an Azure DevOps Services organization name"
                )),
                "{bad}: {err}"
            );
        }
        let server = "https://ado.contoso.local/tfs";
        let longest = "c".repeat(64);
        for good in [
            "DefaultCollection",
            "Fabrikam Collection",
            "Team_Projects",
            "Ärger-2",
            longest.as_str(),
        ] {
            assert!(
                with(server, good).is_ok(),
                "{good}: {:?}",
                with(server, good).err()
            );
        }
        let too_long = "c".repeat(65);
        for (bad, why) in [
            ("a/b", "holds '/'"),
            ("a#b", "holds '#'"),
            ("a\\b", "holds '\\'"),
            ("a..b", "double period"),
            ("_x", "starts with _"),
            (".x", "starts with _ or ."),
            ("x.", "ends with ."),
            (" x", "starts or ends with a space"),
            ("com1", "reserved"),
            ("Web", "reserved"),
            (too_long.as_str(), "longer than 64"),
        ] {
            let err = with(server, bad).unwrap_err();
            assert!(
                err.contains("is not an Azure DevOps Server collection name") && err.contains(why),
                "{bad}: {err}"
            );
        }
    }
}
