//! A simulated Microsoft Entra token service: the client-credentials endpoint
//! (`POST /{tenant}/oauth2/v2.0/token`, with a client secret or a federated client assertion)
//! and the managed-identity endpoint (`GET /metadata/identity/oauth2/token`). Tokens it issues
//! are accepted as `Authorization: Bearer` by the simulated Azure DevOps until they expire.
//! [`AppServiceIdentity`] stands in for the local identity endpoint of App Service, Functions
//! and Container Apps, which hands out the same tokens.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The Azure DevOps resource (application id) Entra tokens must be issued for.
pub const ADO_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";
/// Azure Storage: the dataset's store, written with a connector's identity.
pub const STORAGE_RESOURCE: &str = "https://storage.azure.com";

/// A token for Azure Storage. Storage services read its claims, so it is JWT-shaped: audience
/// Azure Storage, issuer the tenant's, a lifetime (Azurite's `--oauth basic` checks these, not
/// the signature, which this one does not have).
fn storage_token(tenant: &str, client_id: &str, lifetime: Duration) -> String {
    use base64::Engine as _;
    let encode = |value: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string().as_bytes())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let claims = json!({
        "aud": STORAGE_RESOURCE,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now,
        "nbf": now.saturating_sub(60),
        "exp": now + lifetime.as_secs(),
        "tid": tenant,
        "appid": client_id,
        "oid": client_id,
    });
    format!(
        "{}.{}.{}",
        encode(&header),
        encode(&claims),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"simulated")
    )
}

/// Who may get a token, and for how long tokens live.
#[derive(Debug, Clone)]
pub struct EntraSettings {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The federated token (workload identity) the simulator trusts as a client assertion.
    pub federated_token: String,
    /// PKCS#1 DER of the RSA public key of the service principal's certificate, when one is
    /// registered: client assertions signed by its private key are accepted.
    pub client_public_key: Option<Vec<u8>>,
    pub token_lifetime: Duration,
}

