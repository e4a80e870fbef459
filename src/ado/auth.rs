//! Microsoft Entra tokens for Azure DevOps: service principal (client secret or certificate), workload identity
//! federation (a federated token file as client assertion), managed identity (IMDS on VMs and
//! AKS, the platform's local endpoint on App Service, Functions and Container Apps) and the
//! Azure CLI. Tokens are cached and fetched again five minutes before they expire.
//!
//! Written over the crate's one HTTP client rather than with `azure_identity`: see
//! docs/decisions.md for why.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::Deserialize;
use url::Url;

use super::error::sanitize_message;
use crate::config::{EntraCredential, ManagedIdentityProtocol, Secret};

/// The Azure DevOps resource (application id) tokens are requested for.
pub const ADO_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";
/// Azure Storage, for the dataset on Blob Storage / ADLS Gen2 with a connector's identity.
pub const STORAGE_RESOURCE: &str = "https://storage.azure.com";
/// A token is renewed when less than this is left of its life.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How long getting a token may take. Token services answer within a second or two; these
/// bound a hung one, since every request of the crawl waits for the token.
#[derive(Debug, Clone, Copy)]
struct TokenDeadlines {
    /// One HTTP request to a token endpoint, from connecting to the answer's last byte. Shorter
    /// than the shared client's 120 s, so that the three attempts of a fetch fit in `fetch`.
    request: Duration,
    /// `az account get-access-token`: killed, with what it started, when it runs longer.
    azure_cli: Duration,
    /// One fetch, retries included.
    fetch: Duration,
}

const TOKEN_DEADLINES: TokenDeadlines = TokenDeadlines {
    request: Duration::from_secs(30),
    azure_cli: Duration::from_secs(60),
    fetch: Duration::from_secs(100),
};

/// `30 s`, `0.5 s`: a deadline as error messages say it.
fn seconds(deadline: Duration) -> String {
    format!("{} s", deadline.as_secs_f64())
}

/// Why no token could be had. Never holds a secret: the token service's message is sanitized,
/// and requests carry secrets only in their bodies.
#[derive(Debug, thiserror::Error)]
#[error("Entra token ({credential}) from {endpoint}: {message}")]
pub struct TokenError {
    pub credential: &'static str,
    pub endpoint: String,
    pub message: String,
}

/// Hands out a valid `Authorization: Bearer` header, fetching a token when needed.
pub struct TokenSource {
    credential: EntraCredential,
    /// The resource tokens are for: Azure DevOps, or Azure Storage.
    resource: &'static str,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    fetched: std::sync::atomic::AtomicU64,
    deadlines: TokenDeadlines,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("credential", &self.credential.kind())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// Seconds of life; IMDS sends it as a string.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    /// Unix seconds; the App Service endpoint sends only this, as a string.
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
}

/// What `az account get-access-token --output json` prints. Both expiry fields are read raw so
/// that a malformed one is reported by name rather than as a JSON type error.
#[derive(Deserialize)]
struct CliToken {
    #[serde(rename = "accessToken")]
    access_token: String,
    /// Local date-time without a zone, e.g. `2026-11-26 14:03:12.000000`; every CLI version.
    #[serde(rename = "expiresOn", default)]
    expires_on_local: Option<serde_json::Value>,
    /// Unix seconds (an integer); CLI 2.54 and later only.
    #[serde(rename = "expires_on", default)]
    expires_on_unix: Option<serde_json::Value>,
}

/// Why the Azure CLI's answer could not be used. Holds no token: only the expiry fields' text.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum CliOutputError {
    #[error("the output is not the JSON of `az account get-access-token`: {0}")]
    NotJson(String),
    #[error("expires_on {0} is not Unix seconds")]
    BadUnixExpiry(String),
    #[error("expiresOn {0} is not a local date-time like \"2026-11-26 14:03:12.000000\"")]
    BadLocalExpiry(String),
    #[error("the output has neither expires_on nor expiresOn")]
    NoExpiry,
}

