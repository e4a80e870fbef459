//! Contract tests: behaviours of the real Azure DevOps the crawler relies on, each checked
//! against a recorded or spec response in ../shared/ado-api/ (or a response built to the
//! documented shape), never against the simulator. The real client talks to a canned HTTP
//! responder that replays those bodies and headers byte for byte.
//!
//! docs/azure-devops-behaviour.md lists every behaviour with its source, its code and its test;
//! `every_reference_in_the_behaviour_catalogue_exists` keeps that list honest.

use std::sync::{Arc, Mutex};

use ado_posture::ado::client::{AdoClient, PagedList, api_url, continuation_token};
use ado_posture::ado::error::{AdoError, Gap};
use ado_posture::ado::models::{
    AdvSecEnablement, GitRepository, Parsed, ServiceEndpoint, parse_items,
};
use ado_posture::ado::stats::ApiStats;
use ado_posture::config::{Credential, Limits, Secret};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

/// Recorded and spec responses: the shared set beside the checkout, then the ones this
/// project found (tests/fixtures/ado-api/README.md names each one's source).
const FIXTURE_DIRS: [&str; 2] = [
    concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/../shared/ado-api/"
    ),
    concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/ado-api/"
    ),
];

fn fixture(name: &str) -> Value {
    let text = FIXTURE_DIRS
        .iter()
        .find_map(|dir| std::fs::read_to_string(format!("{dir}{name}")).ok())
        .unwrap_or_else(|| panic!("no fixture {name} in {FIXTURE_DIRS:?}"));
    serde_json::from_str(&text).unwrap()
}

/// `responses[status].body` of a fixture, as the wire bytes.
fn fixture_body(name: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&fixture(name)["responses"][status]["body"]).unwrap()
}

/// One answer of the canned responder.
#[derive(Clone)]
struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Canned {
    fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Canned {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A loopback HTTP/1.1 responder that answers the n-th request with the n-th canned answer (the
/// last one again once they run out) and keeps each request's head. Not the simulator: it
/// knows nothing of Azure DevOps, it replays what the test gives it.
async fn serve(answers: Vec<Canned>) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!(
        "http://{}/fabrikam/",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    tokio::spawn(async move {
        let mut next = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).to_lowercase());
            let answer = &answers[next.min(answers.len() - 1)];
            next += 1;
            let mut out = format!(
                "HTTP/1.1 {} Canned\r\ncontent-length: {}\r\nconnection: close\r\n",
                answer.status,
                answer.body.len()
            );
            for (name, value) in &answer.headers {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&answer.body);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
    });
    (base, requests)
}

fn client(stats: Arc<ApiStats>) -> AdoClient {
    let limits = Limits {
        max_attempts: 3,
        backoff_base_ms: 1,
        ..Limits::default()
    };
    AdoClient::new(
        "contract",
        &Credential::Pat(Secret::new("pat")),
        &limits,
        stats,
    )
    .unwrap()
}

async fn list(
    client: &AdoClient,
    base: &Url,
    route: &[&str],
    version: &str,
) -> Result<PagedList<serde_json::Value>, AdoError> {
    let mut segments = vec!["_apis"];
    segments.extend(route);
    let url = api_url(base, &segments, &[("api-version", version)]);
    client.get_list("fabrikam", &route.join("/"), url).await
}

// ---- paging ----

#[test]
fn continuation_token_is_read_from_the_recorded_header() {
    let page = fixture("pagination.continuationtoken.deploymentgroups.json");
    let mut headers = HeaderMap::new();
    for (name, value) in page["responses"]["200"]["headers"].as_object().unwrap() {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
        );
    }
    // Recorded as `x-MS-ContinuationToken`: header names are case-insensitive.
    assert_eq!(
        continuation_token(&headers).as_deref(),
        Some("MyDeploymentGroup14")
    );
    // No header, or an empty one, is the last page.
    headers.insert("x-ms-continuationtoken", HeaderValue::from_static("  "));
    assert_eq!(continuation_token(&headers), None);
    assert_eq!(continuation_token(&HeaderMap::new()), None);
}

#[tokio::test]
async fn list_pages_follow_the_header_token_to_the_end() {
    let name = "pagination.continuationtoken.deploymentgroups.json";
    let body = fixture_body(name, "200");
    let (base, requests) = serve(vec![
        Canned::new(200, body.clone()).header("x-MS-ContinuationToken", "MyDeploymentGroup14"),
        Canned::new(200, body),
    ])
    .await;
    let client = client(Arc::default());
    let list = list(
        &client,
        &base,
        &["distributedtask", "deploymentgroups"],
        "7.1",
    )
    .await
    .unwrap();
    assert_eq!((list.items.len(), list.pages), (4, 2));
    let requests = requests.lock().unwrap();
    assert!(
        !requests[0].contains("continuationtoken="),
        "{}",
        requests[0]
    );
    assert!(
        requests[1].contains("continuationtoken=mydeploymentgroup14"),
        "{}",
        requests[1]
    );
}