impl Default for EntraSettings {
    fn default() -> Self {
        EntraSettings {
            tenant_id: "00000000-0000-0000-0000-00000000cafe".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            client_secret: "simulated-client-secret".into(),
            federated_token: "simulated-federated-token".into(),
            client_public_key: None,
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// Tokens issued so far (token → expiry), and how many.
#[derive(Debug, Default)]
pub struct Issued {
    tokens: Mutex<HashMap<String, Instant>>,
    count: AtomicU64,
}

impl Issued {
    fn issue(&self, lifetime: Duration) -> String {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("sim-entra-token-{n}-{}", fastrand::u64(..));
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), Instant::now() + lifetime);
        token
    }

    /// Whether `token` was issued here and has not expired.
    pub fn valid(&self, token: &str) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// `POST /{tenant}/oauth2/v2.0/token` with a form body: a token, or Entra's error shape.
pub fn client_credentials(
    settings: &EntraSettings,
    issued: &Issued,
    tenant: &str,
    body: &[u8],
) -> (u16, Value) {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let error = |code: &str, text: &str| {
        (
            400,
            json!({ "error": code, "error_description": text, "error_codes": [7000215] }),
        )
    };
    if tenant != settings.tenant_id {
        return error(
            "invalid_request",
            "AADSTS90002: Tenant not found (simulated).",
        );
    }
    if field("grant_type") != "client_credentials" {
        return error(
            "unsupported_grant_type",
            "AADSTS70003: grant_type must be client_credentials (simulated).",
        );
    }
    let for_storage = field("scope") == format!("{STORAGE_RESOURCE}/.default");
    if field("scope") != format!("{ADO_RESOURCE}/.default") && !for_storage {
        return error(
            "invalid_scope",
            "AADSTS70011: The scope is not valid (simulated).",
        );
    }
    if field("client_id") != settings.client_id {
        return error(
            "unauthorized_client",
            "AADSTS700016: Application not found in the directory (simulated).",
        );
    }
    let by_secret =
        !field("client_secret").is_empty() && field("client_secret") == settings.client_secret;
    let jwt_bearer =
        field("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let by_assertion = jwt_bearer
        && (field("client_assertion") == settings.federated_token
            || signed_by_certificate(settings, tenant, field("client_assertion")));
    if !(by_secret || by_assertion) {
        return (
            401,
            json!({ "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret or assertion provided (simulated)." }),
        );
    }
    let lifetime = settings.token_lifetime;
    let token = if for_storage {
        storage_token(tenant, &settings.client_id, lifetime)
    } else {
        issued.issue(lifetime)
    };
    (
        200,
        json!({
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
            "ext_expires_in": lifetime.as_secs(),
            "access_token": token
        }),
    )
}

/// `GET /metadata/identity/oauth2/token?resource=…` with `Metadata: true` (Azure IMDS shape:
/// numbers as strings).
pub fn managed_identity(
    settings: &EntraSettings,
    issued: &Issued,
    metadata_header: bool,
    resource: Option<&str>,
) -> (u16, Value) {
    if !metadata_header {
        return (
            400,
            json!({ "error": "invalid_request", "error_description": "Required metadata header not specified" }),
        );
    }
    if resource != Some(ADO_RESOURCE) {
        return (
            400,
            json!({ "error": "invalid_resource", "error_description": "AADSTS500011: The resource principal was not found (simulated)." }),
        );
    }
    let lifetime = settings.token_lifetime;
    (
        200,
        json!({
            "access_token": issued.issue(lifetime),
            "expires_in": lifetime.as_secs().to_string(),
            "resource": ADO_RESOURCE,
            "token_type": "Bearer"
        }),
    )
}

/// Whether a client assertion is a JWT signed (RS256) by the registered certificate's key, for
/// this client and this tenant's token endpoint, and not expired.
fn signed_by_certificate(settings: &EntraSettings, tenant: &str, assertion: &str) -> bool {
    use base64::Engine as _;
    let Some(public_key) = &settings.client_public_key else {
        return false;
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return false;
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Ok(signature) = b64.decode(signature) else {
        return false;
    };
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key,
    );
    if key
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .is_err()
    {
        return false;
    }
    let Some(claims) = b64
        .decode(claims)
        .ok()
        .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
    else {
        return false;
    };
    let now = chrono::Utc::now().timestamp();
    claims["iss"] == settings.client_id.as_str()
        && claims["sub"] == settings.client_id.as_str()
        && claims["exp"].as_i64().is_some_and(|exp| exp > now)
        && claims["aud"]
            .as_str()
            .is_some_and(|aud| aud.ends_with(&format!("/{tenant}/oauth2/v2.0/token")))
}

/// The App Service / Functions / Container Apps identity endpoint (`IDENTITY_ENDPOINT`,
/// `GET /msi/token`, api-version 2019-08-01): its own loopback listener, as on the platform,
/// where it runs beside the app. It checks the `X-IDENTITY-HEADER` secret (`IDENTITY_HEADER`),
/// gets the token from the simulator's managed-identity endpoint (as the platform gets it from
/// Entra) and answers in the platform's shape: `expires_on` as a string of Unix seconds, no
/// `expires_in`. Dropping it stops the listener.
pub struct AppServiceIdentity {
    addr: std::net::SocketAddr,
    state: std::sync::Arc<AppServiceState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

struct AppServiceState {
    identity_header: String,
    /// The simulator's `…/metadata/identity/oauth2/token`.
    upstream: url::Url,
    http: reqwest::Client,
    /// Requests answered with a token.
    served: AtomicU64,
}

/// The client id the endpoint reports for the system-assigned identity.
const APP_SERVICE_CLIENT_ID: &str = "99999999-8888-7777-6666-555555555555";

impl AppServiceIdentity {
    /// Listens on a free loopback port; `upstream` is the simulator's managed-identity URL.
    pub async fn start(upstream: url::Url, identity_header: String) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = std::sync::Arc::new(AppServiceState {
            identity_header,
            upstream,
            http: reqwest::Client::new(),
            served: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .route("/msi/token", axum::routing::get(app_service_token))
            .with_state(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("simulated App Service identity endpoint stopped: {e}");
            }
        });
        Ok(AppServiceIdentity {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// What the platform puts in `IDENTITY_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/msi/token", self.addr)
    }

    /// How many tokens it handed out.
    pub fn tokens_served(&self) -> u64 {
        self.state.served.load(Ordering::Relaxed)
    }
}

impl Drop for AppServiceIdentity {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn app_service_token(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<AppServiceState>>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let answer = |status: u16, json: Value| {
        axum::response::Response::builder()
            .status(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(axum::body::Body::from(json.to_string()))
            .unwrap_or_default()
    };
    let client_id = match app_service_request(
        &state.identity_header,
        headers.get("x-identity-header").map(|v| v.as_bytes()),
        uri.query().unwrap_or_default(),
    ) {
        Ok(client_id) => client_id,
        Err((status, json)) => return answer(status, json),
    };
    let mut upstream = state.upstream.clone();
    upstream
        .query_pairs_mut()
        .append_pair("api-version", "2018-02-01")
        .append_pair("resource", ADO_RESOURCE);
    let imds = async {
        let response = state
            .http
            .get(upstream)
            .header("Metadata", "true")
            .send()
            .await
            .ok()?;
        response.json::<Value>().await.ok()
    };
    let Some(token) = imds.await else {
        return answer(
            500,
            json!({ "statusCode": 500, "message": "The identity service did not answer (simulated)." }),
        );
    };
    let (Some(access_token), Some(lifetime)) = (
        token["access_token"].as_str(),
        token["expires_in"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok()),
    ) else {
        return answer(
            500,
            json!({ "statusCode": 500, "message": token.to_string() }),
        );
    };
    state.served.fetch_add(1, Ordering::Relaxed);
    answer(
        200,
        json!({
            "access_token": access_token,
            "expires_on": (chrono::Utc::now().timestamp() + lifetime).to_string(),
            "resource": ADO_RESOURCE,
            "token_type": "Bearer",
            "client_id": client_id,
        }),
    )
}

/// Checks a token request to the App Service endpoint: the header secret, api-version
/// 2019-08-01 and the Azure DevOps resource. The client id to report, or the refusal (a wrong
/// or missing header is 401, as on the platform).
fn app_service_request(
    identity_header: &str,
    header: Option<&[u8]>,
    query: &str,
) -> Result<String, (u16, Value)> {
    let refuse = |status: u16, message: &str| {
        Err((
            status,
            json!({ "statusCode": status, "message": format!("{message} (simulated)") }),
        ))
    };
    if header != Some(identity_header.as_bytes()) {
        return refuse(401, "The X-IDENTITY-HEADER header is missing or wrong.");
    }
    let query: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if query.get("api-version").map(String::as_str) != Some("2019-08-01") {
        return refuse(400, "api-version must be 2019-08-01.");
    }
    if query.get("resource").map(String::as_str) != Some(ADO_RESOURCE) {
        return refuse(400, "AADSTS500011: The resource principal was not found.");
    }
    Ok(query
        .get("client_id")
        .cloned()
        .unwrap_or_else(|| APP_SERVICE_CLIENT_ID.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_service_endpoint_wants_its_header_its_version_and_the_resource() {
        let good = format!("resource={ADO_RESOURCE}&api-version=2019-08-01");
        let secret = "header-secret";
        assert_eq!(
            app_service_request(secret, Some(b"header-secret"), &good),
            Ok(APP_SERVICE_CLIENT_ID.to_string())
        );
        assert_eq!(
            app_service_request(
                secret,
                Some(b"header-secret"),
                &format!("{good}&client_id=u")
            ),
            Ok("u".to_string())
        );
        for (header, query, status) in [
            (None, good.as_str(), 401),
            (Some(&b"header-secre"[..]), good.as_str(), 401),
            (
                Some(&b"header-secret"[..]),
                "resource=x&api-version=2019-08-01",
                400,
            ),
            (
                Some(&b"header-secret"[..]),
                &*format!("resource={ADO_RESOURCE}&api-version=2018-02-01"),
                400,
            ),
        ] {
            let refused = app_service_request(secret, header, query).unwrap_err();
            assert_eq!(refused.0, status, "{query}");
            assert!(!refused.1.to_string().contains(secret));
        }
    }
}
