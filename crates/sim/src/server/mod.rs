//! Serves an [`Estate`] over HTTP like Azure DevOps Services does: the same URL paths and
//! api-version handling, `{count, value}` envelopes, continuation-token paging in the
//! `x-ms-continuationtoken` header, error bodies, and its answers to a missing or wrong PAT
//! (401 with an empty body under `X-TFS-FedAuthRedirect: Suppress`, else a 203 sign-in page).

mod advsec_routes;
mod agents_routes;
mod controls_routes;
mod core_routes;
mod identity_routes;
mod library_routes;
mod pipelines_routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use futures_util::StreamExt as _;

use super::behaviour::{ConsumptionLimit, Fault, FaultDraw, Faults, Usage, Verdict};
use super::estate::{Estate, SimOrganization, SimPolicy, SimProject};

/// How the simulator serves its estate.
#[derive(Debug, Clone)]
pub struct SimSettings {
    /// The PAT that requests must present (Basic auth, any user name).
    pub pat: String,
    /// The largest page a paged list returns, whatever `$top` asks for.
    pub max_page_size: usize,
    /// Added to every response (network and server time of a real estate).
    pub latency: std::time::Duration,
    /// Serve like Azure DevOps Server: collections under /tfs, api-versions as
    /// `server_version` serves them, no account discovery, no Advanced Security.
    pub server_mode: bool,
    /// The newest REST API version of the simulated server: 6.1 (Server 2020, where every
    /// route is preview at 6.1) or 7.0 (Server 2022).
    pub server_version: (u32, u32),
    /// Whether `OPTIONS /_apis` lists the resource locations (a proxy may refuse it).
    pub serve_locations: bool,
    /// Whether the organization-wide Advanced Security alerts (`reporting/summary/alerts` and
    /// `…/alertsbatch`) are served; without them clients must read alerts per repository.
    pub serve_alertsbatch: bool,
    /// The scopes of the PAT (e.g. `vso.code`), when it is not full-access: a route that needs
    /// another answers 401 TF400813 though the token works elsewhere.
    pub pat_scopes: Option<Vec<String>>,
    /// The consumption limit, when the simulator enforces one.
    pub limit: Option<ConsumptionLimit>,
    pub faults: Faults,
    /// The simulated Entra token service (service principals, workload and managed identities).
    pub entra: super::entra::EntraSettings,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            pat: "simulated-pat".to_string(),
            max_page_size: 100,
            latency: std::time::Duration::ZERO,
            server_mode: false,
            server_version: (6, 1),
            serve_locations: true,
            serve_alertsbatch: true,
            pat_scopes: None,
            limit: None,
            faults: Faults::default(),
            entra: Default::default(),
        }
    }
}

struct SimState {
    estate: Estate,
    settings: SimSettings,
    requests: AtomicU64,
    usage: Usage,
    draw: FaultDraw,
    tokens: super::entra::Issued,
}

/// Counters of a running simulator.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SimCounters {
    pub requests: u64,
    pub delayed: u64,
    pub blocked: u64,
    pub faults: u64,
}