/// A recorded list decoded item by item into typed views and their JSON text (the crawl's path
/// for every list): each item's text is the recorded item, and a body whose item does not fit
/// its model is a decode error naming the URL, never a silently shorter list.
#[tokio::test]
async fn recorded_repositories_decode_into_typed_items_and_their_json() {
    let name = "git.repositories.list.recorded.json";
    let recorded = fixture(name)["responses"]["200"]["body"]["value"].clone();
    let mut broken = fixture(name)["responses"]["200"]["body"].clone();
    broken["value"][0]["id"] = json!(42);
    let (base, _) = serve(vec![
        Canned::new(200, fixture_body(name, "200")),
        Canned::new(200, serde_json::to_vec(&broken).unwrap()),
    ])
    .await;
    let client = client(Arc::default());
    let url = api_url(
        &base,
        &["_apis", "git", "repositories"],
        &[("api-version", "7.1")],
    );
    let list = client
        .get_list::<Parsed<GitRepository>>("fabrikam", "git/repositories", url.clone())
        .await
        .unwrap();
    let recorded = recorded.as_array().unwrap();
    assert_eq!(list.items.len(), recorded.len());
    for (parsed, item) in list.items.iter().zip(recorded) {
        assert_eq!(Some(parsed.item.id.as_str()), item["id"].as_str());
        assert_eq!(&serde_json::from_str::<Value>(&parsed.raw).unwrap(), item);
    }
    let limits = Limits {
        max_attempts: 1,
        ..Limits::default()
    };
    let once = AdoClient::new(
        "contract",
        &Credential::Pat(Secret::new("pat")),
        &limits,
        Arc::default(),
    )
    .unwrap();
    let error = once
        .get_list::<Parsed<GitRepository>>("fabrikam", "git/repositories", url)
        .await
        .unwrap_err();
    assert!(matches!(error, AdoError::Decode { .. }), "{error}");
    assert!(error.to_string().contains("git/repositories"), "{error}");
}

