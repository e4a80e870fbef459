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
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config: {0}")]
    Invalid(String),
    #[error(
        "{connector}: the secret is read from environment variable {var}, which is not set or empty"
    )]
    MissingSecretEnv { connector: String, var: String },
    #[error("{connector}: cannot read secret file {path}: {source}")]
    SecretFile {
        connector: String,
        path: PathBuf,
        source: std::io::Error,
    },
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
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default, rename = "connector")]
    pub connectors: Vec<ConnectorConfig>,
    /// Where the summary e-mail goes; no e-mail when absent.
    pub email: Option<EmailConfig>,
    /// Parsed so that a config written for the full product loads; applied by the rules issue.
    #[serde(default, rename = "exemption")]
    pub exemptions: Vec<toml::Table>,
}

/// `[email]`: the summary sent after each run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Where the dataset and reports go; `--out` wins over it.
    pub dir: Option<PathBuf>,
    pub retain_days: Option<u32>,
}

/// Rate limits per identity per organization, like Azure DevOps' own accounting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub requests_per_second: u32,
    pub burst: u32,
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_second: 10,
            burst: 20,
            max_concurrency: 8,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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
    ServicePrincipal {
        tenant_id: String,
        client_id: String,
        secret_env: Option<String>,
        certificate_file: Option<PathBuf>,
    },
    ManagedIdentity {
        client_id: Option<String>,
    },
    WorkloadIdentity {},
    AzureCli {},
}

/// The config after validation, with secrets loaded.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub output_dir: Option<PathBuf>,
    pub limits: Limits,
    pub connectors: Vec<Connector>,
    pub email: Option<EmailSettings>,
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
}

impl Credential {
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Pat(_) => "pat",
        }
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

/// Reads, parses, validates and resolves a config file.
pub fn load(path: &Path) -> Result<ResolvedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    resolve(file, |var| std::env::var(var).ok())
}

