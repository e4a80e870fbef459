//! The one HTTP client every request goes through: authentication, the rate limiter keyed by
//! (identity, organization), a concurrency bound, error mapping and continuation-token paging.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::error::{AdoError, error_message, sanitize_message, strip_bom};
use super::models::Envelope;
use super::pace::{Pace, RetryPolicy};
use super::stats::{ApiStats, Attempt};
use super::versions::{self, ApiVersion, ResourceLocation};
use crate::config::{Credential, Limits};

/// The header that makes a rejected credential answer 401 instead of a 203 sign-in page.
const FED_AUTH_REDIRECT: &str = "X-TFS-FedAuthRedirect";
/// Where list endpoints of style A put the next page's token.
const CONTINUATION_HEADER: &str = "x-ms-continuationtoken";

/// Rate-limiter key: the consumption limit is counted per identity, and we spread per organization.
type LimiterKey = (String, String);

/// One page's items and the next page's continuation token, if any.
type PageParts<T> = Result<(Vec<T>, Option<String>), AdoError>;

/// A paged list being read: [`next`](Pages::next) asks for the next page. A token seen twice
/// stops the list with an error rather than looping.
pub struct Pages<'a, P> {
    client: &'a AdoClient,
    organization: &'a str,
    endpoint: &'a str,
    url: Url,
    page: P,
    next: Option<String>,
    seen_tokens: HashSet<String>,
    done: bool,
    /// Pages read so far.
    pub read: usize,
}

impl<'a, T, P: Fn(&Url, &[u8], &HeaderMap) -> PageParts<T>> Pages<'a, P> {
    fn new(
        client: &'a AdoClient,
        organization: &'a str,
        endpoint: &'a str,
        url: Url,
        page: P,
    ) -> Self {
        Pages {
            client,
            organization,
            endpoint,
            url,
            page,
            next: None,
            seen_tokens: HashSet::new(),
            done: false,
            read: 0,
        }
    }

    /// The next page's items, or `None` after the last page.
    pub async fn next(&mut self) -> Result<Option<Vec<T>>, AdoError> {
        if self.done {
            return Ok(None);
        }
        let mut page_url = self.url.clone();
        if let Some(token) = &self.next {
            page_url
                .query_pairs_mut()
                .append_pair("continuationToken", token);
        }
        let page = &self.page;
        let (values, token) = self
            .client
            .fetch(
                self.organization,
                self.endpoint,
                &page_url,
                Verb::Get,
                |body, headers| page(&page_url, body, headers),
            )
            .await?;
        self.read = self.read.saturating_add(1);
        match token {
            None => self.done = true,
            Some(token) => {
                if !self.seen_tokens.insert(token.clone()) {
                    self.done = true;
                    return Err(AdoError::RepeatedContinuationToken {
                        organization: self.organization.to_string(),
                        url: self.url.to_string(),
                        token: sanitize_message(&token),
                    });
                }
                self.next = Some(token);
            }
        }
        Ok(Some(values))
    }
}

/// A list read to its end across pages.
#[derive(Debug)]
pub struct PagedList<T> {
    pub items: Vec<T>,
    pub pages: usize,
}

/// An authenticated, rate-limited Azure DevOps client for one connector's identity.
#[derive(Clone)]
pub struct AdoClient {
    http: reqwest::Client,
    /// Names the identity in limiter keys and logs; never the secret.
    identity: String,
    authorization: Authorization,
    limiter: Arc<DefaultKeyedRateLimiter<LimiterKey>>,
    concurrency: Arc<Semaphore>,
    pace: Arc<Pace>,
    retry: RetryPolicy,
    /// What the server said about its REST API versions (Azure DevOps Server).
    versions: Arc<std::sync::Mutex<ServerVersions>>,
    /// The server's resource locations (each route's versions), read once per client.
    locations: Arc<tokio::sync::OnceCell<Vec<ResourceLocation>>>,
    /// Organizations where the credential has been accepted: a 401 there afterwards is one
    /// route's missing scope, not a rejected credential.
    accepted: Arc<std::sync::Mutex<HashSet<String>>>,
    stats: Arc<ApiStats>,
}

