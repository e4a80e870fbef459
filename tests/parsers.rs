//! Property tests for every parser of untrusted input: the Azure DevOps responses (typed models,
//! error bodies, API versions and resource locations, PAT scopes), the SQL rule headers and the
//! config file. Each property feeds arbitrary input, or a real fixture mutated, and checks that
//! parsing ends in a value or a typed error, never a panic, and that what is kept is clean.
//!
//! Real inputs: the response fixtures in `../shared/ado-api/*.json`, the built-in rules in
//! `sql/rules/*.sql` and a config using every auth kind. Case counts are set per property
//! (`ProptestConfig::with_cases`) so the file runs in seconds in the dev profile.
//!
//! Not covered here: the `x-ms-continuationtoken` header is read inline in
//! `AdoClient::get_list` (trim, drop empty), with no pure function to call.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ado_posture::ado::error::{error_message, sanitize_message, strip_bom};
use ado_posture::ado::models::*;
use ado_posture::ado::scopes::{scope_for, scope_for_url};
use ado_posture::ado::versions::{
    ResourceLocation, cap, find_location, is_preview_required, latest_in_message, negotiate,
    parse_requested, parse_version,
};
use ado_posture::config::{self, ConfigError, ConfigFile};
use ado_posture::rules::{RuleError, Severity, parse_rule, parse_view};
use proptest::prelude::*;
use proptest::sample::Index;
use serde::de::DeserializeOwned;
use serde_json::Value;

const BOM: &[u8] = b"\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------------
// Real inputs
// ---------------------------------------------------------------------------------------------

/// Every response body of the fixtures: `responses.<status>.body`, and the error bodies of
/// `errors.server-versions.json` (`bodies.<name>.body`).
fn fixture_bodies() -> &'static [(String, Value)] {
    static BODIES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    BODIES.get_or_init(|| {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let mut files: Vec<PathBuf> = ["../shared/ado-api", "tests/fixtures/ado-api"]
            .iter()
            .flat_map(|dir| {
                let dir = root.join(dir);
                std::fs::read_dir(&dir)
                    .unwrap_or_else(|e| panic!("fixtures {}: {e}", dir.display()))
            })
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let mut bodies = Vec::new();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let fixture: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            for group in ["responses", "bodies"] {
                if let Some(responses) = fixture.get(group).and_then(Value::as_object) {
                    for (status, response) in responses {
                        if let Some(body) = response.get("body") {
                            bodies.push((format!("{name} {group}.{status}"), body.clone()));
                        }
                    }
                }
            }
        }
        assert!(bodies.len() >= 30, "only {} fixture bodies", bodies.len());
        bodies
    })
}

/// A fixture body with its lists cut to their first items, so that each mutated case parses
/// in about a millisecond (the locations fixture alone has 820 entries).
fn trimmed(body: &Value) -> Value {
    match body {
        Value::Array(items) => Value::Array(items.iter().take(12).map(trimmed).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), trimmed(v))).collect())
        }
        other => other.clone(),
    }
}

/// The resource locations a real service lists (`OPTIONS /_apis`).
fn real_locations() -> &'static [ResourceLocation] {
    static LOCATIONS: OnceLock<Vec<ResourceLocation>> = OnceLock::new();
    LOCATIONS.get_or_init(|| {
        let body = &fixture_bodies()
            .iter()
            .find(|(name, _)| name.starts_with("locations.options.json"))
            .expect("locations.options.json")
            .1;
        let locations: Vec<ResourceLocation> = body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect();
        assert!(locations.len() > 100);
        locations
    })
}

/// The built-in rule files: (file name, text).
fn rule_files() -> &'static [(String, String)] {
    static RULES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    RULES.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("sql/rules");
        let mut rules: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        rules.sort();
        assert!(rules.len() >= 10);
        rules
    })
}

/// A config that resolves, with every auth kind, e-mail, limits, rules and an exemption.
const VALID_CONFIG: &str = r#"
[output]
dir = "out"
retain_days = 30

[limits]
requests_per_second = 10
burst = 20
max_concurrency = 8
max_organizations = 2
max_attempts = 3
backoff_base_ms = 100

[rules]
directory = "rules"

[[connector]]
name = "cloud"
url = "https://dev.azure.com"
organizations = ["*"]
include_projects = ["app-*"]
exclude_projects = ["sandbox-?"]
auth = { kind = "pat", token_env = "ADO_PAT" }

[[connector]]
name = "server"
url = "https://tfs.contoso.com/tfs"
deployment = "server"
organizations = ["DefaultCollection"]
detailed_pipeline_permissions = true
auth = { kind = "service_principal", tenant_id = "t", client_id = "c", secret_env = "SP_SECRET", authority_url = "https://login.microsoftonline.us" }

[[connector]]
name = "managed"
url = "https://contoso.visualstudio.com"
organizations = ["contoso"]
auth = { kind = "managed_identity", client_id = "c" }

[[connector]]
name = "workload"
url = "http://127.0.0.1:8080"
organizations = ["o1"]
vssps_url = "http://127.0.0.1:8080"
advsec_url = "http://127.0.0.1:8080"
auth = { kind = "workload_identity" }

[[connector]]
name = "cli"
url = "https://dev.azure.com"
organizations = ["o2"]
auth = { kind = "azure_cli" }

[email]
smtp_url = "smtp://mail.contoso.com:587"
from = "ado-posture@contoso.com"
to = ["secops@contoso.com"]
cc = ["Team <team@contoso.com>"]
username = "bot"
password_env = "SMTP_PASSWORD"
subject_prefix = "[posture]"
report_url = "https://share.contoso.com/posture"

[[exemption]]
rule = "ADO-REPO-002"
resource = "contoso/Legacy/*"
reason = "archived, read-only"
expires = "2027-03-31"
"#;