/// A running simulator. Dropping it stops the server.
pub struct SimServer {
    addr: SocketAddr,
    state: Arc<SimState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimServer {
    /// Binds `listen` (port 0 picks a free port) and serves in the background.
    pub async fn start(
        listen: SocketAddr,
        estate: Estate,
        settings: SimSettings,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SimState {
            draw: FaultDraw::new(estate.seed),
            estate,
            settings,
            requests: AtomicU64::new(0),
            usage: Usage::default(),
            tokens: Default::default(),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("simulator stopped: {e}");
            }
        });
        Ok(SimServer {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL for every host the simulator stands in for.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A connector that crawls this simulator (every host at its address) with its PAT.
    pub fn connector(&self, name: &str) -> ado_posture::config::Connector {
        use ado_posture::config::{Connector, Credential, Deployment, Secret};
        let url = url::Url::parse(&self.url())
            .unwrap_or_else(|_| unreachable!("a socket address is a valid URL host"));
        Connector {
            name: name.to_string(),
            url: url.clone(),
            vssps_url: Some(url.clone()),
            advsec_url: Some(url.clone()),
            graph_url: Some(url.clone()),
            entitlements_url: Some(url),
            deployment: Deployment::Services,
            organizations: None,
            include_projects: Vec::new(),
            exclude_projects: Vec::new(),
            detailed_pipeline_permissions: false,
            credential: Credential::Pat(Secret::new(self.state.settings.pat.clone())),
        }
    }

    /// What the simulator did: requests, delayed and blocked by the limit, faults injected.
    pub fn counters(&self) -> SimCounters {
        SimCounters {
            requests: self.requests(),
            delayed: self.state.usage.delayed.load(Ordering::Relaxed),
            blocked: self.state.usage.blocked.load(Ordering::Relaxed),
            faults: self.state.draw.injected.load(Ordering::Relaxed),
        }
    }

    /// Requests served so far.
    /// Entra tokens issued so far (service principal, workload or managed identity).
    pub fn tokens_issued(&self) -> u64 {
        self.state.tokens.count()
    }

    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Waits until the server stops (it does not stop by itself).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The newest api-version the simulated service knows.
const LATEST_API_VERSION: (u32, u32) = (7, 2);

/// Path segments, percent-decoded.
fn path_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// The route's name for costs and logs, e.g. `core/projects`, `git/repositories`.
fn route_name(segments: &[String]) -> String {
    match segments.iter().position(|s| s == "_apis") {
        Some(i) => segments[i + 1..]
            .iter()
            .take(2)
            .cloned()
            .collect::<Vec<_>>()
            .join("/"),
        None => "(none)".to_string(),
    }
}

/// Paged routes (continuation token in the `x-ms-continuationtoken` header).
const PAGED_ROUTES: &[&str] = &[
    "projects",
    "policy/configurations",
    "distributedtask/variablegroups",
];

/// Everything around a route: latency, authentication, the consumption limit, faults.
async fn handle(State(state): State<Arc<SimState>>, request: Request) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    if !state.settings.latency.is_zero() {
        tokio::time::sleep(state.settings.latency).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large (simulated).",
            "RequestTooLargeException",
        );
    };
    if let Some(response) = token_service(&state, &parts, &body) {
        return response;
    }
    if !authorized(&parts.headers, &state.settings.pat, &state.tokens) {
        return unauthorized(&parts.headers);
    }
    let mut segments = path_segments(parts.uri.path());
    // Azure DevOps Server serves its collections under a virtual directory: /tfs/{collection}/…
    if state.settings.server_mode {
        if segments.first().map(String::as_str) != Some("tfs")
            || segments.get(1).is_some_and(|s| s == "_apis")
        {
            return not_found_route(parts.uri.path());
        }
        segments.remove(0);
    }
    let organization = match segments.first() {
        Some(first) if first != "_apis" => first.to_ascii_lowercase(),
        _ => "(vssps)".to_string(),
    };
    let route = route_name(&segments);
    if let Some(response) = missing_scope(&state.settings, &parts.headers, &route) {
        return response;
    }
    let faults = &state.settings.faults;
    if faults
        .broken_organizations
        .iter()
        .any(|o| o.eq_ignore_ascii_case(&organization))
        || faults.broken_routes.iter().any(|r| {
            r.split_once('/')
                .is_some_and(|(o, broken)| o.eq_ignore_ascii_case(&organization) && broken == route)
        })
    {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TF246017: Azure DevOps Server could not connect to the database. Verify that the server that is hosting the database is operational.",
            "DatabaseConnectionException",
        );
    }
    if faults.forbidden_routes.iter().any(|r| r == &route) {
        return error(
            StatusCode::FORBIDDEN,
            &format!(
                "TF400813: The user is not authorized to access this resource ({route}, simulated)."
            ),
            "UnauthorizedRequestException",
        );
    }
    let mut limit_headers = Vec::new();
    if let Some(limit) = &state.settings.limit {
        let identity = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match state.usage.charge(limit, identity, &organization, &route) {
            Verdict::Serve(h) => limit_headers = h,
            Verdict::Delay(delay, h) => {
                tokio::time::sleep(delay).await;
                limit_headers = h;
            }
            Verdict::Block(_, h) => {
                let mut response = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'Core/TSTU (simulated)' in namespace 'User'.",
                    "RequestBlockedException",
                );
                add_headers(&mut response, &h);
                return response;
            }
        }
    }
    let fault = state.draw.draw(faults);
    match fault {
        Some(Fault::InternalError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "VS402490: An unexpected error occurred (simulated).",
                "UnexpectedErrorException",
            );
        }
        Some(Fault::Unavailable) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "TF400898: An Internal Error Occurred. The service is temporarily unavailable (simulated).",
                "ServiceUnavailableException",
            );
        }
        _ => {}
    }
    let mut response =
        if parts.method == Method::OPTIONS && segments.len() == 2 && state.settings.serve_locations
        {
            // `OPTIONS /{collection}/_apis`: the resource locations (each route's versions).
            let version = if state.settings.server_mode {
                state.settings.server_version
            } else {
                LATEST_API_VERSION
            };
            ok(super::versions::locations(version), None)
        } else {
            route_request(&state, &parts, &segments, &body)
        };
    add_headers(&mut response, &limit_headers);
    if PAGED_ROUTES.contains(&route.as_str())
        && response.status().is_success()
        && faults
            .repeat_token_organizations
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&organization))
    {
        response
            .headers_mut()
            .insert("x-ms-continuationtoken", HeaderValue::from_static("1"));
    }
    match fault {
        Some(Fault::ResetConnection) => reset_body(response),
        Some(Fault::MalformedJson) => truncate_body(response).await,
        Some(Fault::SlowBody) => slow_body(response).await,
        _ => response,
    }
}

fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
}

/// The headers go out, then the connection breaks mid-body.
fn reset_body(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let chunks: Vec<Result<&'static [u8], std::io::Error>> = vec![
        Ok(b"{\"count\":".as_slice()),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        )),
    ];
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
}

/// A 200 whose JSON stops half-way.
async fn truncate_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, Body::from(half))
}