/// What an older server told us about versions, when it had no resource locations to give.
#[derive(Debug, Default)]
struct ServerVersions {
    /// The newest version it named in a VssVersionOutOfRangeException.
    latest: Option<ApiVersion>,
    /// Endpoints (statistics names) it said are preview at that version.
    preview_endpoints: HashSet<String>,
}

/// The request to send: its HTTP method and body.
#[derive(Clone, Copy)]
enum Verb<'a> {
    Get,
    /// A read-only query with a JSON body.
    Post(&'a [u8]),
    /// `OPTIONS /_apis`: the server's resource locations.
    Options,
}

/// How requests are authenticated: a fixed header (PAT), or Entra tokens fetched and renewed.
#[derive(Clone)]
enum Authorization {
    Fixed(HeaderValue),
    Entra(Arc<super::auth::TokenSource>),
}

impl std::fmt::Debug for AdoClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdoClient")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl AdoClient {
    /// Builds a client for `identity` (a label such as the connector name) with its credential.
    pub fn new(
        identity: &str,
        credential: &Credential,
        limits: &Limits,
        stats: Arc<ApiStats>,
    ) -> Result<Self, reqwest::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(FED_AUTH_REDIRECT, HeaderValue::from_static("Suppress"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(concat!("ado-posture/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(std::time::Duration::from_secs(120))
            .connect_timeout(std::time::Duration::from_secs(20))
            .build()?;
        let authorization = match credential {
            Credential::Pat(pat) => {
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!(":{}", pat.expose()));
                let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
                    .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
                value.set_sensitive(true);
                Authorization::Fixed(value)
            }
            Credential::Entra(entra) => Authorization::Entra(Arc::new(
                super::auth::TokenSource::new(entra.clone(), http.clone()),
            )),
        };
        let rate = NonZeroU32::new(limits.requests_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN);
        Ok(AdoClient {
            http,
            identity: identity.to_string(),
            authorization,
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            )),
            concurrency: Arc::new(Semaphore::new(limits.max_concurrency.max(1))),
            pace: Arc::new(Pace::default()),
            versions: Arc::default(),
            locations: Arc::default(),
            accepted: Arc::default(),
            retry: RetryPolicy {
                max_attempts: limits.max_attempts.max(1),
                base: std::time::Duration::from_millis(limits.backoff_base_ms),
                cap: std::time::Duration::from_secs(60),
            },
            stats,
        })
    }

    /// GETs one JSON object. `organization` keys the rate limiter and names errors;
    /// `endpoint` names the URL template in statistics.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
    ) -> Result<T, AdoError> {
        self.fetch(organization, endpoint, &url, Verb::Get, |body, _| {
            decode(organization, &url, body)
        })
        .await
    }

    /// Reads the server's resource locations (`OPTIONS {collection}/_apis`) once per client, so
    /// each later request is sent with the version its route serves. Only Azure DevOps Server
    /// needs it; if the server does not answer, versions are negotiated from its errors.
    pub async fn load_resource_locations(&self, organization: &str, collection: &Url) {
        self.locations
            .get_or_init(|| async {
                let url = api_url(collection, &["_apis"], &[]);
                let answer: Result<Envelope<serde_json::Value>, AdoError> = self
                    .fetch(organization, "(resource locations)", &url, Verb::Options, |body, _| {
                        decode(organization, &url, body)
                    })
                    .await;
                match answer {
                    // One malformed entry loses only that route's negotiation.
                    Ok(list) => list
                        .value
                        .into_iter()
                        .filter_map(|v| serde_json::from_value(v).ok())
                        .collect(),
                    Err(e) => {
                        tracing::warn!(organization, "the server's resource locations could not be read; versions are negotiated from its errors: {e}");
                        Vec::new()
                    }
                }
            })
            .await;
    }

    /// POSTs a read-only query (e.g. the checks of several resources) and returns the items of
    /// its `{count, value}` answer. Retried like a GET: the query changes nothing.
    pub async fn post_query<T: DeserializeOwned>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<Vec<T>, AdoError> {
        let body = body.to_string().into_bytes();
        let envelope: Envelope<T> = self
            .fetch(
                organization,
                endpoint,
                &url,
                Verb::Post(&body),
                |bytes, _| decode(organization, &url, bytes),
            )
            .await?;
        Ok(envelope.value)
    }

    /// POSTs a read-only query whose answer is one JSON object (e.g. the portal's
    /// `Contribution/HierarchyQuery` data providers). Retried like a GET: it changes nothing.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
        body: &serde_json::Value,
    ) -> Result<T, AdoError> {
        let body = body.to_string().into_bytes();
        self.fetch(
            organization,
            endpoint,
            &url,
            Verb::Post(&body),
            |bytes, _| decode(organization, &url, bytes),
        )
        .await
    }

    /// GETs a `{count, value}` list and follows `x-ms-continuationtoken` to the last page,
    /// each item decoded as it is read (`Parsed<X>` keeps its JSON text too).
    /// A token seen twice stops the list with an error rather than looping.
    pub async fn get_list<T: DeserializeOwned>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
    ) -> Result<PagedList<T>, AdoError> {
        self.get_pages(organization, endpoint, url, |page_url, body, headers| {
            let envelope: Envelope<T> = decode(organization, page_url, body)?;
            Ok((envelope.value, continuation_token(headers)))
        })
        .await
    }

    /// GETs every page of `userentitlements`, whose continuation token travels in the body
    /// (`continuationToken`, empty or null on the last page) rather than in a header.
    pub async fn get_entitlements<T: DeserializeOwned>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
    ) -> Result<PagedList<T>, AdoError> {
        self.get_pages(organization, endpoint, url, |page_url, body, _| {
            let page: super::identity::EntitlementPage<T> = decode(organization, page_url, body)?;
            Ok(page.into_parts())
        })
        .await
    }

    /// A `{count, value}` list read one page at a time (following `x-ms-continuationtoken`), so
    /// a caller can hand each page on before the next is asked for and memory holds one page.
    pub fn list_pages<'a, T: DeserializeOwned>(
        &'a self,
        organization: &'a str,
        endpoint: &'a str,
        url: Url,
    ) -> Pages<'a, impl Fn(&Url, &[u8], &HeaderMap) -> PageParts<T> + 'a> {
        Pages::new(
            self,
            organization,
            endpoint,
            url,
            move |page_url, body, headers| {
                let envelope: Envelope<T> = decode(organization, page_url, body)?;
                Ok((envelope.value, continuation_token(headers)))
            },
        )
    }

    /// Follows a paged list to its last page: `page` turns one answer into its items and the
    /// next page's token (sent back as `continuationToken`).
    async fn get_pages<T>(
        &self,
        organization: &str,
        endpoint: &str,
        url: Url,
        page: impl Fn(&Url, &[u8], &HeaderMap) -> PageParts<T>,
    ) -> Result<PagedList<T>, AdoError> {
        let mut pages = Pages::new(self, organization, endpoint, url, page);
        let mut items = Vec::new();
        while let Some(values) = pages.next().await? {
            items.extend(values);
        }
        Ok(PagedList {
            items,
            pages: pages.read,
        })
    }

    /// One request with everything around it: the key's pace and the rate limiter before, the
    /// concurrency bound during, adaptation to the rate-limit headers after, and retries with
    /// exponential backoff and jitter for what may pass on a second try (429, 5xx, timeouts,
    /// broken connections, malformed bodies). `parse` turns a 2xx body into the result.
    async fn fetch<T>(
        &self,
        organization: &str,
        endpoint: &str,
        url: &Url,
        verb: Verb<'_>,
        parse: impl Fn(&[u8], &HeaderMap) -> Result<T, AdoError>,
    ) -> Result<T, AdoError> {
        let key = (self.identity.clone(), organization.to_string());
        let requested = url.clone();
        let mut url = self.versioned(&requested, endpoint);
        let url = &mut url;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // The semaphore is never closed, so acquiring only fails if that changes; go on unbounded then.
            // Pace after the permit: a start time is reserved only by a request about to go.
            let permit = self.concurrency.acquire().await.ok();
            self.pace.wait(&key, endpoint).await;
            self.limiter.until_key_ready(&key).await;
            let started = Instant::now();
            let sent = self.send(organization, url, verb).await;
            drop(permit);
            let mut record = Attempt {
                latency: started.elapsed(),
                retry: attempt > 1,
                ..Default::default()
            };
            let outcome = match sent {
                Err(e) => Err(e),
                Ok((status, headers, body)) => {
                    record.bytes = body.len() as u64;
                    record.blocked = status == StatusCode::TOO_MANY_REQUESTS;
                    record.delayed_seconds = self.pace.observe(&key, &headers, status);
                    self.check_status(organization, url, status, &body)
                        .and_then(|()| parse(&body, &headers))
                }
            };
            record.failed = outcome.is_err();
            self.stats.record(endpoint, record);
            match outcome {
                Ok(value) => return Ok(value),
                // Azure DevOps Server is older than the cloud: take the newest version it names.
                Err(AdoError::Status {
                    status: 400,
                    ref message,
                    ..
                }) if attempt < self.retry.max_attempts
                    && let Some(latest) = versions::latest_in_message(message) =>
                {
                    tracing::info!(organization, latest = %format!("{}.{}", latest.0, latest.1), "the server offers an older REST API version; using it");
                    self.server_versions().latest = Some(latest);
                    *url = self.versioned(&requested, endpoint);
                }
                // A route still in preview at the server's version.
                Err(AdoError::Status {
                    status: 400,
                    ref message,
                    ..
                }) if attempt < self.retry.max_attempts
                    && versions::is_preview_required(message)
                    && !api_version_of(url).is_some_and(|v| v.contains("-preview")) =>
                {
                    tracing::info!(
                        organization,
                        endpoint,
                        "the route is preview at this server's version"
                    );
                    let mut known = self.server_versions();
                    known.preview_endpoints.insert(endpoint.to_string());
                    if known.latest.is_none() {
                        // The version asked for is within range: keep it, with -preview.
                        known.latest = api_version_of(&requested)
                            .and_then(|v| versions::parse_requested(&v))
                            .map(|r| r.version);
                    }
                    drop(known);
                    *url = self.versioned(&requested, endpoint);
                }
                Err(e) if is_retryable(&e) && attempt < self.retry.max_attempts => {
                    let wait = self.retry.backoff(attempt);
                    tracing::debug!(
                        organization,
                        endpoint,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying: {e}"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn server_versions(&self) -> std::sync::MutexGuard<'_, ServerVersions> {
        self.versions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The URL with the `api-version` its route serves on this server: negotiated from the
    /// route's resource location when the server gave them, else capped at the newest version
    /// the server named (with `-preview` where it said the route needs it), else as asked.
    fn versioned(&self, url: &Url, endpoint: &str) -> Url {
        let Some(asked) = api_version_of(url) else {
            return url.clone();
        };
        let location = self.locations.get().and_then(|locations| {
            let segments: Vec<&str> = url.path_segments()?.collect();
            let start = segments
                .iter()
                .position(|s| s.eq_ignore_ascii_case("_apis"))?
                + 1;
            versions::find_location(locations, &segments[start..])
        });
        let known = self.server_versions();
        let needs_preview = known.preview_endpoints.contains(endpoint);
        let version = match (location, known.latest) {
            (Some(location), _) => versions::negotiate(&asked, location)
                // The server said otherwise than its location: it is preview here.
                .map(|v| match v.contains("-preview") || !needs_preview {
                    true => v,
                    false => format!("{v}-preview"),
                }),
            (None, Some(latest)) => versions::cap(&asked, latest, needs_preview),
            (None, None) => None,
        };
        drop(known);
        match version {
            Some(version) if version != asked => with_api_version(url, &version),
            _ => url.clone(),
        }
    }

    /// The server's newest REST API version, when it is older than the cloud and said so.
    pub fn negotiated_api_version(&self) -> Option<String> {
        let from_locations = self.locations.get().and_then(|locations| {
            locations
                .iter()
                .filter_map(|l| versions::parse_version(&l.max_version))
                .max()
        });
        from_locations
            .or(self.server_versions().latest)
            .map(|(a, b)| format!("{a}.{b}"))
    }

    /// Maps a non-2xx answer to its error. 203 is the sign-in page Azure DevOps serves to a
    /// rejected credential without the FedAuthRedirect header: an authentication failure, never
    /// data. A 401 where the credential was accepted before is one route's missing scope.
    fn check_status(
        &self,
        organization: &str,
        url: &Url,
        status: StatusCode,
        body: &[u8],
    ) -> Result<(), AdoError> {
        let accepted = || {
            self.accepted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(organization)
        };
        // 203 is inside 2xx but is the sign-in page, never data: the free function says so.
        if status.is_success() && status != StatusCode::NON_AUTHORITATIVE_INFORMATION {
            if !accepted() {
                self.accepted
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(organization.to_string());
            }
            return Ok(());
        }
        if status == StatusCode::UNAUTHORIZED && accepted() {
            let hint = match super::scopes::scope_for_url(url) {
                Some(scope) => {
                    format!("add the scope {scope} to the PAT, or grant the identity read access")
                }
                None => "check the token's scopes and the identity's permissions".to_string(),
            };
            return Err(AdoError::RouteUnauthorized {
                organization: organization.to_string(),
                url: url.to_string(),
                hint,
            });
        }
        check_status(organization, url, status, body)
    }

    async fn send(
        &self,
        organization: &str,
        url: &Url,
        verb: Verb<'_>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), AdoError> {
        let transport = |e: reqwest::Error| AdoError::Transport {
            organization: organization.to_string(),
            url: url.to_string(),
            message: sanitize_message(&without_url(&e).to_string()),
        };
        let authorization = match &self.authorization {
            Authorization::Fixed(value) => value.clone(),
            Authorization::Entra(tokens) => tokens.header().await.map_err(|e| AdoError::Token {
                organization: organization.to_string(),
                url: e.endpoint.clone(),
                message: e.to_string(),
            })?,
        };
        let request = match verb {
            Verb::Get => self.http.get(url.clone()),
            Verb::Options => self.http.request(reqwest::Method::OPTIONS, url.clone()),
            Verb::Post(body) => self
                .http
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
        };
        let response = request
            .header(AUTHORIZATION, authorization)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok((status, headers, body))
    }
}

/// Maps a non-2xx answer to its error; 203 is the sign-in page Azure DevOps serves to a
/// rejected credential without the FedAuthRedirect header: an authentication failure, never data.
fn check_status(
    organization: &str,
    url: &Url,
    status: StatusCode,
    body: &[u8],
) -> Result<(), AdoError> {
    let organization = organization.to_string();
    let url = url.to_string();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::NON_AUTHORITATIVE_INFORMATION => {
            Err(AdoError::Unauthorized {
                organization,
                status: status.as_u16(),
                url,
            })
        }
        StatusCode::FORBIDDEN => Err(AdoError::Forbidden {
            organization,
            url,
            message: error_message(body),
        }),
        StatusCode::NOT_FOUND => Err(AdoError::NotFound {
            organization,
            url,
            message: error_message(body),
        }),
        s if s.is_success() => Ok(()),
        s => Err(AdoError::Status {
            organization,
            status: s.as_u16(),
            url,
            message: error_message(body),
        }),
    }
}

/// The next page's token of a list answer: the `x-ms-continuationtoken` header, trimmed; none
/// when absent, empty or not text.
pub fn continuation_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTINUATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The `api-version` a URL asks for.
fn api_version_of(url: &Url) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned())
}