/// The environment the valid config reads its secrets and identities from.
fn test_env(var: &str) -> Option<String> {
    match var {
        "ADO_PAT" | "SP_SECRET" | "SMTP_PASSWORD" | "AZURE_TENANT_ID" | "AZURE_CLIENT_ID" => {
            Some(format!("value-of-{var}"))
        }
        "AZURE_FEDERATED_TOKEN_FILE" => Some("/var/run/secrets/token".into()),
        _ => None,
    }
}

/// A folder for the config files `config::load` reads; one file name per property.
fn config_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Field names of the models and of the envelopes, so arbitrary JSON reaches the typed paths.
#[rustfmt::skip]
const JSON_KEYS: &[&str] = &[
    "id",
    "name",
    "value",
    "count",
    "type",
    "project",
    "state",
    "visibility",
    "revision",
    "lastUpdateTime",
    "defaultBranch",
    "isDisabled",
    "isFork",
    "size",
    "webUrl",
    "displayName",
    "isEnabled",
    "isBlocking",
    "isDeleted",
    "settings",
    "scope",
    "repositoryId",
    "refName",
    "matchKind",
    "minimumApproverCount",
    "url",
    "authorization",
    "scheme",
    "isShared",
    "isReady",
    "owner",
    "serviceEndpointProjectReferences",
    "variables",
    "isSecret",
    "providerData",
    "vault",
    "serviceEndpointId",
    "authorized",
    "isHosted",
    "poolType",
    "pool",
    "modifiedOn",
    "path",
    "process",
    "yamlFilename",
    "repository",
    "triggers",
    "triggerType",
    "forks",
    "enabled",
    "allowSecrets",
    "allowFullAccessToken",
    "isCommentRequiredForPullRequest",
    "jobAuthorizationScope",
    "resource",
    "timeout",
    "allPipelines",
    "pipelines",
    "reposEnablementStatus",
    "projectId",
    "codeSecurityFeatures",
    "codeSecurityEnabled",
    "secretProtectionFeatures",
    "secretProtectionEnabled",
    "blockPushes",
    "advSecEnabled",
    "alertId",
    "alertType",
    "severity",
    "title",
    "firstSeenDate",
    "gitRef",
    "accountId",
    "accountName",
    "accountUri",
    "message",
    "typeKey",
    "$id",
    "area",
    "resourceName",
    "routeTemplate",
    "resourceVersion",
    "maxVersion",
    "releasedVersion",
];

/// Strings with a meaning somewhere in the models, and troublesome ones.
#[rustfmt::skip]
const SPECIAL_STRINGS: &[&str] = &[
    "",
    " ",
    "pullRequest",
    "projectCollection",
    "project",
    "7.1",
    "6.0-preview.1",
    "0.0",
    "{project}/_apis/{area}/{resource}",
    "refs/heads/main",
    "Prefix",
    "Exact",
    "\u{feff}",
    "\0",
    "\u{1b}[31m",
    "\r\n",
    "\u{202e}",
    "\u{2028}",
    "\u{85}",
    "null",
    "1e999",
    "00000000-0000-0000-0000-000000000000",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => any::<String>(),
        4 => "\\PC{0,24}",
        4 => prop::sample::select(SPECIAL_STRINGS).prop_map(str::to_string),
        1 => (0usize..20_000, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(JSON_KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-3i64..20).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(json_key(), inner, 0..10)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One change to a fixture body at a node picked by `Index`.
#[derive(Debug, Clone)]
enum JsonMutation {
    Delete,
    Replace(Value),
    Retype,
    /// A string of this many characters.
    Huge(usize, char),
    ControlCharacters(String),
    /// Wrapped in this many arrays.
    Nest(usize),
}

fn json_mutation() -> impl Strategy<Value = JsonMutation> {
    prop_oneof![
        3 => Just(JsonMutation::Delete),
        3 => json_value().prop_map(JsonMutation::Replace),
        3 => Just(JsonMutation::Retype),
        1 => (1000usize..64_000, any::<char>()).prop_map(|(n, c)| JsonMutation::Huge(n, c)),
        2 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{feff}\\u{202e}a-z]{1,40}"
            .prop_map(JsonMutation::ControlCharacters),
        1 => (1usize..64).prop_map(JsonMutation::Nest),
    ]
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Item(usize),
}

fn json_paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Seg::Key(key.clone()));
                json_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Seg::Item(i));
                json_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn json_at<'a>(value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Item(i) => v.get_mut(*i),
    })
}

fn mutate_json(value: &mut Value, at: &Index, mutation: &JsonMutation) {
    let mut paths = Vec::new();
    json_paths(value, &mut Vec::new(), &mut paths);
    let path = at.get(&paths).clone();
    if let JsonMutation::Delete = mutation {
        match path.split_last() {
            None => *value = Value::Null,
            Some((last, parent)) => match (json_at(value, parent), last) {
                (Some(Value::Object(map)), Seg::Key(k)) => {
                    map.remove(k);
                }
                (Some(Value::Array(items)), Seg::Item(i)) => {
                    items.remove(*i);
                }
                _ => unreachable!("paths come from this value"),
            },
        }
        return;
    }
    let node = json_at(value, &path).expect("paths come from this value");
    *node = match mutation {
        JsonMutation::Delete => unreachable!(),
        JsonMutation::Replace(v) => v.clone(),
        JsonMutation::Retype => match node.take() {
            Value::Null => Value::Bool(true),
            Value::Bool(b) => Value::String(b.to_string()),
            Value::Number(n) => Value::String(n.to_string()),
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(s.len())),
            Value::Array(items) => Value::Object(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            Value::Object(map) => Value::Array(map.into_iter().map(|(_, v)| v).collect()),
        },
        JsonMutation::Huge(n, c) => Value::String(c.to_string().repeat(*n)),
        JsonMutation::ControlCharacters(s) => Value::String(s.clone()),
        JsonMutation::Nest(depth) => {
            let mut v = node.take();
            for _ in 0..*depth {
                v = Value::Array(vec![v]);
            }
            v
        }
    };
}