/// The whole body, in small pieces with pauses between them.
async fn slow_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let pieces: Vec<axum::body::Bytes> = bytes
        .chunks(bytes.len().div_ceil(4).max(1))
        .map(axum::body::Bytes::copy_from_slice)
        .collect();
    let stream = futures_util::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        Ok::<_, std::io::Error>(piece)
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The value of a `Result<T, Box<Response>>`, or return the response from the route.
macro_rules! or_respond {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(response) => return *response,
        }
    };
}
use or_respond;

/// The organization a route names, or the service's 404.
fn organization<'a>(estate: &'a Estate, name: &str) -> Result<&'a SimOrganization, Box<Response>> {
    estate
        .organization(name)
        .ok_or_else(|| Box::new(org_not_found(name)))
}

/// The organization and project (with its index) a route names, or the service's 404 for either.
fn org_and_project<'a>(
    estate: &'a Estate,
    org: &str,
    project: &str,
) -> Result<(&'a SimOrganization, usize, &'a SimProject), Box<Response>> {
    let org = organization(estate, org)?;
    let (index, project) =
        find_project(org, project).ok_or_else(|| Box::new(project_not_found(project)))?;
    Ok((org, index, project))
}

/// One request as the area routes see it.
struct RouteRequest<'a> {
    state: &'a SimState,
    parts: &'a axum::http::request::Parts,
    /// The path's segments.
    segs: Vec<&'a str>,
    query: &'a [(String, String)],
    body: &'a [u8],
}

impl RouteRequest<'_> {
    /// A query parameter, its name compared without regard to case.
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `$top` (or `top`) within the simulator's largest page; 100 when absent.
    fn page_size(&self, top: Option<&str>) -> usize {
        top.and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(100)
            .clamp(1, self.state.settings.max_page_size.max(1))
    }
}

/// The areas the routes are split by, the same as the estate's and the crawler's.
enum Area {
    Core,
    Library,
    Pipelines,
    Agents,
    Advsec,
    Controls,
    Identity,
}

/// The area serving a route (the two path segments after `_apis`, any case).
fn route_area(route: &str) -> Option<Area> {
    let route = route.to_ascii_lowercase();
    let (first, second) = route.split_once('/').unwrap_or((route.as_str(), ""));
    Some(match (first, second) {
        ("profile" | "accounts" | "projects" | "git" | "policy", _) => Area::Core,
        ("serviceendpoint", _)
        | ("distributedtask", "variablegroups")
        | ("build", "authorizedresources") => Area::Library,
        ("build", _) | ("contribution", _) => Area::Pipelines,
        ("distributedtask", _) => Area::Agents,
        ("management" | "reporting" | "alert", _) => Area::Advsec,
        ("pipelines" | "organizationpolicy", _) => Area::Controls,
        ("graph" | "userentitlements" | "accesscontrollists", _) => Area::Identity,
        _ => return None,
    })
}

/// The routes themselves: the estate as the real service returns it.
fn route_request(
    state: &SimState,
    parts: &axum::http::request::Parts,
    segments: &[String],
    body: &[u8],
) -> Response {
    // The one POST a crawler makes reads: checks of several resources at once.
    let is_query = segments.iter().rev().take(3).map(String::as_str).eq([
        "queryconfigurations",
        "checks",
        "pipelines",
    ]);
    // …and the portal's data providers (the organization's pipeline settings).
    let is_data_provider_query = segments
        .iter()
        .rev()
        .take(2)
        .map(|s| s.to_ascii_lowercase())
        .eq(["hierarchyquery", "contribution"]);
    if parts.method != Method::GET
        && !(parts.method == Method::POST && (is_query || is_data_provider_query))
    {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "The requested resource does not support http method.",
            "HttpMethodNotAllowedException",
        );
    }
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let version_error = |v: &str| {
        if state.settings.server_mode {
            super::versions::refusal(state.settings.server_version, &route_name(segments), v)
                .map(|(key, message)| error(StatusCode::BAD_REQUEST, &message, key))
        } else {
            api_version_error(v, LATEST_API_VERSION)
        }
    };
    if let Some(response) = param("api-version").and_then(version_error) {
        return response;
    }
    let request = RouteRequest {
        state,
        parts,
        segs: segments.iter().map(String::as_str).collect(),
        query: &query,
        body,
    };
    match route_area(&route_name(segments)) {
        Some(Area::Core) => core_routes::route(&request),
        Some(Area::Library) => library_routes::route(&request),
        Some(Area::Pipelines) => pipelines_routes::route(&request),
        Some(Area::Agents) => agents_routes::route(&request),
        Some(Area::Advsec) => advsec_routes::route(&request),
        Some(Area::Controls) => controls_routes::route(&request),
        Some(Area::Identity) => identity_routes::route(&request),
        None => not_found_route(parts.uri.path()),
    }
}

