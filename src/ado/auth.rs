//! Microsoft Entra tokens for Azure DevOps: service principal (client secret or certificate), workload identity
//! federation (a federated token file as client assertion), managed identity (IMDS) and the
//! Azure CLI. Tokens are cached and fetched again five minutes before they expire.
//!
//! Written over the crate's one HTTP client rather than with `azure_identity`: see
//! docs/decisions.md for why.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde::Deserialize;
use url::Url;

use super::error::sanitize_message;
use crate::config::{EntraCredential, Secret};

/// The Azure DevOps resource (application id) tokens are requested for.
pub const ADO_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";
/// A token is renewed when less than this is left of its life.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

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
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    fetched: std::sync::atomic::AtomicU64,
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
    /// Seconds; IMDS sends it as a string.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliToken {
    access_token: String,
    /// Unix seconds (newer CLI versions).
    #[serde(default)]
    expires_on: Option<i64>,
}

impl TokenSource {
    pub fn new(credential: EntraCredential, http: reqwest::Client) -> Self {
        TokenSource {
            credential,
            http,
            cached: tokio::sync::Mutex::new(None),
            fetched: std::sync::atomic::AtomicU64::new(0),
        }
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
            let (token, lifetime) = self.fetch().await?;
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

    fn error(&self, endpoint: &str, message: &str) -> TokenError {
        TokenError {
            credential: self.credential.kind(),
            endpoint: endpoint.to_string(),
            message: sanitize_message(message),
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
                    ("scope", &format!("{ADO_RESOURCE}/.default")),
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
                    ("scope", &format!("{ADO_RESOURCE}/.default")),
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
                    ("scope", &format!("{ADO_RESOURCE}/.default")),
                ];
                self.post_form(&token_url(authority, tenant_id), &form)
                    .await
            }
            EntraCredential::ManagedIdentity {
                endpoint,
                client_id,
            } => {
                let mut url = endpoint.clone();
                url.query_pairs_mut()
                    .append_pair("api-version", "2018-02-01")
                    .append_pair("resource", ADO_RESOURCE);
                if let Some(id) = client_id {
                    url.query_pairs_mut().append_pair("client_id", id);
                }
                let response = self
                    .http
                    .get(url.clone())
                    .header("Metadata", "true")
                    .send()
                    .await;
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
        let response = response
            .map_err(|e| self.error(endpoint, &format!("request failed: {}", e.without_url())))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            self.error(
                endpoint,
                &format!("reading the answer: {}", e.without_url()),
            )
        })?;
        if !status.is_success() {
            // Entra's error shape: {error, error_description} (AADSTS codes say why).
            let text = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("error_description")
                        .or_else(|| v.get("error"))
                        .and_then(|d| d.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(self.error(endpoint, &format!("HTTP {}: {text}", status.as_u16())));
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| self.error(endpoint, &format!("unexpected answer: {e}")))?;
        let seconds = match token.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(3600);
        Ok((
            Secret::new(token.access_token),
            Duration::from_secs(seconds),
        ))
    }

    /// `az account get-access-token`: the identity the Azure CLI is signed in with.
    async fn azure_cli(&self) -> Result<(Secret, Duration), TokenError> {
        let output = tokio::process::Command::new("az")
            .args([
                "account",
                "get-access-token",
                "--resource",
                ADO_RESOURCE,
                "--output",
                "json",
            ])
            .output()
            .await
            .map_err(|e| {
                self.error(
                    "az",
                    &format!("cannot run the Azure CLI (is `az` installed and on PATH?): {e}"),
                )
            })?;
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
        let token: CliToken = serde_json::from_slice(&output.stdout)
            .map_err(|e| self.error("az", &format!("unexpected output: {e}")))?;
        let now = chrono::Utc::now().timestamp();
        let seconds = token
            .expires_on
            .map(|t| (t - now).max(0) as u64)
            .unwrap_or(3600);
        Ok((
            Secret::new(token.access_token),
            Duration::from_secs(seconds),
        ))
    }
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

    #[test]
    fn token_url_is_tenant_scoped() {
        let authority = Url::parse("https://login.microsoftonline.com/").unwrap();
        assert_eq!(
            token_url(&authority, "contoso.onmicrosoft.com").as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }
}