/// Damage to a body's bytes: insert bytes at a position, or cut it.
#[derive(Debug, Clone)]
enum ByteMutation {
    None,
    Insert(Index, Vec<u8>),
    Truncate(Index),
    /// Nest the whole body this deep, past serde_json's recursion limit.
    DeepNest(usize),
}

fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    prop_oneof![
        4 => Just(ByteMutation::None),
        2 => (any::<Index>(), prop_oneof![
                prop::collection::vec(any::<u8>(), 1..8),
                prop::sample::select(vec![
                    b"\\ud800".to_vec(), b"\\u0000".to_vec(), b"\xff\xfe".to_vec(),
                    b"\xc3".to_vec(), b"1e99999".to_vec(), BOM.to_vec(), b"\"".to_vec(),
                ]),
            ]).prop_map(|(i, b)| ByteMutation::Insert(i, b)),
        1 => any::<Index>().prop_map(ByteMutation::Truncate),
        1 => (100usize..2_000).prop_map(ByteMutation::DeepNest),
    ]
}

fn apply_bytes(mut body: Vec<u8>, mutation: &ByteMutation) -> Vec<u8> {
    match mutation {
        ByteMutation::None => body,
        ByteMutation::Insert(at, bytes) => {
            let i = at.index(body.len() + 1);
            body.splice(i..i, bytes.iter().copied());
            body
        }
        ByteMutation::Truncate(at) => {
            body.truncate(at.index(body.len() + 1));
            body
        }
        ByteMutation::DeepNest(depth) => {
            let mut out = b"{\"value\":[".to_vec();
            out.extend(std::iter::repeat_n(b'[', *depth));
            out.extend(&body);
            out.extend(std::iter::repeat_n(b']', *depth));
            out.extend(b"]}");
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the crawler does with a body
// ---------------------------------------------------------------------------------------------

/// Parses `body` as one `T` and `items` as a list of `T`, as the crawler does, and reads every
/// derived value the tables stage reads.
fn try_model<T: DeserializeOwned>(body: &Value, items: &[Value], inspect: impl Fn(&T)) {
    if let Ok(item) = serde_json::from_value::<T>(body.clone()) {
        inspect(&item);
    }
    if let Ok(parsed) = parse_items::<T>(items.to_vec()) {
        assert_eq!(parsed.len(), items.len());
        for p in &parsed {
            inspect(&p.item);
            assert!(serde_json::from_str::<Value>(&p.raw).is_ok(), "raw is JSON");
        }
    }
}

/// For the models with no derived values.
fn nothing<T>(_: &T) {}

fn inspect_enablement(r: &RepoEnablement) {
    let _ = (r.code_security(), r.secret_protection(), r.block_pushes());
}

/// Every typed view of a response body, as a single object and as the items of a list.
fn parse_every_model(body: &Value) {
    let items = serde_json::from_value::<Envelope<Value>>(body.clone())
        .map(|e| e.value)
        .unwrap_or_default();
    try_model::<Profile>(body, &items, nothing);
    try_model::<Account>(body, &items, nothing);
    try_model::<Project>(body, &items, nothing);
    try_model::<ProjectRef>(body, &items, nothing);
    try_model::<GitRepository>(body, &items, nothing);
    try_model::<PolicyTypeRef>(body, &items, nothing);
    try_model::<PolicyConfiguration>(body, &items, |p: &PolicyConfiguration| {
        let _ = p.scopes();
        let _ = p.setting_i64("minimumApproverCount");
        let _ = p.setting_bool("creatorVoteCounts");
    });
    try_model::<PolicyScope>(body, &items, nothing);
    try_model::<ServiceEndpoint>(body, &items, nothing);
    try_model::<EndpointAuthorization>(body, &items, nothing);
    try_model::<VariableGroup>(body, &items, nothing);
    try_model::<Variable>(body, &items, nothing);
    try_model::<KeyVaultProvider>(body, &items, nothing);
    try_model::<AuthorizedResource>(body, &items, nothing);
    try_model::<AgentPool>(body, &items, nothing);
    try_model::<AgentQueue>(body, &items, nothing);
    try_model::<SecureFile>(body, &items, nothing);
    try_model::<Environment>(body, &items, nothing);
    try_model::<BuildDefinition>(body, &items, |d: &BuildDefinition| {
        let _ = d.pull_request_forks();
        let _ = d.pull_request_comment_required();
        let _ = d.job_authorization_scope();
    });
    try_model::<BuildProcess>(body, &items, nothing);
    try_model::<BuildRepository>(body, &items, nothing);
    try_model::<ForkSettings>(body, &items, nothing);
    try_model::<CheckConfiguration>(body, &items, nothing);
    try_model::<CheckType>(body, &items, nothing);
    try_model::<CheckResource>(body, &items, nothing);
    try_model::<PipelinePermissions>(body, &items, |p: &PipelinePermissions| {
        let _ = (p.open_to_all(), p.authorized_pipelines());
    });
    try_model::<AllPipelines>(body, &items, nothing);
    try_model::<PipelinePermission>(body, &items, nothing);
    try_model::<AdvSecEnablement>(body, &items, |a: &AdvSecEnablement| {
        a.repos_enablement_status
            .iter()
            .for_each(inspect_enablement);
    });
    try_model::<RepoEnablement>(body, &items, inspect_enablement);
    try_model::<CodeSecurityFeatures>(body, &items, nothing);
    try_model::<SecretProtectionFeatures>(body, &items, nothing);
    try_model::<Alert>(body, &items, nothing);
    try_model::<ResourceLocation>(body, &items, nothing);
    // The client keeps the locations that parse and drops the others.
    let locations: Vec<ResourceLocation> = items
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect();
    let _ = find_location(&locations, &["build", "definitions"]);
}

/// The client's path from bytes: strip the BOM, decode the envelope, parse the items; and the
/// error path: the message of a non-2xx body.
fn decode_bytes(body: &[u8]) {
    // `parse_every_model` reads the envelope from the value as the client does from the bytes.
    if let Ok(value) = serde_json::from_slice::<Value>(strip_bom(body)) {
        parse_every_model(&value);
    }
    assert_clean_message(&error_message(body));
}

/// What `sanitize_message` promises: no control characters, at most 300 characters and an
/// ellipsis.
fn assert_clean_message(message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "control character in {message:?}"
    );
    assert!(
        message.chars().count() <= 301,
        "{} characters",
        message.chars().count()
    );
}

// ---------------------------------------------------------------------------------------------
// 1. JSON models
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Arbitrary JSON, as a body and as a list's items, into every model: Ok or Err.
    #[test]
    fn models_parse_arbitrary_json(value in json_value(), items in prop::collection::vec(json_value(), 0..4)) {
        parse_every_model(&value);
        parse_every_model(&serde_json::json!({ "count": items.len(), "value": items }));
    }

    /// Arbitrary bytes through the client's decode path and the error path.
    #[test]
    fn models_decode_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), bom in any::<bool>()) {
        let body = if bom { [BOM, &bytes].concat() } else { bytes };
        decode_bytes(&body);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Real fixtures with nodes deleted, replaced, retyped, made huge, filled with control
    /// characters or nested, then their bytes damaged: every model, as object and as list.
    #[test]
    fn models_parse_mutated_fixtures(
        fixture in any::<Index>(),
        mutations in prop::collection::vec((any::<Index>(), json_mutation()), 1..5),
        bytes in byte_mutation(),
        bom in any::<bool>(),
    ) {
        let (_, original) = fixture.get(fixture_bodies());
        let mut body = trimmed(original);
        for (at, mutation) in &mutations {
            mutate_json(&mut body, at, mutation);
        }
        // The client only ever sees values decoded from bytes; a mutation that nests the body
        // past serde_json's recursion limit is refused there (the `DeepNest` case below).
        if let Some(decoded) = as_the_client_reads(&body) {
            parse_every_model(&decoded);
        }
        let mut raw = if bom { BOM.to_vec() } else { Vec::new() };
        raw.extend(serde_json::to_vec(&body).unwrap());
        decode_bytes(&apply_bytes(raw, &bytes));
    }
}