/// The URL with its `api-version` replaced, other query pairs kept in order.
fn with_api_version(url: &Url, version: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "api-version" {
                version.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

/// Whether another attempt may succeed: throttling, server errors, transport trouble and
/// malformed bodies; never an authentication, permission or not-found answer.
fn is_retryable(error: &AdoError) -> bool {
    match error {
        AdoError::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        AdoError::Transport { .. } | AdoError::Decode { .. } => true,
        _ => false,
    }
}

/// reqwest errors repeat the URL; ours carry it already.
fn without_url(e: &reqwest::Error) -> &(dyn std::error::Error + 'static) {
    let mut source: &(dyn std::error::Error + 'static) = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source
}

fn decode<T: DeserializeOwned>(organization: &str, url: &Url, body: &[u8]) -> Result<T, AdoError> {
    serde_json::from_slice(strip_bom(body)).map_err(|e| AdoError::Decode {
        organization: organization.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    })
}

/// Appends `api-version` and other query pairs to an API root and path segments.
pub fn api_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_escapes_segments_and_keeps_base_path() {
        let base = Url::parse("https://ado.contoso.local/tfs").unwrap();
        let url = api_url(
            &base,
            &["Default Collection", "_apis", "projects"],
            &[("api-version", "7.1"), ("$top", "100")],
        );
        assert_eq!(
            url.as_str(),
            "https://ado.contoso.local/tfs/Default%20Collection/_apis/projects?api-version=7.1&%24top=100"
        );
    }
}