/// (id, open to all pipelines) of a project's service connections (`endpoint`, its own and
/// those shared with it, each open or not in this project), variable groups, queues or secure
/// files: what `build/authorizedresources` and `pipelinePermissions` both answer from.
fn protected_resources(
    org: &SimOrganization,
    project: &SimProject,
    kind: &str,
) -> Vec<(String, bool)> {
    if kind == "endpoint" {
        return project_endpoints(org, project)
            .map(|(e, owned)| {
                let open = if owned {
                    e.open_to_all
                } else {
                    e.open_in_shared_projects()
                };
                (e.id.clone(), open)
            })
            .collect();
    }
    protected_project_resources(project, kind)
}

/// The service connections a project's list shows: its own, then those other projects share
/// with it (as the service lists them), each with whether the project owns it.
fn project_endpoints<'a>(
    org: &'a SimOrganization,
    project: &'a SimProject,
) -> impl Iterator<Item = (&'a super::library::SimEndpoint, bool)> {
    let own = project.library.endpoints.iter().map(|e| (e, true));
    let shared = org
        .projects
        .iter()
        .filter(move |p| p.id != project.id)
        .flat_map(|p| &p.library.endpoints)
        .filter(move |e| e.shared_with.iter().any(|id| id == &project.id))
        .map(|e| (e, false));
    own.chain(shared)
}

/// The owning project of a service connection and its index there.
fn endpoint_owner<'a>(
    org: &'a SimOrganization,
    id: &str,
) -> Option<(usize, &'a SimProject, usize)> {
    org.projects.iter().enumerate().find_map(|(p, project)| {
        let k = project
            .library
            .endpoints
            .iter()
            .position(|e| e.id.eq_ignore_ascii_case(id))?;
        Some((p, project, k))
    })
}

fn protected_project_resources(project: &SimProject, kind: &str) -> Vec<(String, bool)> {
    let (library, agents) = (&project.library, &project.agents);
    match kind {
        "endpoint" => library
            .endpoints
            .iter()
            .map(|e| (e.id.clone(), e.open_to_all))
            .collect(),
        "variablegroup" => library
            .variable_groups
            .iter()
            .map(|g| (g.id.to_string(), g.open_to_all))
            .collect(),
        "queue" => agents
            .queues
            .iter()
            .map(|q| (q.id.to_string(), q.open_to_all))
            .collect(),
        "securefile" => agents
            .secure_files
            .iter()
            .map(|f| (f.id.clone(), f.open_to_all))
            .collect(),
        _ => Vec::new(),
    }
}

/// One page of an id-ordered list whose continuation token is the id to continue from
/// (variable groups, build definitions, environments), and the next page's token.
fn page_from_id<'a, T>(
    items: &'a [T],
    id: impl Fn(&T) -> u64,
    token: Option<&str>,
    top: usize,
) -> (Vec<&'a T>, Option<String>) {
    let from = token.and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
    let mut matching = items.iter().filter(|item| id(item) >= from);
    let page: Vec<&T> = matching.by_ref().take(top).collect();
    let next = matching.next().map(|item| id(item).to_string());
    (page, next)
}

/// A route the service does not have: a plain-text 404, as the real one answers.
fn not_found_route(path: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(format!(
            "The controller for path '{path}' was not found or does not implement IController."
        )))
        .unwrap_or_default()
}

/// The Entra routes (no Azure DevOps credential needed): `POST /{tenant}/oauth2/v2.0/token` and
/// `GET /metadata/identity/oauth2/token`.
fn token_service(
    state: &SimState,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Option<Response> {
    let segments = path_segments(parts.uri.path());
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let entra = &state.settings.entra;
    let (status, json) = match segs.as_slice() {
        [tenant, "oauth2", "v2.0", "token"] if parts.method == Method::POST => {
            super::entra::client_credentials(entra, &state.tokens, tenant, body)
        }
        ["metadata", "identity", "oauth2", "token"] => {
            let resource = parts.uri.query().and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "resource")
                    .map(|(_, v)| v.into_owned())
            });
            let metadata = parts
                .headers
                .get("metadata")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
            super::entra::managed_identity(entra, &state.tokens, metadata, resource.as_deref())
        }
        _ => return None,
    };
    let response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(json.to_string()))
        .unwrap_or_default();
    Some(response)
}

fn authorized(headers: &HeaderMap, pat: &str, tokens: &super::entra::Issued) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return tokens.valid(token.trim());
    }
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    // "user:pat" with any (usually empty) user name.
    text.split_once(':').is_some_and(|(_, token)| token == pat)
}

fn unauthorized(headers: &HeaderMap) -> Response {
    let suppress = headers
        .get("x-tfs-fedauthredirect")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("suppress"));
    if suppress {
        Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"https://simulated.app.visualstudio.com/\"",
            )
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap_or_default()
    } else {
        Response::builder()
            .status(StatusCode::NON_AUTHORITATIVE_INFORMATION)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from(
                "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head>\
                 <body>Sign in to your account</body></html>",
            ))
            .unwrap_or_default()
    }
}

/// The values of `queryOrder` the build definitions list accepts (DefinitionQueryOrder).
const DEFINITION_QUERY_ORDERS: &[&str] = &[
    "none",
    "lastModifiedAscending",
    "lastModifiedDescending",
    "definitionNameAscending",
    "definitionNameDescending",
];