/// `body` as the client gets it: written to bytes and decoded, or `None` when serde_json refuses
/// those bytes (nested past its recursion limit).
fn as_the_client_reads(body: &Value) -> Option<Value> {
    serde_json::from_slice(&serde_json::to_vec(body).ok()?).ok()
}

/// Regression (proptest, fixture 4, three `Nest` mutations of 53 + 28 + 45 levels): an item
/// nested in memory past 128 levels gave a `raw` that serde_json could not read back. From bytes,
/// such a list is refused whole; an item as deep as a decodable list allows keeps a readable `raw`.
#[test]
fn deeply_nested_items_are_refused_or_keep_a_readable_raw() {
    let nested = |depth: usize| {
        let mut item = serde_json::json!({ "id": "r" });
        for _ in 0..depth {
            item = Value::Array(vec![item]);
        }
        serde_json::json!({ "count": 1, "value": [item] })
    };
    assert!(
        as_the_client_reads(&nested(126)).is_none(),
        "128 levels with the envelope"
    );
    let deepest = (0..126)
        .rev()
        .find_map(|depth| as_the_client_reads(&nested(depth)))
        .expect("a decodable depth");
    let items = serde_json::from_value::<Envelope<Value>>(deepest)
        .expect("envelope")
        .value;
    let parsed = parse_items::<Value>(items).expect("items parse");
    for p in &parsed {
        assert!(serde_json::from_str::<Value>(&p.raw).is_ok(), "raw is JSON");
    }
}