#[tokio::test]
async fn a_repeated_continuation_token_is_an_error_not_a_loop() {
    let body = fixture_body("pagination.continuationtoken.deploymentgroups.json", "200");
    let (base, _) = serve(vec![
        Canned::new(200, body).header("x-ms-continuationtoken", "MyDeploymentGroup14"),
    ])
    .await;
    let client = client(Arc::default());
    let error = list(
        &client,
        &base,
        &["distributedtask", "deploymentgroups"],
        "7.1",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, AdoError::RepeatedContinuationToken { ref token, .. } if token == "MyDeploymentGroup14"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_bom_before_a_json_body_is_skipped() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(fixture_body("projects.list.recorded.json", "200"));
    let (base, _) = serve(vec![Canned::new(200, body)]).await;
    let client = client(Arc::default());
    let list = list(&client, &base, &["projects"], "7.1").await.unwrap();
    assert!(!list.items.is_empty());
}

// ---- authentication and permission errors ----

#[tokio::test]
async fn a_203_sign_in_page_is_an_authentication_failure() {
    let page = "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>";
    let (base, requests) = serve(vec![
        Canned::new(203, page).header("content-type", "text/html; charset=utf-8"),
    ])
    .await;
    let client = client(Arc::default());
    let error = list(&client, &base, &["projects"], "7.1")
        .await
        .unwrap_err();
    assert!(
        matches!(error, AdoError::Unauthorized { status: 203, .. }),
        "{error:?}"
    );
    // Never retried as a malformed body, and never read as data.
    assert_eq!(requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_rejected_credential_is_a_401_with_an_empty_body_when_redirects_are_suppressed() {
    let recorded = fixture("errors.401.recorded.json");
    let headers = &recorded["responses"]["401"]["headers"];
    let (base, requests) = serve(vec![Canned::new(401, Vec::new()).header(
        "www-authenticate",
        headers["www-authenticate"].as_str().unwrap(),
    )])
    .await;
    let client = client(Arc::default());
    let error = list(&client, &base, &["projects"], "7.1")
        .await
        .unwrap_err();
    assert!(
        matches!(error, AdoError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    assert_eq!(
        error.gap(),
        None,
        "a rejected credential fails the organization"
    );
    assert!(
        requests.lock().unwrap()[0].contains("x-tfs-fedauthredirect: suppress"),
        "the client must ask for 401 rather than the sign-in page"
    );
}

#[tokio::test]
async fn tf400813_after_a_success_is_one_routes_missing_scope() {
    let bodies = fixture("errors.server-versions.json");
    let tf400813 =
        serde_json::to_vec(&bodies["bodies"]["TF400813_missing_scope_or_no_access"]["body"])
            .unwrap();
    let (base, _) = serve(vec![
        Canned::new(200, fixture_body("projects.list.recorded.json", "200")),
        Canned::new(401, tf400813),
    ])
    .await;
    let client = client(Arc::default());
    list(&client, &base, &["projects"], "7.1").await.unwrap();
    let error = list(&client, &base, &["git", "repositories"], "7.1")
        .await
        .unwrap_err();
    match &error {
        AdoError::RouteUnauthorized { hint, .. } => assert!(hint.contains("vso.code"), "{hint}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(error.gap(), Some(Gap::NotEvaluated));
}

#[tokio::test]
async fn tf401019_404_is_that_resources_gap() {
    // The documented shape of "does not exist or you do not have permissions".
    let tf401019 = json!({
        "$id": "1", "innerException": null,
        "message": "TF401019: The Git repository with name or identifier web does not exist or you do not have permissions for the operation you are attempting.",
        "typeName": "Microsoft.TeamFoundation.Git.Server.GitRepositoryNotFoundException, Microsoft.TeamFoundation.Git.Server",
        "typeKey": "GitRepositoryNotFoundException", "errorCode": 0, "eventId": 3000
    });
    let (base, _) = serve(vec![
        Canned::new(404, serde_json::to_vec(&tf401019).unwrap()),
        Canned::new(404, fixture_body("errors.404.recorded.json", "404")),
    ])
    .await;
    let client = client(Arc::default());
    for expected in ["TF401019", "TF"] {
        let error = list(&client, &base, &["git", "repositories", "web"], "7.1")
            .await
            .unwrap_err();
        match &error {
            AdoError::NotFound { message, .. } => {
                assert!(message.starts_with(expected), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(error.gap(), Some(Gap::NotAvailable));
    }
}

#[tokio::test]
async fn a_route_the_deployment_lacks_is_a_plain_text_404_and_not_available() {
    // Azure DevOps Server has no Advanced Security: its router answers in plain text.
    let text = "The controller for path '/tfs/DefaultCollection/_apis/management/enablement' was not found or does not implement IController.";
    let (base, _) = serve(vec![
        Canned::new(404, text).header("content-type", "text/plain"),
    ])
    .await;
    let client = client(Arc::default());
    let error = list(
        &client,
        &base,
        &["management", "enablement"],
        "7.2-preview.3",
    )
    .await
    .unwrap_err();
    match &error {
        AdoError::NotFound { message, .. } => {
            assert!(message.contains("controller for path"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.gap(), Some(Gap::NotAvailable));
}

// ---- the consumption limit ----

#[tokio::test]
async fn a_429_tf400733_is_retried_after_retry_after() {
    let blocked = json!({
        "$id": "1", "innerException": null,
        "message": "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'ATCPU' in namespace 'User'.",
        "typeName": "Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server",
        "typeKey": "RequestBlockedException", "errorCode": 0, "eventId": 3000
    });
    let (base, _) = serve(vec![
        Canned::new(429, serde_json::to_vec(&blocked).unwrap())
            .header("retry-after", "1")
            .header("x-ratelimit-resource", "ATCPU/User"),
        Canned::new(200, fixture_body("projects.list.recorded.json", "200")),
    ])
    .await;
    let stats = Arc::new(ApiStats::default());
    let client = client(stats.clone());
    let started = std::time::Instant::now();
    list(&client, &base, &["projects"], "7.1").await.unwrap();
    let totals = stats.totals();
    assert_eq!((totals.calls, totals.blocked, totals.retries), (2, 1, 1));
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After was not honoured"
    );
}

// ---- api-versions on Azure DevOps Server ----

#[tokio::test]
async fn a_version_out_of_range_is_retried_at_the_version_the_server_names() {
    let bodies = fixture("errors.server-versions.json");
    let out_of_range =
        serde_json::to_vec(&bodies["bodies"]["VssVersionOutOfRangeException"]["body"]).unwrap();
    let (base, requests) = serve(vec![
        Canned::new(400, out_of_range),
        Canned::new(200, fixture_body("projects.list.recorded.json", "200")),
    ])
    .await;
    let client = client(Arc::default());
    list(&client, &base, &["projects"], "7.1").await.unwrap();
    let requests = requests.lock().unwrap();
    assert!(requests[1].contains("api-version=5.1 "), "{}", requests[1]);
    assert_eq!(client.negotiated_api_version().as_deref(), Some("5.1"));
}

#[tokio::test]
async fn a_plain_version_on_a_preview_route_is_retried_with_preview() {
    let bodies = fixture("errors.server-versions.json");
    let preview = serde_json::to_vec(
        &bodies["bodies"]["VssInvalidPreviewVersionException"]["exampleForServer2020"],
    )
    .unwrap();
    let (base, requests) = serve(vec![
        Canned::new(400, preview),
        Canned::new(
            200,
            fixture_body("distributedtask.variablegroups.list.json", "200"),
        ),
    ])
    .await;
    let client = client(Arc::default());
    list(
        &client,
        &base,
        &["distributedtask", "variablegroups"],
        "6.0",
    )
    .await
    .unwrap();
    let requests = requests.lock().unwrap();
    assert!(
        requests[1].contains("api-version=6.0-preview"),
        "{}",
        requests[1]
    );
}

// ---- shapes ----

#[test]
fn not_ready_service_connections_parse_like_any_other() {
    let mut body =
        fixture("serviceendpoint.endpoints.list.json")["responses"]["200"]["body"].clone();
    let items = body["value"].as_array_mut().unwrap();
    items[0]["isReady"] = json!(false);
    items[0]["type"] = json!("AzureRM");
    let parsed = parse_items::<ServiceEndpoint>(items.clone()).unwrap();
    assert_eq!(parsed[0].item.is_ready, Some(false));
    assert_eq!(parsed[0].item.endpoint_type.as_deref(), Some("AzureRM"));
}

#[test]
fn advanced_security_enablement_reads_both_preview_shapes() {
    // 7.2-preview.3: the split plans (Code Security, Secret Protection).
    let split: AdvSecEnablement = serde_json::from_value(json!({
        "reposEnablementStatus": [{
            "projectId": "p", "repositoryId": "r",
            "codeSecurityFeatures": { "codeSecurityEnabled": false, "codeQLEnabled": false, "dependencyScanningInjectionEnabled": false, "autofixEnabled": false },
            "secretProtectionFeatures": { "secretProtectionEnabled": true, "blockPushes": true }
        }],
        "enablementOnCreateSettings": { "enableCodeSecurityOnCreate": false, "enableSecretProtectionOnCreate": true }
    }))
    .unwrap();
    let repo = &split.repos_enablement_status[0];
    assert_eq!(
        (
            repo.code_security(),
            repo.secret_protection(),
            repo.block_pushes()
        ),
        (false, true, true)
    );
    // 7.2-preview.1: one switch for everything.
    let single: AdvSecEnablement = serde_json::from_value(json!({
        "enableOnCreate": false,
        "reposEnablementStatus": [{
            "projectId": "p", "repositoryId": "r", "advSecEnabled": true,
            "advSecEnablementLastChangedDate": "2024-01-01T00:00:00Z", "blockPushes": false,
            "advSecEnablementFeatures": { "codeQLEnabled": true }
        }]
    }))
    .unwrap();
    let repo = &single.repos_enablement_status[0];
    assert_eq!(
        (
            repo.code_security(),
            repo.secret_protection(),
            repo.block_pushes()
        ),
        (true, true, false)
    );
}

// ---- the catalogue itself ----

/// Every `src/…rs::name` or `tests/…rs::name` the catalogue names is a function (or constant)
/// of that file, every fixture it names exists, every behaviour row names at least one test,
/// and there are at least 20 rows.
#[test]
fn every_reference_in_the_behaviour_catalogue_exists() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let doc = std::fs::read_to_string(format!("{root}/docs/azure-devops-behaviour.md")).unwrap();
    let mut rows = 0;
    let mut missing = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells[0]
            .trim_start_matches("| ")
            .trim()
            .parse::<u32>()
            .is_err()
        {
            continue;
        }
        rows += 1;
        let references = |cell: &str| -> Vec<(String, String)> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .filter_map(|code| {
                    let (path, name) = code.split_once("::")?;
                    (path.ends_with(".rs")
                        && (path.starts_with("src/") || path.starts_with("tests/")))
                    .then(|| (path.to_string(), name.to_string()))
                })
                .collect()
        };
        let tests = references(cells.last().unwrap_or(&""));
        if tests.is_empty() {
            missing.push(format!("no test named in: {line}"));
        }
        // Every fixture a row names is in the shared set or this project's own.
        for name in line
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|code| code.ends_with(".json") && !code.contains('/'))
        {
            if !FIXTURE_DIRS
                .iter()
                .any(|dir| std::path::Path::new(&format!("{dir}{name}")).is_file())
            {
                missing.push(format!("fixture {name}"));
            }
        }
        for (path, name) in references(line) {
            let source = std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_default();
            let defined = [
                format!("fn {name}("),
                format!("fn {name}<"),
                format!("const {name}:"),
                format!("struct {name} "),
                format!("enum {name} "),
            ]
            .iter()
            .any(|d| source.contains(d.as_str()));
            if !defined {
                missing.push(format!("{path}::{name}"));
            }
        }
    }
    assert!(rows >= 20, "only {rows} behaviours");
    assert!(
        missing.is_empty(),
        "stale references:\n{}",
        missing.join("\n")
    );
}