/// The read scope each route needs (Microsoft's PAT scope table), by the simulator's route name.
fn scope_of_route(route: &str) -> Option<&'static str> {
    let route = route.to_ascii_lowercase();
    let area = route.split('/').next().unwrap_or_default();
    Some(match (area, route.as_str()) {
        (_, "distributedtask/variablegroups") => "vso.variablegroups_read",
        (_, "distributedtask/securefiles") => "vso.securefiles_read",
        (_, "distributedtask/environments") => "vso.environment_manage",
        (_, "distributedtask/pools" | "distributedtask/queues") => "vso.agentpools",
        (_, "distributedtask/deploymentgroups") => "vso.machinegroup_manage",
        ("projects", _) => "vso.project",
        ("git" | "policy", _) => "vso.code",
        ("serviceendpoint", _) => "vso.serviceendpoint",
        ("build" | "pipelines", _) => "vso.build",
        ("management" | "alert" | "reporting", _) => "vso.advsec",
        ("graph", _) => "vso.graph",
        ("userentitlements", _) => "vso.memberentitlementmanagement",
        ("profile" | "accounts", _) => "vso.profile",
        _ => return None,
    })
}

/// The 401 a scoped PAT gets on a route outside its scopes, though it works on others.
fn missing_scope(settings: &SimSettings, headers: &HeaderMap, route: &str) -> Option<Response> {
    let scopes = settings.pat_scopes.as_ref()?;
    let is_pat = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    let needed = scope_of_route(route)?;
    if !is_pat || scopes.iter().any(|s| s.eq_ignore_ascii_case(needed)) {
        return None;
    }
    Some(error(
        StatusCode::UNAUTHORIZED,
        "TF400813: The user 'simulated' is not authorized to access this resource.",
        "UnauthorizedRequestException",
    ))
}

/// The 400 answer to an api-version the service does not serve, or `None` when it is fine.
fn api_version_error(version: &str, latest: (u32, u32)) -> Option<Response> {
    let (number, preview) = match version.split_once("-preview") {
        Some((n, _)) => (n, true),
        None => (version, false),
    };
    let parsed = number
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .or_else(|| number.parse::<u32>().ok().map(|a| (a, 0)));
    let Some(parsed) = parsed else {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!("The requested REST API version of {version} is not in a valid format."),
            "VssInvalidApiVersionException",
        ));
    };
    if parsed > latest {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "The requested REST API version of {number} is out of range for this server. The latest REST API version this server supports is {}.{}.",
                latest.0, latest.1
            ),
            "VssVersionOutOfRangeException",
        ));
    }
    // The cloud's newest version is still in preview; Server's newest is released.
    if parsed == latest && latest == LATEST_API_VERSION && !preview {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "The requested version \"{number}\" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: \"{number}-preview\""
            ),
            "VssInvalidPreviewVersionException",
        ));
    }
    None
}

fn error(status: StatusCode, message: &str, type_key: &str) -> Response {
    let body = json!({
        "$id": "1",
        "innerException": null,
        "message": message,
        "typeName": format!("Microsoft.VisualStudio.Services.WebApi.{type_key}, Microsoft.VisualStudio.Services.WebApi"),
        "typeKey": type_key,
        "errorCode": 0,
        "eventId": 3000
    });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn org_not_found(org: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("VS800075: The project collection or organization '{org}' does not exist."),
        "HostNotFoundException",
    )
}

fn project_not_found(project: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "TF200016: The following project does not exist: {project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server."
        ),
        "ProjectDoesNotExistWithNameException",
    )
}

fn ok(body: Value, continuation: Option<String>) -> Response {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8; api-version=7.1",
        )
        .header(
            "activityid",
            HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
        )
        .header(
            "x-tfs-session",
            HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
        );
    if let Some(token) = continuation {
        builder = builder.header("x-ms-continuationtoken", token);
    }
    builder
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn envelope(items: Vec<Value>) -> Value {
    json!({ "count": items.len(), "value": items })
}

fn find_project<'a>(org: &'a SimOrganization, key: &str) -> Option<(usize, &'a SimProject)> {
    org.projects
        .iter()
        .enumerate()
        .find(|(_, p)| p.id.eq_ignore_ascii_case(key) || p.name.eq_ignore_ascii_case(key))
}

const BASE: &str = "https://dev.azure.com";

fn project_json(org: &SimOrganization, p: &SimProject) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "url": format!("{BASE}/{}/_apis/projects/{}", org.name, p.id),
        "state": "wellFormed",
        "revision": p.revision,
        "visibility": p.visibility,
        "lastUpdateTime": "2026-10-01T09:03:15.27Z"
    })
}

fn repository_json(org: &SimOrganization, r: &super::estate::SimRepository) -> Value {
    let p = &org.projects[r.project_index];
    let mut repo = json!({
        "id": r.id,
        "name": r.name,
        "url": format!("{BASE}/{}/{}/_apis/git/repositories/{}", org.name, p.id, r.id),
        "project": project_json(org, p),
        "size": r.size,
        "remoteUrl": format!("{BASE}/{}/{}/_git/{}", org.name, p.name, r.name),
        "sshUrl": format!("git@ssh.dev.azure.com:v3/{}/{}/{}", org.name, p.name, r.name),
        "webUrl": format!("{BASE}/{}/{}/_git/{}", org.name, p.name, r.name),
        "isDisabled": r.is_disabled,
        "isInMaintenance": false
    });
    if let (Some(branch), Some(obj)) = (&r.default_branch, repo.as_object_mut()) {
        obj.insert("defaultBranch".into(), json!(branch));
    }
    repo
}