/// Validates a parsed config and loads its secrets; `env` looks up environment variables.
pub fn resolve(
    file: ConfigFile,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ResolvedConfig, ConfigError> {
    if file.connectors.is_empty() {
        return Err(ConfigError::Invalid(
            "no [[connector]] is configured: add one with name, url, organizations and auth".into(),
        ));
    }
    let limits = file.limits;
    if limits.requests_per_second == 0 || limits.burst == 0 || limits.max_concurrency == 0 {
        return Err(ConfigError::Invalid(
            "[limits] requests_per_second, burst and max_concurrency must all be at least 1".into(),
        ));
    }
    let mut names = HashSet::new();
    let mut connectors = Vec::new();
    for c in file.connectors {
        if c.name.trim().is_empty() {
            return Err(ConfigError::Invalid("a connector has an empty name".into()));
        }
        if !names.insert(c.name.clone()) {
            return Err(ConfigError::Invalid(format!(
                "two connectors are named '{}': names must be unique",
                c.name
            )));
        }
        connectors.push(resolve_connector(c, &env)?);
    }
    let email = file.email.map(|e| resolve_email(e, &env)).transpose()?;
    Ok(ResolvedConfig {
        output_dir: file.output.dir,
        limits,
        connectors,
        email,
    })
}

fn resolve_email(
    e: EmailConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<EmailSettings, ConfigError> {
    let invalid = |m: String| ConfigError::Invalid(format!("[email] {m}"));
    let url = Url::parse(&e.smtp_url)
        .map_err(|err| invalid(format!("smtp_url = \"{}\" is not a URL: {err}", e.smtp_url)))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid(format!("smtp_url = \"{}\" has no host", e.smtp_url)))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "smtp_url must not hold credentials: use username and password_env (or password_file)"
                .into(),
        ));
    }
    let no_tls = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
    let tls = match (url.scheme(), no_tls) {
        ("smtps", false) => SmtpTls::Implicit,
        ("smtp", false) => SmtpTls::StartTls,
        ("smtp", true) => SmtpTls::None,
        ("smtps", true) => {
            return Err(invalid(
                "smtps:// and tls=none contradict each other".into(),
            ));
        }
        (scheme, _) => {
            return Err(invalid(format!(
                "smtp_url scheme must be smtp (STARTTLS) or smtps (implicit TLS), not {scheme}"
            )));
        }
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if tls == SmtpTls::None && !loopback {
        return Err(invalid(format!(
            "tls=none sends mail unencrypted and is allowed only to a loopback relay, not {host}"
        )));
    }
    let port = url.port().unwrap_or(match tls {
        SmtpTls::Implicit => 465,
        SmtpTls::StartTls => 587,
        SmtpTls::None => 25,
    });
    if e.to.is_empty() {
        return Err(invalid("to is empty: list at least one recipient".into()));
    }
    for address in std::iter::once(&e.from).chain(&e.to).chain(&e.cc) {
        if address.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(format!("'{address}' is not an e-mail address")));
        }
    }
    let password = match (e.password_env, e.password_file) {
        (None, None) => None,
        (env_var, file) => Some(read_secret("email", env_var, file, env)?),
    };
    let credentials = password.map(|p| (e.username.unwrap_or_else(|| e.from.clone()), p));
    Ok(EmailSettings {
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

fn parse_base_url(connector: &str, key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim_end_matches('/')).map_err(|e| {
        ConfigError::Invalid(format!(
            "connector '{connector}': {key} = \"{value}\" is not a URL: {e}"
        ))
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(ConfigError::Invalid(format!(
            "connector '{connector}': {key} must be an http(s) URL, not {}",
            url.scheme()
        )));
    }
    Ok(url)
}

fn resolve_connector(
    c: ConnectorConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Connector, ConfigError> {
    let url = parse_base_url(&c.name, "url", &c.url)?;
    let is_cloud = url.host_str() == Some("dev.azure.com");
    // Server collections live under a path (https://host/tfs); the cloud and simulators at a host root.
    let deployment = if !is_cloud && url.path() != "/" && !url.path().is_empty() {
        Deployment::Server
    } else {
        Deployment::Services
    };
    let vssps_url = match &c.vssps_url {
        Some(v) => Some(parse_base_url(&c.name, "vssps_url", v)?),
        None if is_cloud => Url::parse("https://app.vssps.visualstudio.com").ok(),
        None => None,
    };
    let advsec_url = match &c.advsec_url {
        Some(v) => Some(parse_base_url(&c.name, "advsec_url", v)?),
        None if is_cloud => Url::parse("https://advsec.dev.azure.com").ok(),
        None => None,
    };
    let organizations = if c.organizations.iter().any(|o| o == "*") {
        if vssps_url.is_none() {
            return Err(ConfigError::Invalid(format!(
                "connector '{}': organizations = [\"*\"] needs account discovery, which {} does not offer; \
                 list the organizations (collections) by name, or set vssps_url",
                c.name, c.url
            )));
        }
        None
    } else if c.organizations.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "connector '{}': organizations is empty; use [\"*\"] for all or list names",
            c.name
        )));
    } else {
        Some(c.organizations)
    };
    let credential = match c.auth {
        AuthConfig::Pat {
            token_env,
            token_file,
        } => Credential::Pat(read_secret(
            &format!("connector '{}'", c.name),
            token_env,
            token_file,
            env,
        )?),
        AuthConfig::ServicePrincipal { .. }
        | AuthConfig::ManagedIdentity { .. }
        | AuthConfig::WorkloadIdentity {}
        | AuthConfig::AzureCli {} => {
            return Err(ConfigError::Invalid(format!(
                "connector '{}': only auth kind \"pat\" is supported in this version; \
                 Entra identities arrive with the crawler's auth work",
                c.name
            )));
        }
    };
    Ok(Connector {
        name: c.name,
        url,
        vssps_url,
        advsec_url,
        deployment,
        organizations,
        include_projects: c.include_projects,
        exclude_projects: c.exclude_projects,
        credential,
    })
}

/// Reads a secret from an environment variable or a file; `owner` names its config entry in errors.
fn read_secret(
    connector: &str,
    env_var: Option<String>,
    file: Option<PathBuf>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    match (env_var, file) {
        (Some(var), None) => match env(&var) {
            Some(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(ConfigError::MissingSecretEnv {
                connector: connector.to_string(),
                var,
            }),
        },
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
                    connector: connector.to_string(),
                    path: path.clone(),
                    source,
                })?;
            if text.trim().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "{connector}: secret file {} is empty",
                    path.display()
                )));
            }
            Ok(Secret::new(text.trim()))
        }
        (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
            "{connector}: set the secret's environment variable or its file, not both"
        ))),
        (None, None) => Err(ConfigError::Invalid(format!(
            "{connector}: auth needs token_env (an environment variable name) or token_file"
        ))),
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
    fn unknown_keys_are_rejected() {
        let text = "[limits]\nrequests_per_secnd = 3\n";
        assert!(toml::from_str::<ConfigFile>(text).is_err());
    }
}