/// The fixtures themselves decode (the properties above are not just exercising errors).
#[test]
fn fixture_bodies_decode_as_lists_or_objects() {
    let lists = fixture_bodies()
        .iter()
        .filter(|(_, body)| serde_json::from_value::<Envelope<Value>>(body.clone()).is_ok())
        .count();
    assert!(lists >= 15, "{lists} list bodies");
    for (_, body) in fixture_bodies() {
        decode_bytes(&serde_json::to_vec(body).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Error bodies
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn error_message_of_arbitrary_bytes_is_clean_and_bounded(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        bom in any::<bool>(),
    ) {
        let body = if bom { [BOM, &bytes].concat() } else { bytes };
        assert_clean_message(&error_message(&body));
    }

    /// An Azure DevOps error body: its `message`, sanitized, whatever it holds.
    #[test]
    fn error_message_reads_the_message_of_error_bodies(
        message in text(),
        extra in prop::collection::btree_map(json_key(), json_leaf(), 0..4),
        bom in any::<bool>(),
    ) {
        let mut object: serde_json::Map<String, Value> = extra.into_iter().collect();
        object.insert("message".into(), Value::String(message.clone()));
        let mut body = if bom { BOM.to_vec() } else { Vec::new() };
        body.extend(serde_json::to_vec(&Value::Object(object)).unwrap());
        let read = error_message(&body);
        prop_assert_eq!(&read, &sanitize_message(&message));
        assert_clean_message(&read);
    }

    #[test]
    fn sanitize_message_is_clean_bounded_and_idempotent(message in text()) {
        let clean = sanitize_message(&message);
        assert_clean_message(&clean);
        prop_assert_eq!(sanitize_message(&clean), clean);
    }

    #[test]
    fn strip_bom_removes_exactly_one_leading_bom(bytes in prop::collection::vec(any::<u8>(), 0..64), bom in any::<bool>()) {
        let body = if bom { [BOM, &bytes].concat() } else { bytes.clone() };
        let stripped = strip_bom(&body);
        if bom {
            prop_assert_eq!(stripped, &bytes[..]);
        } else if bytes.starts_with(BOM) {
            prop_assert_eq!(stripped, &bytes[3..]);
        } else {
            prop_assert_eq!(stripped, &bytes[..]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. API versions and resource locations
// ---------------------------------------------------------------------------------------------

/// `major.minor[-preview[.N]]`, sometimes malformed.
fn version_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9]{1,3}(\\.[0-9]{1,3})?(-preview(\\.[0-9]{1,3})?)?",
        1 => "[0-9]{0,11}\\.?[0-9]{0,11}(-[a-z]{0,8}\\.?[0-9]{0,11})?",
        1 => " ?[0-9.\\-a-z ]{0,12}",
        1 => any::<String>(),
    ]
}

fn location() -> impl Strategy<Value = ResourceLocation> {
    let piece = prop_oneof![
        Just("_apis".to_string()),
        Just("_APIS".to_string()),
        Just("{project}".to_string()),
        Just("{area}".to_string()),
        Just("{resource}".to_string()),
        Just("{*rest}".to_string()),
        Just("{id}".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(String::new()),
        "[a-zA-Z]{1,6}",
        any::<String>(),
    ];
    (
        "[a-zA-Z]{0,6}",
        "[a-zA-Z]{0,6}",
        prop::collection::vec(piece, 0..7),
        any::<u32>(),
        version_text(),
        version_text(),
    )
        .prop_map(
            |(area, resource_name, pieces, resource_version, max, released)| ResourceLocation {
                area,
                resource_name,
                route_template: pieces.join("/"),
                resource_version,
                max_version: max,
                released_version: released,
            },
        )
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{1,6}",
        prop::sample::select(vec![
            "build",
            "definitions",
            "distributedtask",
            "variablegroups",
            "git",
            "repositories",
            "_apis",
            "Build",
            "",
            "{id}",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn version_parsers_never_panic(
        text in version_text(),
        latest in (any::<u32>(), any::<u32>()),
        needs_preview in any::<bool>(),
        message in any::<String>(),
    ) {
        let _ = parse_version(&text);
        let _ = parse_requested(&text);
        let _ = latest_in_message(&message);
        let _ = latest_in_message(&format!("{message} latest REST API version {text}"));
        let _ = is_preview_required(&message);
        let capped = cap(&text, latest, needs_preview);
        prop_assert_eq!(capped.is_some(), parse_requested(&text).is_some());
        if let Some(capped) = capped {
            let asked = parse_requested(&text).unwrap();
            let answer = parse_requested(&capped).expect("cap answers a version");
            prop_assert_eq!(answer.version, asked.version.min(latest));
            prop_assert!(answer.preview || !(asked.preview || needs_preview));
        }
    }

    #[test]
    fn requested_versions_round_trip(
        major in any::<u32>(),
        minor in any::<u32>(),
        preview in prop::option::of(prop::option::of(any::<u32>())),
    ) {
        let suffix = match preview {
            None => String::new(),
            Some(None) => "-preview".into(),
            Some(Some(n)) => format!("-preview.{n}"),
        };
        let parsed = parse_requested(&format!("{major}.{minor}{suffix}")).unwrap();
        prop_assert_eq!(parsed.version, (major, minor));
        prop_assert_eq!(parsed.preview, preview.is_some());
        prop_assert_eq!(parsed.resource_version, preview.flatten());
    }

    /// The server's message names its newest version, whatever surrounds it.
    #[test]
    fn latest_version_is_read_from_messages(
        prefix in "\\PC{0,40}",
        major in any::<u32>(),
        minor in any::<u32>(),
        older_wording in any::<bool>(),
        suffix in "(\\.?( \\PC{0,20})?)",
    ) {
        let wording = if older_wording { "for this server is" } else { "this server supports is" };
        let message = format!("{prefix} The latest REST API version {wording} {major}.{minor}{suffix}");
        prop_assert_eq!(latest_in_message(&message), Some((major, minor)));
    }

    /// Negotiation never panics, and answers a version no newer than asked.
    #[test]
    fn negotiate_answers_a_version_no_newer_than_asked(requested in version_text(), location in location()) {
        if let Some(answer) = negotiate(&requested, &location) {
            let asked = parse_requested(&requested).expect("negotiate parsed it");
            let answer = parse_requested(&answer).expect("negotiate answers a version");
            prop_assert!(answer.version <= asked.version);
        }
    }

    /// A version the route has released is sent as asked (whatever its newest version, as long
    /// as that parses: without it `negotiate` answers `None` and the client sends the request
    /// as asked).
    #[test]
    fn negotiate_keeps_a_released_version(
        asked in (0u32..20, 0u32..20),
        up in (0u32..3, 0u32..5),
        other_minor in 0u32..20,
        max in (any::<u32>(), any::<u32>()),
        preview in prop::option::of(prop::option::of(0u32..9)),
        mut location in location(),
    ) {
        let released = if up.0 == 0 { (asked.0, asked.1 + up.1) } else { (asked.0 + up.0, other_minor) };
        let suffix = match preview {
            None => String::new(),
            Some(None) => "-preview".into(),
            Some(Some(n)) => format!("-preview.{n}"),
        };
        let requested = format!("{}.{}{suffix}", asked.0, asked.1);
        location.released_version = format!("{}.{}", released.0, released.1);
        location.max_version = format!("{}.{}", max.0, max.1);
        prop_assert_eq!(negotiate(&requested, &location), Some(requested));
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Route matching on arbitrary templates and request paths: no panic, and the answer is one
    /// of the locations given.
    #[test]
    fn find_location_never_panics(
        locations in prop::collection::vec(location(), 0..8),
        segments in prop::collection::vec(segment(), 0..7),
    ) {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(found) = find_location(&locations, &segments) {
            prop_assert!(locations.iter().any(|l| std::ptr::eq(l, found)));
        }
        let _ = find_location(real_locations(), &segments);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Every real route is found for a path built from its own template, in any letter case.
    #[test]
    fn real_routes_are_found(at in any::<Index>(), upper in any::<bool>(), value in "[a-z0-9]{1,8}") {
        let with_apis: Vec<&ResourceLocation> = real_locations()
            .iter()
            .filter(|l| l.route_template.split('/').any(|s| s.eq_ignore_ascii_case("_apis")))
            .collect();
        let location = at.get(&with_apis);
        let pieces: Vec<&str> = location.route_template.split('/').filter(|s| !s.is_empty()).collect();
        let start = pieces.iter().position(|s| s.eq_ignore_ascii_case("_apis")).unwrap() + 1;
        let segments: Vec<String> = pieces[start..]
            .iter()
            .map(|p| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some("area") => location.area.clone(),
                Some("resource") => location.resource_name.clone(),
                Some(_) => value.clone(),
                None => p.to_string(),
            })
            .map(|s| if upper { s.to_ascii_uppercase() } else { s })
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        prop_assert!(
            find_location(real_locations(), &segments).is_some(),
            "no location for {:?} ({})", segments, location.route_template
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Scopes
// ---------------------------------------------------------------------------------------------

fn url_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["https", "http", "file", "data", "mailto", "x"]),
        prop::sample::select(vec![
            "dev.azure.com",
            "advsec.dev.azure.com",
            "vssps.dev.azure.com",
            "[::1]",
            "127.0.0.1:8080",
            "",
            "a.visualstudio.com",
            "ADVSEC.example",
        ]),
        prop::collection::vec(segment(), 0..7),
        "(\\?[a-z=&%0-9.-]{0,20})?(#[a-z]{0,5})?",
    )
        .prop_map(|(scheme, host, segments, tail)| {
            format!("{scheme}://{host}/{}{tail}", segments.join("/"))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn scope_for_url_never_panics(text in prop_oneof![3 => url_text(), 1 => any::<String>()]) {
        if let Ok(url) = url::Url::parse(&text) {
            let scope = scope_for_url(&url);
            if let Some(scope) = scope {
                prop_assert!(scope.starts_with("vso."));
            }
        }
    }

    /// Path segments are matched without regard to ASCII case.
    #[test]
    fn scope_for_ignores_ascii_case(host in "[a-z.]{0,20}", segments in prop::collection::vec(segment(), 0..5)) {
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let upper: Vec<String> = segments.iter().map(|s| s.to_ascii_uppercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        prop_assert_eq!(scope_for(&host, &lower), scope_for(&host, &upper));
    }
}

// ---------------------------------------------------------------------------------------------
// 6. SQL rule headers
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "resource_kind",
    "description",
    "remediation",
    "references",
    "view",
    "Id",
    "id ",
    "",
];

/// Text shaped like a rule header: `-- key: value` lines, blank lines and SQL.
fn rule_like_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        4 => (prop::sample::select(RULE_KEYS), prop_oneof![
                text(),
                prop::sample::select(vec!["high", " MEDIUM ", "low", "critical", "A-1_b.c", "a | b |  | c"])
                    .prop_map(str::to_string),
            ])
            .prop_map(|(k, v)| format!("-- {k}: {v}")),
        1 => Just(String::new()),
        1 => Just("--".to_string()),
        1 => Just("SELECT 1".to_string()),
        1 => any::<String>(),
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
    )
        .prop_map(|(lines, eol)| lines.join(eol))
}

/// What `parse_rule` promises: a complete, valid rule, or a header error naming the file.
fn check_rule(file: &str, text: &str) -> Result<(), TestCaseError> {
    match parse_rule(file, text) {
        Ok(rule) => {
            prop_assert!(!rule.id.is_empty());
            prop_assert!(
                rule.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            );
            prop_assert_eq!(Some(rule.severity), Severity::parse(rule.severity.as_str()));
            for field in [
                &rule.title,
                &rule.resource_kind,
                &rule.description,
                &rule.remediation,
            ] {
                prop_assert!(!field.is_empty());
            }
            prop_assert!(
                rule.references
                    .iter()
                    .all(|r| !r.is_empty() && r.trim() == r)
            );
            prop_assert_eq!(rule.sql, text);
        }
        Err(RuleError::Header {
            file: named,
            message,
        }) => {
            prop_assert_eq!(named, file);
            prop_assert!(!message.is_empty());
        }
        Err(other) => prop_assert!(false, "not a header error: {other}"),
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum RuleMutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    InsertLine(Index, String),
    /// Replace what follows the first `:` of a line.
    ReplaceValue(Index, String),
    Truncate(Index),
    CrLf,
    Bom,
}

fn rule_mutation() -> impl Strategy<Value = RuleMutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(RuleMutation::DeleteLine),
        1 => any::<Index>().prop_map(RuleMutation::DuplicateLine),
        2 => (any::<Index>(), prop_oneof![text(), rule_like_text()])
            .prop_map(|(i, l)| RuleMutation::InsertLine(i, l)),
        3 => (any::<Index>(), text()).prop_map(|(i, v)| RuleMutation::ReplaceValue(i, v)),
        1 => any::<Index>().prop_map(RuleMutation::Truncate),
        1 => Just(RuleMutation::CrLf),
        1 => Just(RuleMutation::Bom),
    ]
}

fn mutate_rule(text: &str, mutation: &RuleMutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    match mutation {
        RuleMutation::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(i.index(lines.len()));
        }
        RuleMutation::DuplicateLine(i) if !lines.is_empty() => {
            let i = i.index(lines.len());
            lines.insert(i, lines[i].clone());
        }
        RuleMutation::InsertLine(i, line) => lines.insert(i.index(lines.len() + 1), line.clone()),
        RuleMutation::ReplaceValue(i, value) if !lines.is_empty() => {
            let i = i.index(lines.len());
            let line = &mut lines[i];
            if let Some((key, _)) = line.split_once(':') {
                *line = format!("{key}: {value}");
            }
        }
        RuleMutation::Truncate(i) => {
            let cut = text
                .char_indices()
                .map(|(n, _)| n)
                .nth(i.index(text.chars().count() + 1));
            return text[..cut.unwrap_or(text.len())].to_string();
        }
        RuleMutation::CrLf => return text.replace('\n', "\r\n"),
        RuleMutation::Bom => return format!("\u{feff}{text}"),
        _ => {}
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rule_headers_of_arbitrary_text(file in "\\PC{0,20}", text in prop_oneof![any::<String>(), rule_like_text()]) {
        check_rule(&file, &text)?;
        let _ = parse_view(&file, &text);
        let _ = Severity::parse(&text);
    }

    #[test]
    fn rule_headers_of_mutated_rule_files(
        rule in any::<Index>(),
        mutations in prop::collection::vec(rule_mutation(), 1..4),
    ) {
        let (file, original) = rule.get(rule_files());
        let mut text = original.clone();
        for mutation in &mutations {
            text = mutate_rule(&text, mutation);
        }
        check_rule(file, &text)?;
        let _ = parse_view(file, &text);
    }
}

#[test]
fn rule_files_parse_unmutated() {
    for (file, text) in rule_files() {
        let rule = parse_rule(file, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{}.sql", rule.id), *file);
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Config file
// ---------------------------------------------------------------------------------------------

/// Reads `text` through `config::load`, the CLI's path, from a file named for the property.
fn load_text(name: &str, text: &[u8]) -> Result<config::ResolvedConfig, ConfigError> {
    let path = config_dir().join(name);
    std::fs::write(&path, text).unwrap();
    config::load(&path)
}

/// `config::load` without the file, with the test environment: parse and resolve.
fn resolve_text(text: &str) -> Option<Result<config::ResolvedConfig, ConfigError>> {
    let file: ConfigFile = toml::from_str(text).ok()?;
    Some(config::resolve(file, test_env))
}

fn check_config_error(
    result: Result<config::ResolvedConfig, ConfigError>,
    utf8: bool,
) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => {}
        Err(ConfigError::Read { .. }) => prop_assert!(!utf8, "a file just written reads"),
        Err(ConfigError::Problems(problems)) => prop_assert!(!problems.is_empty()),
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

#[rustfmt::skip]
const CONFIG_KEYS: &[&str] = &[
    "name",
    "url",
    "deployment",
    "vssps_url",
    "advsec_url",
    "graph_url",
    "entitlements_url",
    "organizations",
    "include_projects",
    "exclude_projects",
    "detailed_pipeline_permissions",
    "auth",
    "kind",
    "token_env",
    "secret_env",
    "tenant_id",
    "client_id",
    "authority_url",
    "endpoint",
    "smtp_url",
    "from",
    "to",
    "cc",
    "username",
    "password_env",
    "subject_prefix",
    "report_url",
    "rule",
    "resource",
    "reason",
    "expires",
    "dir",
    "retain_days",
    "requests_per_second",
    "burst",
    "max_concurrency",
    "max_organizations",
    "max_attempts",
    "backoff_base_ms",
    "directory",
];

#[rustfmt::skip]
const CONFIG_STRINGS: &[&str] = &[
    "",
    "*",
    "pat",
    "service_principal",
    "managed_identity",
    "workload_identity",
    "azure_cli",
    "services",
    "server",
    "SERVER",
    "https://dev.azure.com",
    "http://169.254.169.254/x",
    "http://[::1]:1/",
    "https://a.visualstudio.com/",
    "smtp://127.0.0.1:25?tls=none",
    "smtps://h?tls=none",
    "smtp://u:p@h",
    "ftp://h",
    "a@b",
    "<a@b>",
    "2027-02-30",
    "2027-12-31",
    "a/b",
    "ADO_PAT",
    "SMTP_PASSWORD",
    "\u{0}",
    "\u{feff}",
    "..",
    "http://",
    "https://%",
];

fn toml_leaf() -> impl Strategy<Value = toml::Value> {
    prop_oneof![
        3 => prop::sample::select(CONFIG_STRINGS).prop_map(|s| toml::Value::String(s.into())),
        2 => text().prop_map(toml::Value::String),
        2 => any::<i64>().prop_map(toml::Value::Integer),
        1 => (-2i64..5).prop_map(toml::Value::Integer),
        1 => any::<f64>().prop_map(toml::Value::Float),
        1 => any::<bool>().prop_map(toml::Value::Boolean),
    ]
}

fn toml_value() -> impl Strategy<Value = toml::Value> {
    toml_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(toml::Value::Array),
            prop::collection::btree_map(
                prop_oneof![4 => prop::sample::select(CONFIG_KEYS).prop_map(str::to_string), 1 => any::<String>()],
                inner,
                0..6,
            )
            .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum ConfigMutation {
    Delete(Index),
    Replace(Index, toml::Value),
    /// Add a key (known or not) to a table.
    Add(Index, String, toml::Value),
    /// Text-level: insert characters at a position.
    InsertText(Index, String),
    /// Text-level: cut the file.
    Truncate(Index),
}

fn config_mutation() -> impl Strategy<Value = ConfigMutation> {
    prop_oneof![
        3 => any::<Index>().prop_map(ConfigMutation::Delete),
        4 => (any::<Index>(), toml_value()).prop_map(|(i, v)| ConfigMutation::Replace(i, v)),
        2 => (
            any::<Index>(),
            prop_oneof![3 => prop::sample::select(CONFIG_KEYS).prop_map(str::to_string), 1 => any::<String>()],
            toml_value(),
        )
            .prop_map(|(i, k, v)| ConfigMutation::Add(i, k, v)),
        1 => (any::<Index>(), prop_oneof![any::<String>(), Just("\n[[connector]]\n".into()), Just("=".into()), Just("\"".into())])
            .prop_map(|(i, s)| ConfigMutation::InsertText(i, s)),
        1 => any::<Index>().prop_map(ConfigMutation::Truncate),
    ]
}

#[derive(Debug, Clone)]
enum TomlSeg {
    Key(String),
    Item(usize),
}

fn toml_paths(value: &toml::Value, prefix: &mut Vec<TomlSeg>, out: &mut Vec<Vec<TomlSeg>>) {
    out.push(prefix.clone());
    match value {
        toml::Value::Table(table) => {
            for (key, child) in table {
                prefix.push(TomlSeg::Key(key.clone()));
                toml_paths(child, prefix, out);
                prefix.pop();
            }
        }
        toml::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(TomlSeg::Item(i));
                toml_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn toml_at<'a>(value: &'a mut toml::Value, path: &[TomlSeg]) -> Option<&'a mut toml::Value> {
    path.iter().try_fold(value, |v, seg| match (seg, v) {
        (TomlSeg::Key(k), toml::Value::Table(t)) => t.get_mut(k),
        (TomlSeg::Item(i), toml::Value::Array(a)) => a.get_mut(*i),
        _ => None,
    })
}

fn toml_get<'a>(value: &'a toml::Value, path: &[TomlSeg]) -> Option<&'a toml::Value> {
    path.iter().try_fold(value, |v, seg| match (seg, v) {
        (TomlSeg::Key(k), toml::Value::Table(t)) => t.get(k),
        (TomlSeg::Item(i), toml::Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

/// Applies mutations to the valid config; `None` when the result cannot be written as TOML.
fn mutate_config(mutations: &[ConfigMutation]) -> Option<String> {
    let mut value = toml::Value::Table(VALID_CONFIG.parse::<toml::Table>().unwrap());
    let mut text_edits = Vec::new();
    for mutation in mutations {
        let mut paths = Vec::new();
        toml_paths(&value, &mut Vec::new(), &mut paths);
        match mutation {
            ConfigMutation::Delete(_) | ConfigMutation::Replace(..) if paths.len() < 2 => {}
            ConfigMutation::Delete(at) => {
                let path = at.get(&paths[1..]);
                let (last, parent) = path.split_last().unwrap();
                match (toml_at(&mut value, parent)?, last) {
                    (toml::Value::Table(t), TomlSeg::Key(k)) => {
                        t.remove(k);
                    }
                    (toml::Value::Array(a), TomlSeg::Item(i)) => {
                        a.remove(*i);
                    }
                    _ => unreachable!("paths come from this value"),
                }
            }
            ConfigMutation::Replace(at, new) => {
                let path = at.get(&paths[1..]).clone();
                *toml_at(&mut value, &path)? = new.clone();
            }
            ConfigMutation::Add(at, key, new) => {
                let tables: Vec<&Vec<TomlSeg>> = paths
                    .iter()
                    .filter(|p| matches!(toml_get(&value, p), Some(toml::Value::Table(_))))
                    .collect();
                let path = (*at.get(&tables)).clone();
                if let Some(toml::Value::Table(t)) = toml_at(&mut value, &path) {
                    t.insert(key.clone(), new.clone());
                }
            }
            other => text_edits.push(other.clone()),
        }
    }
    let mut text = toml::to_string(&value).ok()?;
    for edit in text_edits {
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        match edit {
            ConfigMutation::InsertText(at, s) => text.insert_str(*at.get(&boundaries), &s),
            ConfigMutation::Truncate(at) => text.truncate(*at.get(&boundaries)),
            _ => unreachable!(),
        }
    }
    Some(text)
}

/// TOML-shaped text: section headers and `key = value` lines with known keys.
fn toml_like_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        1 => prop::sample::select(vec![
            "[output]", "[limits]", "[[connector]]", "[email]", "[[exemption]]", "[rules]",
            "[connector]", "[[email]]", "[connector.auth]",
        ])
        .prop_map(str::to_string),
        4 => (prop::sample::select(CONFIG_KEYS), toml_value())
            .prop_map(|(k, v)| format!("{k} = {v}")),
        1 => any::<String>(),
    ];
    prop::collection::vec(line, 0..16).prop_map(|lines| lines.join("\n"))
}

#[test]
fn valid_config_resolves() {
    let resolved = resolve_text(VALID_CONFIG)
        .expect("valid TOML")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.connectors.len(), 5);
    assert!(resolved.email.is_some());
    // Through `load`, secrets come from the process environment, which has none of them.
    assert!(matches!(
        load_text("valid.toml", VALID_CONFIG.as_bytes()),
        Err(ConfigError::Problems(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn config_of_arbitrary_text(text in prop_oneof![any::<String>(), toml_like_text()]) {
        check_config_error(load_text("arbitrary.toml", text.as_bytes()), true)?;
        if let Some(result) = resolve_text(&text) {
            check_config_error(result, true)?;
        }
    }

    #[test]
    fn config_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let utf8 = std::str::from_utf8(&bytes).is_ok();
        check_config_error(load_text("bytes.toml", &bytes), utf8)?;
    }

    #[test]
    fn config_of_mutated_valid_config(mutations in prop::collection::vec(config_mutation(), 1..4)) {
        let Some(text) = mutate_config(&mutations) else { return Ok(()) };
        check_config_error(load_text("mutated.toml", text.as_bytes()), true)?;
        if let Some(result) = resolve_text(&text) {
            check_config_error(result, true)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The continuation token of any header value: a trimmed, non-empty string or none.
    #[test]
    fn continuation_tokens_of_any_header(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_bytes(&bytes) {
            headers.insert("x-ms-continuationtoken", value);
        }
        if let Some(token) = ado_posture::ado::client::continuation_token(&headers) {
            prop_assert!(!token.is_empty());
            prop_assert_eq!(token.trim(), token.as_str());
        }
    }
}