fn policy_json(org: &SimOrganization, project: &SimProject, p: &SimPolicy) -> Value {
    let type_name = match p.type_id {
        super::estate::MIN_REVIEWERS_TYPE => "Minimum number of reviewers",
        super::estate::COMMENTS_TYPE => "Comment requirements",
        super::estate::WORK_ITEMS_TYPE => "Work item linking",
        super::estate::MERGE_STRATEGY_TYPE => "Require a merge strategy",
        _ => "Build",
    };
    let scopes: Vec<Value> = p
        .scopes
        .iter()
        .map(|s| {
            let mut scope = json!({ "repositoryId": s.repository_id });
            // A repository-wide scope has neither ref nor match kind.
            if !s.match_kind.is_empty() {
                scope["refName"] = json!(s.ref_name);
                scope["matchKind"] = json!(s.match_kind);
            }
            scope
        })
        .collect();
    let mut settings = json!({ "scope": scopes });
    if let Some(obj) = settings.as_object_mut() {
        if let Some(n) = p.min_approvers {
            obj.insert("minimumApproverCount".into(), json!(n));
            obj.insert(
                "creatorVoteCounts".into(),
                json!(p.creator_vote_counts.unwrap_or(false)),
            );
            obj.insert(
                "allowDownvotes".into(),
                json!(p.allow_downvotes.unwrap_or(false)),
            );
            obj.insert(
                "blockLastPusherVote".into(),
                json!(p.block_last_pusher_vote.unwrap_or(false)),
            );
            obj.insert(
                "requireVoteOnEachIteration".into(),
                json!(p.require_vote_on_each_iteration.unwrap_or(false)),
            );
            obj.insert("requireVoteOnLastIteration".into(), json!(false));
            obj.insert(
                "resetOnSourcePush".into(),
                json!(p.reset_on_source_push.unwrap_or(false)),
            );
        }
        if p.type_id == super::estate::MERGE_STRATEGY_TYPE {
            obj.insert("allowSquash".into(), json!(true));
            obj.insert("allowNoFastForward".into(), json!(false));
        }
        if let Some(id) = p.build_definition_id {
            obj.insert("buildDefinitionId".into(), json!(id));
            obj.insert("queueOnSourceUpdateOnly".into(), json!(true));
            obj.insert("manualQueueOnly".into(), json!(false));
            obj.insert("displayName".into(), Value::Null);
            obj.insert("validDuration".into(), json!(720.0));
        }
    }
    let url = format!(
        "{BASE}/{}/{}/_apis/policy/configurations/{}",
        org.name, project.id, p.id
    );
    json!({
        "createdBy": { "id": "d6245f20-2af8-44f4-9451-8107cb2767db", "displayName": "Simulated Admin" },
        "createdDate": "2026-02-23T12:51:06.85754Z",
        "isEnabled": p.enabled,
        "isBlocking": p.blocking,
        "isDeleted": false,
        "settings": settings,
        "_links": { "self": { "href": url } },
        "revision": 1,
        "id": p.id,
        "url": url,
        "type": {
            "id": p.type_id,
            "url": format!("{BASE}/{}/{}/_apis/policy/types/{}", org.name, project.id, p.type_id),
            "displayName": type_name
        }
    })
}