impl TokenSource {
    pub fn new(credential: EntraCredential, http: reqwest::Client) -> Self {
        Self::for_resource(credential, http, ADO_RESOURCE)
    }

    /// Tokens of `credential` for Azure Storage ([`STORAGE_RESOURCE`]), over a client of their
    /// own (the dataset's store is not an Azure DevOps host).
    pub fn for_storage(credential: EntraCredential) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ado-posture/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(120))
            .connect_timeout(std::time::Duration::from_secs(20))
            .build()?;
        Ok(Self::for_resource(credential, http, STORAGE_RESOURCE))
    }

    fn for_resource(
        credential: EntraCredential,
        http: reqwest::Client,
        resource: &'static str,
    ) -> Self {
        TokenSource {
            credential,
            resource,
            http,
            cached: tokio::sync::Mutex::new(None),
            fetched: std::sync::atomic::AtomicU64::new(0),
            deadlines: TOKEN_DEADLINES,
        }
    }

    #[cfg(test)]
    fn with_deadlines(mut self, deadlines: TokenDeadlines) -> Self {
        self.deadlines = deadlines;
        self
    }

    /// How many tokens were fetched so far (one per hour of crawling, not one per request).
    pub fn tokens_fetched(&self) -> u64 {
        self.fetched.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The header for the next request: the cached token, or a new one when it is about to
    /// expire. Concurrent callers wait for one fetch.
    pub async fn header(&self) -> Result<HeaderValue, TokenError> {
        let mut cached = self.cached.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|(_, expiry)| Instant::now() + REFRESH_MARGIN < *expiry);
        if !fresh {
            let (token, lifetime) = tokio::time::timeout(self.deadlines.fetch, self.fetch())
                .await
                .map_err(|_| {
                    self.error(
                        &self.endpoint(),
                        &format!("no token within {}", seconds(self.deadlines.fetch)),
                    )
                })??;
            self.fetched
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(
                credential = self.credential.kind(),
                lifetime_s = lifetime.as_secs(),
                "Entra token fetched"
            );
            *cached = Some((token, Instant::now() + lifetime));
        }
        let token = cached.as_ref().map(|(t, _)| t.expose()).unwrap_or_default();
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            self.error(
                "(token)",
                "the token service returned a token that is not header text",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Where tokens come from, for errors that are not about one request.
    fn endpoint(&self) -> String {
        match &self.credential {
            EntraCredential::ClientSecret {
                authority,
                tenant_id,
                ..
            }
            | EntraCredential::ClientCertificate {
                authority,
                tenant_id,
                ..
            }
            | EntraCredential::WorkloadIdentity {
                authority,
                tenant_id,
                ..
            } => token_url(authority, tenant_id).to_string(),
            EntraCredential::ManagedIdentity { endpoint, .. } => endpoint.to_string(),
            EntraCredential::AzureCli => "az".to_string(),
        }
    }

    fn error(&self, endpoint: &str, message: &str) -> TokenError {
        // The App Service header secret is never sent back, but a proxy could echo it.
        let message = match &self.credential {
            EntraCredential::ManagedIdentity {
                protocol: ManagedIdentityProtocol::AppService { identity_header },
                ..
            } if !identity_header.expose().is_empty() => {
                message.replace(identity_header.expose(), "***")
            }
            _ => message.to_string(),
        };
        TokenError {
            credential: self.credential.kind(),
            endpoint: endpoint.to_string(),
            message: sanitize_message(&message),
        }
    }

    async fn fetch(&self) -> Result<(Secret, Duration), TokenError> {
        match &self.credential {
            EntraCredential::ClientSecret {
                authority,
                tenant_id,
                client_id,
                secret,
            } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.expose()),
                    ("scope", &format!("{}/.default", self.resource)),
                ];
                self.post_form(&token_url(authority, tenant_id), &form)
                    .await
            }
            EntraCredential::ClientCertificate {
                authority,
                tenant_id,
                client_id,
                certificate,
            } => {
                let url = token_url(authority, tenant_id);
                let assertion = client_assertion(certificate, client_id, &url)
                    .map_err(|m| self.error(url.as_str(), &m))?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                    ("scope", &format!("{}/.default", self.resource)),
                ];
                self.post_form(&url, &form).await
            }
            EntraCredential::WorkloadIdentity {
                authority,
                tenant_id,
                client_id,
                token_file,
            } => {
                // Re-read each time: the platform rotates the federated token in place.
                let assertion = std::fs::read_to_string(token_file).map_err(|e| {
                    self.error(
                        &token_file.display().to_string(),
                        &format!("cannot read the federated token file: {e}"),
                    )
                })?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.trim()),
                    ("scope", &format!("{}/.default", self.resource)),
                ];
                self.post_form(&token_url(authority, tenant_id), &form)
                    .await
            }
            EntraCredential::ManagedIdentity {
                endpoint,
                client_id,
                protocol,
            } => {
                let mut url = endpoint.clone();
                let api_version = match protocol {
                    ManagedIdentityProtocol::Imds => "2018-02-01",
                    ManagedIdentityProtocol::AppService { .. } => "2019-08-01",
                };
                url.query_pairs_mut()
                    .append_pair("api-version", api_version)
                    .append_pair("resource", self.resource);
                if let Some(id) = client_id {
                    url.query_pairs_mut().append_pair("client_id", id);
                }
                let request = match protocol {
                    ManagedIdentityProtocol::Imds => self.http.get(url).header("Metadata", "true"),
                    ManagedIdentityProtocol::AppService { identity_header } => {
                        let mut value =
                            HeaderValue::from_str(identity_header.expose()).map_err(|_| {
                                self.error(
                                    endpoint.as_str(),
                                    "IDENTITY_HEADER is not valid header text",
                                )
                            })?;
                        value.set_sensitive(true);
                        self.http.get(url).header("X-IDENTITY-HEADER", value)
                    }
                };
                let response = request.timeout(self.deadlines.request).send().await;
                self.read_token(endpoint.as_str(), response).await
            }
            EntraCredential::AzureCli => self.azure_cli().await,
        }
    }

    async fn post_form(
        &self,
        url: &Url,
        form: &[(&str, &str)],
    ) -> Result<(Secret, Duration), TokenError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut last = None;
        // A token service hiccup (5xx, reset) is retried twice; a refusal is not.
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
            let response = self
                .http
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
                .timeout(self.deadlines.request)
                .send()
                .await;
            let transient = match &response {
                Err(_) => true,
                Ok(r) => r.status().is_server_error(),
            };
            let result = self.read_token(url.as_str(), response).await;
            if result.is_ok() || !transient {
                return result;
            }
            last = Some(result);
        }
        last.unwrap_or_else(|| Err(self.error(url.as_str(), "no attempt was made")))
    }

    async fn read_token(
        &self,
        endpoint: &str,
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<(Secret, Duration), TokenError> {
        let deadline = seconds(self.deadlines.request);
        let response = response.map_err(|e| {
            let message = if e.is_timeout() {
                format!("no answer within {deadline}")
            } else {
                format!("request failed: {}", e.without_url())
            };
            self.error(endpoint, &message)
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            let message = if e.is_timeout() {
                format!("the answer did not arrive within {deadline}")
            } else {
                format!("reading the answer: {}", e.without_url())
            };
            self.error(endpoint, &message)
        })?;
        if !status.is_success() {
            // Entra's error shape: {error, error_description} (AADSTS codes say why).
            let text = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("error_description")
                        .or_else(|| v.get("error"))
                        .or_else(|| v.get("message"))
                        .and_then(|d| d.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(self.error(endpoint, &format!("HTTP {}: {text}", status.as_u16())));
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| self.error(endpoint, &format!("unexpected answer: {e}")))?;
        let lifetime = token_lifetime(
            token.expires_in.as_ref(),
            token.expires_on.as_ref(),
            chrono::Utc::now(),
        )
        .map_err(|m| self.error(endpoint, &m))?;
        Ok((Secret::new(token.access_token), lifetime))
    }

    /// `az account get-access-token`: the identity the Azure CLI is signed in with.
    async fn azure_cli(&self) -> Result<(Secret, Duration), TokenError> {
        let output = run_azure_cli(
            std::ffi::OsStr::new("az"),
            self.resource,
            self.deadlines.azure_cli,
        )
        .await
        .map_err(|m| self.error("az", &m))?;
        if !output.status.success() {
            return Err(self.error(
                "az",
                &format!(
                    "`az account get-access-token` failed ({}); run `az login` first: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                ),
            ));
        }
        parse_cli_token(&output.stdout, &chrono::Local, chrono::Utc::now())
            .map_err(|e| self.error("az", &format!("unexpected output: {e}")))
    }
}

/// Runs `program` (the Azure CLI) as `az account get-access-token`. When it has not finished
/// within `deadline` it is killed together with what it started: `az` is a shell script that
/// runs Python, so on Unix it gets a process group of its own and the whole group is killed.
async fn run_azure_cli(
    program: &std::ffi::OsStr,
    resource: &str,
    deadline: Duration,
) -> Result<std::process::Output, String> {
    use tokio::io::AsyncReadExt;

    let mut command = tokio::process::Command::new(program);
    command
        .args([
            "account",
            "get-access-token",
            "--resource",
            resource,
            "--output",
            "json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run the Azure CLI (is `az` installed and on PATH?): {e}"))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let finished = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (status, _, _) = tokio::join!(
            child.wait(),
            async {
                if let Some(pipe) = stdout.as_mut() {
                    let _ = pipe.read_to_end(&mut out).await;
                }
            },
            async {
                if let Some(pipe) = stderr.as_mut() {
                    let _ = pipe.read_to_end(&mut err).await;
                }
            },
        );
        status.map(|status| std::process::Output {
            status,
            stdout: out,
            stderr: err,
        })
    };
    match tokio::time::timeout(deadline, finished).await {
        Ok(output) => output.map_err(|e| format!("waiting for the Azure CLI: {e}")),
        Err(_) => {
            #[cfg(unix)]
            if let Some(group) = child.id() {
                let _ = tokio::process::Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{group}")])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .await;
            }
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            Err(format!(
                "`az account get-access-token` did not finish within {} and was stopped; \
                 check that `az account get-access-token` answers promptly for this account",
                seconds(deadline)
            ))
        }
    }
}

/// A number of seconds sent as a JSON number or as a string of digits.
fn json_seconds(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// How long a token service's token lives: `expires_in` (Entra, IMDS), else `expires_on` (Unix
/// seconds: App Service), else an hour. A field that is present but not a number is an error,
/// so a malformed answer never makes a token look longer-lived than it is.
fn token_lifetime(
    expires_in: Option<&serde_json::Value>,
    expires_on: Option<&serde_json::Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Duration, String> {
    let seconds = match (expires_in, expires_on) {
        (Some(v), _) => json_seconds(v).ok_or(format!("expires_in {v} is not seconds"))?,
        (None, Some(v)) => json_seconds(v)
            .ok_or(format!("expires_on {v} is not Unix seconds"))?
            .saturating_sub(now.timestamp()),
        (None, None) => 3600,
    };
    Ok(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

/// The token and its remaining life from the Azure CLI's JSON. `expires_on` (Unix seconds) is
/// used when present; older CLIs print only `expiresOn`, a date-time in the machine's time zone
/// (`zone`: `Local` in production, fixed offsets in tests).
fn parse_cli_token<Tz: chrono::TimeZone>(
    stdout: &[u8],
    zone: &Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Secret, Duration), CliOutputError> {
    let token: CliToken =
        serde_json::from_slice(stdout).map_err(|e| CliOutputError::NotJson(e.to_string()))?;
    let expiry = match (&token.expires_on_unix, &token.expires_on_local) {
        (Some(unix), _) => json_seconds(unix)
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .ok_or_else(|| CliOutputError::BadUnixExpiry(unix.to_string()))?,
        (None, Some(local)) => local
            .as_str()
            .and_then(|text| local_expiry(text, zone))
            .ok_or_else(|| CliOutputError::BadLocalExpiry(local.to_string()))?,
        (None, None) => return Err(CliOutputError::NoExpiry),
    };
    let seconds = (expiry - now).num_seconds();
    Ok((
        Secret::new(token.access_token),
        Duration::from_secs(u64::try_from(seconds).unwrap_or(0)),
    ))
}

/// `2026-11-26 14:03:12.000000` in `zone`. A time repeated when clocks go back is taken at its
/// earlier instant; a time skipped when they go forward one hour earlier: never later than meant.
fn local_expiry<Tz: chrono::TimeZone>(
    text: &str,
    zone: &Tz,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            let earlier = naive.checked_sub_signed(chrono::TimeDelta::hours(1))?;
            zone.from_local_datetime(&earlier).earliest()
        })
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The JWT a certificate credential presents: RS256, `x5t` = the certificate's thumbprint,
/// audience = the token endpoint, valid for ten minutes.
fn client_assertion(
    certificate: &crate::config::ClientCertificate,
    client_id: &str,
    token_url: &Url,
) -> Result<String, String> {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = chrono::Utc::now().timestamp();
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "x5t": certificate.thumbprint });
    let claims = serde_json::json!({
        "aud": token_url.as_str(),
        "iss": client_id,
        "sub": client_id,
        "jti": format!("{:032x}", fastrand::u128(..)),
        "nbf": now - 60,
        "iat": now,
        "exp": now + 600,
    });
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let key = &certificate.key;
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing the client assertion failed".to_string())?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

fn token_url(authority: &Url, tenant_id: &str) -> Url {
    let mut url = authority.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend([tenant_id, "oauth2", "v2.0", "token"]);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token service on loopback that accepts connections and never answers.
    fn silent_token_service() -> Url {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        std::thread::spawn(move || {
            let mut open = Vec::new();
            for stream in listener.incoming().flatten() {
                open.push(stream);
            }
        });
        url
    }

    fn deadlines(request_ms: u64, fetch_ms: u64, azure_cli_ms: u64) -> TokenDeadlines {
        TokenDeadlines {
            request: Duration::from_millis(request_ms),
            fetch: Duration::from_millis(fetch_ms),
            azure_cli: Duration::from_millis(azure_cli_ms),
        }
    }

    #[tokio::test]
    async fn each_token_request_has_a_deadline_and_the_retries_stop() {
        let source = TokenSource::new(
            EntraCredential::ClientSecret {
                authority: silent_token_service(),
                tenant_id: "contoso".into(),
                client_id: "app".into(),
                secret: Secret::new("client-secret-value"),
            },
            reqwest::Client::new(),
        )
        .with_deadlines(deadlines(200, 20_000, 20_000));
        let started = Instant::now();
        let message = source.header().await.unwrap_err().to_string();
        // Three attempts of 0.2 s, 0.5 s and 1 s apart.
        assert!(started.elapsed() < Duration::from_secs(10), "{message}");
        assert!(message.contains("no answer within 0.2 s"), "{message}");
        assert!(!message.contains("client-secret-value"), "{message}");
    }

    #[tokio::test]
    async fn a_token_fetch_has_an_overall_deadline() {
        let endpoint = silent_token_service();
        let source = TokenSource::new(
            EntraCredential::ManagedIdentity {
                endpoint: endpoint.clone(),
                client_id: None,
                protocol: ManagedIdentityProtocol::Imds,
            },
            reqwest::Client::new(),
        )
        .with_deadlines(deadlines(20_000, 300, 20_000));
        let started = Instant::now();
        let err = source.header().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
        assert_eq!(err.endpoint, endpoint.as_str());
        assert!(err.message.contains("no token within 0.3 s"), "{err}");
    }

    /// An executable `az` in `dir` running `script` (sh).
    #[cfg(unix)]
    fn fake_az(dir: &std::path::Path, script: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("az");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_azure_cli_is_read_when_it_answers_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let az = fake_az(
            dir.path(),
            r#"echo '{"accessToken": "eyJ0-cli", "expires_on": 1795701792}'"#,
        );
        let output = run_azure_cli(az.as_os_str(), ADO_RESOURCE, Duration::from_secs(20))
            .await
            .unwrap();
        assert!(output.status.success());
        let (token, _) = parse_cli_token(&output.stdout, &Utc, now()).unwrap();
        assert_eq!(token.expose(), "eyJ0-cli");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_hanging_azure_cli_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("sleeper.pid");
        // Like the real `az`: a script that starts another program and waits for it.
        let az = fake_az(
            dir.path(),
            &format!("sleep 60 &\necho $! > '{}'\nwait", pid_file.display()),
        );
        let started = Instant::now();
        let message = run_azure_cli(az.as_os_str(), ADO_RESOURCE, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{message}");
        assert!(
            message.contains("did not finish within 1 s and was stopped"),
            "{message}"
        );
        let sleeper = std::fs::read_to_string(&pid_file).unwrap();
        let stat = format!("/proc/{}/stat", sleeper.trim());
        // Gone, or a zombie waiting for whoever adopted it.
        let dead = || {
            std::fs::read_to_string(&stat)
                .map(|s| {
                    s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(true)
        };
        let waited = Instant::now();
        while !dead() && waited.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(dead(), "the program az started is still running");
    }

    #[test]
    fn token_url_is_tenant_scoped() {
        let authority = Url::parse("https://login.microsoftonline.com/").unwrap();
        assert_eq!(
            token_url(&authority, "contoso.onmicrosoft.com").as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }

    use chrono::{FixedOffset, TimeZone, Utc};

    /// 2026-11-26 14:03:12 UTC, as the CLI's `expires_on`.
    const EXPIRY_UNIX: i64 = 1_795_701_792;

    fn now() -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(EXPIRY_UNIX - 3600, 0).unwrap()
    }

    fn parse_in(json: &str, hours_east: i32) -> Result<(Secret, Duration), CliOutputError> {
        let zone = FixedOffset::east_opt(hours_east * 3600).unwrap();
        parse_cli_token(json.as_bytes(), &zone, now())
    }

    #[test]
    fn cli_token_with_both_expiries_uses_the_unix_seconds() {
        // A wrong local string proves which field was read.
        let json = r#"{"accessToken": "eyJ0-cli", "expiresOn": "2000-01-01 00:00:00.000000", "expires_on": 1795701792, "subscription": "s", "tenant": "t", "tokenType": "Bearer"}"#;
        let (token, lifetime) = parse_in(json, 0).unwrap();
        assert_eq!(token.expose(), "eyJ0-cli");
        assert_eq!(lifetime, Duration::from_secs(3600));
    }

    #[test]
    fn cli_token_from_an_old_cli_reads_expires_on_in_the_local_zone() {
        // 14:03:12 UTC is 04:03:12 at UTC-10 and 04:03:12 the next day at UTC+14.
        for (hours_east, local) in [
            (0, "2026-11-26 14:03:12.000000"),
            (-10, "2026-11-26 04:03:12.000000"),
            (14, "2026-11-27 04:03:12.000000"),
            (5, "2026-11-26T19:03:12"),
        ] {
            let json = format!(
                r#"{{"accessToken": "eyJ0-old", "expiresOn": "{local}", "tokenType": "Bearer"}}"#
            );
            let (token, lifetime) = parse_in(&json, hours_east).unwrap();
            assert_eq!(token.expose(), "eyJ0-old");
            assert_eq!(
                lifetime,
                Duration::from_secs(3600),
                "UTC{hours_east:+}: {local}"
            );
        }
    }

    #[test]
    fn cli_token_already_expired_has_no_life_left() {
        let json = r#"{"accessToken": "a", "expires_on": 1795690000}"#;
        assert_eq!(parse_in(json, 0).unwrap().1, Duration::ZERO);
    }

    #[test]
    fn cli_token_with_a_malformed_expiry_is_a_typed_error() {
        for (json, expected) in [
            (
                r#"{"accessToken": "a", "expiresOn": "tomorrow-ish"}"#,
                CliOutputError::BadLocalExpiry(r#""tomorrow-ish""#.into()),
            ),
            (
                r#"{"accessToken": "a", "expiresOn": 12}"#,
                CliOutputError::BadLocalExpiry("12".into()),
            ),
            (
                r#"{"accessToken": "a", "expiresOn": "2026-11-26 14:03:12.000000", "expires_on": "soon"}"#,
                CliOutputError::BadUnixExpiry(r#""soon""#.into()),
            ),
            (
                r#"{"accessToken": "a", "expires_on": 1e300}"#,
                CliOutputError::BadUnixExpiry("1e+300".into()),
            ),
            (r#"{"accessToken": "a"}"#, CliOutputError::NoExpiry),
        ] {
            assert_eq!(parse_in(json, 0).err(), Some(expected), "{json}");
        }
        assert!(matches!(
            parse_in("Please run 'az login'", 0),
            Err(CliOutputError::NotJson(_))
        ));
    }

    #[test]
    fn cli_errors_never_hold_the_token() {
        let json = r#"{"accessToken": "eyJ0-secret-token", "expiresOn": "bad"}"#;
        let message = parse_in(json, 0).unwrap_err().to_string();
        assert!(!message.contains("eyJ0-secret-token"), "{message}");
    }

    /// Central European time in 2026: UTC+1, UTC+2 from 29 March 01:00 UTC to 25 October
    /// 01:00 UTC (chrono-tz is not a dependency of this crate).
    #[derive(Clone, Copy)]
    struct Cet2026;

    impl Cet2026 {
        fn utc_offset(utc: &chrono::NaiveDateTime) -> FixedOffset {
            let summer = Utc
                .with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
                .unwrap()
                .naive_utc()
                ..Utc
                    .with_ymd_and_hms(2026, 10, 25, 1, 0, 0)
                    .unwrap()
                    .naive_utc();
            FixedOffset::east_opt(if summer.contains(utc) { 7200 } else { 3600 }).unwrap()
        }
    }

    impl TimeZone for Cet2026 {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            Cet2026
        }
        fn offset_from_local_date(
            &self,
            local: &chrono::NaiveDate,
        ) -> chrono::MappedLocalTime<FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(chrono::NaiveTime::MIN))
        }
        fn offset_from_local_datetime(
            &self,
            local: &chrono::NaiveDateTime,
        ) -> chrono::MappedLocalTime<FixedOffset> {
            // Each offset that maps this wall-clock time back onto itself.
            let fits: Vec<FixedOffset> = [3600, 7200]
                .into_iter()
                .map(|s| FixedOffset::east_opt(s).unwrap())
                .filter(|o| Self::utc_offset(&(*local - *o)) == *o)
                .collect();
            match fits.as_slice() {
                [one] => chrono::MappedLocalTime::Single(*one),
                [a, b] => chrono::MappedLocalTime::Ambiguous(*b, *a),
                _ => chrono::MappedLocalTime::None,
            }
        }
        fn offset_from_utc_date(&self, utc: &chrono::NaiveDate) -> FixedOffset {
            Self::utc_offset(&utc.and_time(chrono::NaiveTime::MIN))
        }
        fn offset_from_utc_datetime(&self, utc: &chrono::NaiveDateTime) -> FixedOffset {
            Self::utc_offset(utc)
        }
    }

    #[test]
    fn a_local_time_around_a_clock_change_is_never_read_later_than_meant() {
        let utc = |d: u32, h, m| {
            Utc.with_ymd_and_hms(2026, d / 100, d % 100, h, m, 0)
                .unwrap()
        };
        // An ordinary summer time.
        assert_eq!(
            local_expiry("2026-07-01 12:00:00.000000", &Cet2026),
            Some(utc(701, 10, 0))
        );
        // Skipped (clocks go 02:00 → 03:00 on 29 March): read one hour earlier.
        assert_eq!(
            local_expiry("2026-03-29 02:30:00.000000", &Cet2026),
            Some(utc(329, 0, 30))
        );
        // Repeated (03:00 → 02:00 on 25 October): the earlier instant.
        assert_eq!(
            local_expiry("2026-10-25 02:30:00", &Cet2026),
            Some(utc(1025, 0, 30))
        );
    }

    #[test]
    fn token_lifetime_reads_expires_in_then_expires_on() {
        let now = now();
        let v = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap();
        // Entra: a number; IMDS: a string.
        assert_eq!(
            token_lifetime(Some(&v("3599")), None, now),
            Ok(Duration::from_secs(3599))
        );
        assert_eq!(
            token_lifetime(Some(&v(r#""86399""#)), Some(&v(r#""1""#)), now),
            Ok(Duration::from_secs(86399))
        );
        // App Service: only expires_on, Unix seconds as a string.
        assert_eq!(
            token_lifetime(None, Some(&v(r#""1795701792""#)), now),
            Ok(Duration::from_secs(3600))
        );
        assert_eq!(
            token_lifetime(None, None, now),
            Ok(Duration::from_secs(3600))
        );
        assert!(token_lifetime(None, Some(&v(r#""later""#)), now).is_err());
        assert!(token_lifetime(Some(&v("null")), None, now).is_err());
        assert_eq!(
            token_lifetime(None, Some(&v("-9223372036854775808")), now),
            Ok(Duration::ZERO)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Whatever the Azure CLI prints (any expiry text, any bytes): a token or a typed
        /// error, never a panic.
        #[test]
        fn any_cli_output_is_a_token_or_an_error(
            expires_on in "\\PC{0,40}",
            unix in proptest::prelude::any::<i64>(),
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let zone = FixedOffset::east_opt(14 * 3600).unwrap();
            let local = serde_json::json!({ "accessToken": "t", "expiresOn": expires_on });
            let _ = parse_cli_token(local.to_string().as_bytes(), &zone, now());
            let both = serde_json::json!({ "accessToken": "t", "expiresOn": expires_on, "expires_on": unix });
            let _ = parse_cli_token(both.to_string().as_bytes(), &zone, now());
            let _ = parse_cli_token(&bytes, &zone, now());
            let _ = local_expiry(&format!("-262143-01-01 00:00:0{}", unix.rem_euclid(10)), &zone);
        }

        /// Token service answers with any expiry value: a lifetime or an error, never a panic.
        #[test]
        fn any_token_lifetime_is_a_duration_or_an_error(seconds in proptest::prelude::any::<i64>(), text in "\\PC{0,20}") {
            let number = serde_json::json!(seconds);
            let string = serde_json::json!(text);
            let _ = token_lifetime(Some(&number), None, now());
            let _ = token_lifetime(None, Some(&number), now());
            let _ = token_lifetime(Some(&string), Some(&string), now());
        }
    }
}