fn endpoint_json(
    org: &SimOrganization,
    project: &SimProject,
    e: &super::library::SimEndpoint,
) -> Value {
    let mut parameters = serde_json::Map::new();
    match e.scheme {
        "WorkloadIdentityFederation" => {
            parameters.insert(
                "tenantid".into(),
                json!("72f988bf-86f1-41af-91ab-2d7cd011db47"),
            );
            parameters.insert(
                "serviceprincipalid".into(),
                json!("00000000-0000-0000-0000-00000000abcd"),
            );
            parameters.insert(
                "workloadIdentityFederationIssuer".into(),
                json!(format!("https://vstoken.dev.azure.com/{}", org.id)),
            );
            parameters.insert(
                "workloadIdentityFederationSubject".into(),
                json!(format!("sc://{}/{}/{}", org.name, project.name, e.name)),
            );
        }
        "ServicePrincipal" => {
            parameters.insert(
                "tenantid".into(),
                json!("72f988bf-86f1-41af-91ab-2d7cd011db47"),
            );
            parameters.insert(
                "serviceprincipalid".into(),
                json!("00000000-0000-0000-0000-00000000abcd"),
            );
            parameters.insert("authenticationType".into(), json!("spnKey"));
            parameters.insert("serviceprincipalkey".into(), Value::Null);
        }
        "UsernamePassword" => {
            parameters.insert("username".into(), json!("svc-builder"));
            parameters.insert("password".into(), Value::Null);
        }
        _ => {}
    }
    let mut references = vec![
        json!({ "projectReference": { "id": project.id, "name": project.name }, "name": e.name }),
    ];
    references.extend(e.shared_with.iter().map(|id| {
        let name = org
            .projects
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        json!({ "projectReference": { "id": id, "name": name }, "name": e.name })
    }));
    let data = if e.endpoint_type == "azurerm" {
        let level = e.azure_scope_level();
        if level == super::library::AzureScope::ResourceGroup {
            parameters.insert(
                "scope".into(),
                json!("/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-app"),
            );
        }
        let scope_level = if level == super::library::AzureScope::ManagementGroup {
            "ManagementGroup"
        } else {
            "Subscription"
        };
        json!({ "subscriptionId": "11111111-2222-3333-4444-555555555555", "subscriptionName": "Production", "environment": "AzureCloud", "scopeLevel": scope_level, "creationMode": "Manual" })
    } else {
        json!({})
    };
    // The service's spelling of types and schemes varies with the API version and how the
    // connection was made: serve some in other cases.
    let (endpoint_type, scheme) = if e.id.ends_with(['0', '1', '2', '3', '4']) {
        match e.endpoint_type {
            "azurerm" => ("AzureRM".to_string(), e.scheme.to_ascii_lowercase()),
            "azure" => ("Azure".to_string(), e.scheme.to_string()),
            "github" => ("GitHub".to_string(), e.scheme.to_string()),
            other => (other.to_string(), e.scheme.to_string()),
        }
    } else {
        (e.endpoint_type.to_string(), e.scheme.to_string())
    };
    json!({
        "data": data,
        "id": e.id,
        "name": e.name,
        "type": endpoint_type,
        "url": e.url,
        "createdBy": { "displayName": "Simulated Admin", "id": "e18a1f0a-b112-67fd-a9e0-e3bb081da49e" },
        "description": "",
        "authorization": { "parameters": parameters, "scheme": scheme },
        "isShared": !e.shared_with.is_empty(),
        "isReady": e.is_ready(),
        "owner": "Library",
        "serviceEndpointProjectReferences": references
    })
}

fn variable_group_json(project: &SimProject, g: &super::library::SimVariableGroup) -> Value {
    let variables: serde_json::Map<String, Value> = g
        .variables
        .iter()
        .map(|(name, secret)| {
            let value = if *secret {
                json!({ "value": null, "isSecret": true })
            } else {
                json!({ "value": format!("value of {name}") })
            };
            (name.clone(), value)
        })
        .collect();
    let mut group = json!({
        "variables": variables,
        "id": g.id,
        "type": if g.key_vault.is_some() { "AzureKeyVault" } else { "Vsts" },
        "name": g.name,
        "description": "",
        "createdBy": { "displayName": "Simulated Admin", "id": "4adb1680-0eac-6149-b5ee-fc8b4f6ca227" },
        "createdOn": "2026-01-12T06:35:52.08Z",
        "isShared": false,
        "variableGroupProjectReferences": [{ "projectReference": { "id": project.id, "name": project.name }, "name": g.name }]
    });
    if let (Some((vault, endpoint)), Some(obj)) = (&g.key_vault, group.as_object_mut()) {
        obj.insert(
            "providerData".into(),
            json!({ "serviceEndpointId": endpoint, "vault": vault, "lastRefreshedOn": "2026-11-01T00:00:00Z" }),
        );
    }
    group
}

fn pipeline_json(
    org: &SimOrganization,
    project: &SimProject,
    p: &super::pipelines::SimPipeline,
    all_properties: bool,
    server_mode: bool,
) -> Value {
    let url = format!(
        "{BASE}/{}/{}/_apis/build/Definitions/{}?revision=1",
        org.name, project.id, p.id
    );
    let mut definition = json!({
        "id": p.id,
        "name": p.name,
        "url": url,
        "uri": format!("vstfs:///Build/Definition/{}", p.id),
        "path": "\\",
        "type": "build",
        "queueStatus": "enabled",
        "revision": 1,
        "createdDate": "2026-01-07T04:49:37.713Z",
        "quality": "definition",
        "queue": if p.self_hosted {
            json!({ "id": 2, "name": "Default", "pool": { "id": 1, "name": "Default", "isHosted": false } })
        } else {
            json!({ "id": 1, "name": "Azure Pipelines", "pool": { "id": 9, "name": "Azure Pipelines", "isHosted": true } })
        },
        "project": { "id": project.id, "name": project.name, "state": "wellFormed", "visibility": project.visibility }
    });
    if !all_properties {
        return definition;
    }
    let process = if p.process_type == 2 {
        json!({ "yamlFilename": "azure-pipelines.yml", "type": 2 })
    } else {
        json!({ "phases": [{ "name": "Agent job 1", "steps": [] }], "target": { "agentSpecification": { "identifier": "ubuntu-latest" } }, "type": 1 })
    };
    let repository = match p.repository.and_then(|r| org.repositories.get(r)) {
        Some(r) => {
            json!({ "id": r.id, "type": "TfsGit", "name": r.name, "defaultBranch": r.default_branch, "url": format!("{BASE}/{}/{}/_git/{}", org.name, project.name, r.name) })
        }
        None => {
            json!({ "id": "contoso/app", "type": "GitHub", "name": "contoso/app", "properties": { "connectedServiceId": "00000000-0000-0000-0000-000000000001" } })
        }
    };
    let mut triggers = vec![
        json!({ "branchFilters": [], "pathFilters": [], "settingsSourceType": 2, "batchChanges": false, "maxConcurrentBuildsPerBranch": 1, "triggerType": "continuousIntegration" }),
    ];
    if let Some(forks) = p.pull_request {
        triggers.push(json!({
            "settingsSourceType": 2,
            "branchFilters": ["+refs/heads/main"],
            "pathFilters": [],
            "forks": { "enabled": forks.enabled, "allowSecrets": forks.allow_secrets, "allowFullAccessToken": forks.allow_full_access_token },
            "isCommentRequiredForPullRequest": forks.comment_required,
            "requireCommentsForNonTeamMembersOnly": false,
            "autoCancel": true,
            "triggerType": if p.id % 4 == 3 { "PullRequest" } else { "pullRequest" }
        }));
        // The fork settings in force, as the service combines them (pipeline, project and
        // organization); left out of every third definition, as older responses do.
        if !p.id.is_multiple_of(3)
            && let Some(Value::Object(trigger)) = triggers.last_mut()
        {
            let e = project.pipelines.settings.effective(&if server_mode {
                Default::default()
            } else {
                org.pipeline_settings
            });
            trigger.insert(
                "pipelineTriggerSettings".into(),
                json!({
                    "forkProtectionEnabled": e.fork_protection_enabled,
                    "buildsEnabledForForks": e.builds_enabled_for_forks,
                    "enforceJobAuthScopeForForks": e.enforce_job_auth_scope_for_forks,
                    "enforceNoAccessToSecretsFromForks": e.enforce_no_access_to_secrets_from_forks,
                    "isCommentRequiredForPullRequest": e.is_comment_required_for_pull_request,
                    "requireCommentsForNonTeamMembersOnly": false,
                    "requireCommentsForNonTeamMemberAndNonContributors": false
                }),
            );
        }
    }
    let variables: serde_json::Map<String, Value> = p
        .variables
        .iter()
        .map(|(name, secret)| {
            let value = if *secret {
                json!({ "value": null, "isSecret": true, "allowOverride": false })
            } else {
                json!({ "value": format!("value of {name}"), "allowOverride": true })
            };
            (name.clone(), value)
        })
        .collect();
    if let Some(obj) = definition.as_object_mut() {
        obj.insert("process".into(), process);
        obj.insert("repository".into(), repository);
        obj.insert("triggers".into(), Value::Array(triggers));
        obj.insert(
            "jobAuthorizationScope".into(),
            json!(p.job_authorization_scope),
        );
        obj.insert("variables".into(), Value::Object(variables));
    }
    definition
}

fn pool_json(pool: &super::agents::SimPool) -> Value {
    json!({
        "id": pool.id,
        "name": pool.name,
        "isHosted": pool.is_hosted,
        "poolType": "automation",
        "isLegacy": false,
        "autoProvision": pool.auto_provision(),
        "autoUpdate": true,
        "size": if pool.is_hosted { 1 } else { 2 },
        "options": "none"
    })
}

/// `_apis/build/generalsettings` of a project, and the organization's settings the portal's data
/// provider returns (the same keys).
fn general_settings_json(g: &super::pipelines::SimGeneralSettings) -> Value {
    json!({
        "enforceJobAuthScope": g.enforce_job_auth_scope,
        "enforceJobAuthScopeForReleases": g.enforce_job_auth_scope_for_releases,
        "enforceReferencedRepoScopedToken": g.enforce_referenced_repo_scoped_token,
        "enforceSettableVar": g.enforce_settable_var,
        "auditEnforceSettableVar": false,
        "statusBadgesArePrivate": g.status_badges_are_private,
        "publishPipelineMetadata": false,
        "disableClassicPipelineCreation": g.disable_classic_build_pipeline_creation
            && g.disable_classic_release_pipeline_creation,
        "disableClassicBuildPipelineCreation": g.disable_classic_build_pipeline_creation,
        "disableClassicReleasePipelineCreation": g.disable_classic_release_pipeline_creation,
        "forkProtectionEnabled": g.fork_protection_enabled,
        "buildsEnabledForForks": g.builds_enabled_for_forks,
        "enforceJobAuthScopeForForks": g.enforce_job_auth_scope_for_forks,
        "enforceNoAccessToSecretsFromForks": g.enforce_no_access_to_secrets_from_forks,
        "isCommentRequiredForPullRequest": g.is_comment_required_for_pull_request,
        "requireCommentsForNonTeamMembersOnly": false,
        "requireCommentsForNonTeamMemberAndNonContributors": false,
        "enableShellTasksArgsSanitizing": g.enable_shell_tasks_args_sanitizing,
        "enableShellTasksArgsSanitizingAudit": false
    })
}
