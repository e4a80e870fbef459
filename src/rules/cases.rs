//! Every built-in rule against hand-written resources: for each rule a passing resource, a
//! failing one, and a not-evaluated one where the rule can say so. A rule without a case here
//! fails `every_rule_has_a_case`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::{Value as Json, json};

use super::{FindingStatus, builtin_rules, evaluate};
use crate::tables::{ALL_TABLES, ColumnType, TableDef};

/// Tables as JSON rows; every table of the dataset exists (empty unless given), with its real
/// schema, and missing columns are null (context columns default to "c" / "o").
#[derive(Default)]
struct Estate {
    rows: HashMap<&'static str, Vec<Json>>,
}

impl Estate {
    fn add(mut self, table: &'static str, rows: Vec<Json>) -> Self {
        self.rows.entry(table).or_default().extend(rows);
        self
    }

    fn frames(&self) -> BTreeMap<String, LazyFrame> {
        ALL_TABLES
            .iter()
            .map(|def| {
                let rows = self.rows.get(def.name).cloned().unwrap_or_default();
                (def.name.to_string(), frame(def, &rows))
            })
            .collect()
    }
}

fn frame(def: &TableDef, rows: &[Json]) -> LazyFrame {
    let columns: Vec<Column> = def
        .all_columns()
        .iter()
        .map(|c| {
            let cell = |r: &Json| -> Json {
                match (r.get(c.name), c.name) {
                    (Some(v), _) => v.clone(),
                    (None, "connector") => json!("c"),
                    (None, "organization") => json!("o"),
                    (None, "run_id") => json!("run"),
                    (None, "project") => r.get("project_id").cloned().unwrap_or(Json::Null),
                    _ => Json::Null,
                }
            };
            let name = PlSmallStr::from(c.name);
            match c.column_type {
                ColumnType::Utf8 => Column::new(
                    name,
                    rows.iter()
                        .map(|r| cell(r).as_str().map(str::to_string))
                        .collect::<Vec<_>>(),
                ),
                ColumnType::Int64 | ColumnType::TimestampUtc => Column::new(
                    name,
                    rows.iter().map(|r| cell(r).as_i64()).collect::<Vec<_>>(),
                ),
                ColumnType::Boolean => Column::new(
                    name,
                    rows.iter().map(|r| cell(r).as_bool()).collect::<Vec<_>>(),
                ),
                ColumnType::Date => Column::new(
                    name,
                    rows.iter()
                        .map(|r| cell(r).as_i64().map(|d| d as i32))
                        .collect::<Vec<_>>(),
                ),
            }
        })
        .collect();
    DataFrame::new(rows.len(), columns).unwrap().lazy()
}

/// (rule id → resource id → "fail" | "not_evaluated") for the estate; passing resources are
/// absent.
fn outcomes(estate: &Estate) -> BTreeMap<String, BTreeMap<String, &'static str>> {
    let rules = builtin_rules().unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let (findings, errors) = evaluate(&rules, &estate.frames(), day);
    assert!(errors.is_empty(), "{errors:#?}");
    let mut out: BTreeMap<String, BTreeMap<String, &'static str>> = BTreeMap::new();
    for f in findings {
        let result = match f.status {
            FindingStatus::NotEvaluated => "not_evaluated",
            _ => "fail",
        };
        out.entry(f.rule_id)
            .or_default()
            .insert(f.resource_id, result);
    }
    out
}

/// One case: the rules it covers and what each must say about each resource id ("pass" means
/// no finding).
struct Case {
    rules: &'static [&'static str],
    estate: Estate,
    expect: &'static [(&'static str, &'static str)],
}

const MIN_REVIEWERS: &str = "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd";
const BUILD: &str = "0609b952-1397-4640-95ec-e00a01b2c241";
const COMMENTS: &str = "c6a1889d-b943-4856-b76f-9e46bb6b0df2";
const WORK_ITEMS: &str = "40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e";
const MERGE: &str = "fa4e907d-c16b-4a4c-9dfa-4916e5d171ab";
const APPROVAL: &str = "8c6f20a7-a545-4486-9777-f762fafe0d4d";

fn repo(id: &str) -> Json {
    json!({ "project_id": "p", "repository_id": id, "repository": id, "default_branch": "refs/heads/main", "is_disabled": false })
}

fn policy(repo: &str, type_id: &str, extra: Json) -> Json {
    let mut p = json!({
        "project_id": "p", "policy_id": 1, "policy_type_id": type_id, "is_enabled": true,
        "is_blocking": true, "is_deleted": false, "scope_index": 0, "scope_repository_id": repo,
        "scope_ref_name": "refs/heads/main", "scope_match_kind": "Exact", "raw": "{}"
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

fn advsec(
    id: &str,
    status: &str,
    code: Option<bool>,
    secret: Option<bool>,
    block: Option<bool>,
    alerts: &str,
) -> Json {
    json!({
        "project_id": "p", "repository_id": id, "repository": id, "status": status,
        "code_security_enabled": code, "secret_protection_enabled": secret, "block_pushes": block,
        "alerts_status": alerts
    })
}

fn alert(repo: &str, id: i64, kind: &str, severity: &str, state: &str) -> Json {
    json!({ "project_id": "p", "repository_id": repo, "repository": repo, "alert_id": id, "alert_type": kind, "severity": severity, "state": state, "raw": "{}" })
}

fn settings(project: &str, on: bool) -> Json {
    json!({
        "project_id": project, "status": "read",
        "enforce_job_auth_scope": on, "enforce_job_auth_scope_for_releases": on,
        "enforce_referenced_repo_scoped_token": on, "enforce_settable_var": on,
        "status_badges_are_private": on, "disable_classic_pipeline_creation": on,
        "fork_protection_enabled": on, "builds_enabled_for_forks": true,
        "enforce_job_auth_scope_for_forks": on, "enforce_no_access_to_secrets_from_forks": on,
        "enable_shell_tasks_args_sanitizing": on
    })
}

fn pipeline(project: &str, id: i64, extra: Json) -> Json {
    let mut p = json!({
        "project_id": project, "pipeline_id": id, "pipeline": format!("pl-{id}"), "process_type": 2,
        "pull_request_trigger": true, "forks_enabled": false, "forks_allow_secrets": false,
        "forks_allow_full_access_token": false, "job_authorization_scope": "project",
        "variable_count": 0, "secret_variable_count": 0, "plaintext_variable_names": "",
        "pr_comment_required": true, "raw": "{}"
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

fn gap(project: &str, kind: &str, status: &str) -> Json {
    json!({ "project_id": project, "resource_kind": kind, "status": status, "reason": "HTTP 403" })
}

fn cases() -> Vec<Case> {
    vec![
        // Branch policies: "good" has every policy, "bare" none, "advisory" only non-blocking
        // ones, "prefix" gets them project-wide by prefix.
        Case {
            rules: &[
                "ADO-REPO-003",
                "ADO-REPO-004",
                "ADO-REPO-005",
                "ADO-REPO-006",
                "ADO-REPO-007",
                "ADO-REPO-008",
            ],
            estate: Estate::default()
                .add(
                    "repositories",
                    vec![repo("good"), repo("bare"), repo("advisory"), json!({ "project_id": "q", "repository_id": "prefix", "repository": "prefix", "default_branch": "refs/heads/main", "is_disabled": false }), json!({ "project_id": "p", "repository_id": "empty", "repository": "empty", "is_disabled": false })],
                )
                .add(
                    "branch_policies",
                    [MIN_REVIEWERS, BUILD, COMMENTS, WORK_ITEMS, MERGE]
                        .iter()
                        .flat_map(|t| {
                            let mut advisory = policy("advisory", t, json!({ "is_blocking": false, "reset_on_source_push": true }));
                            advisory["is_blocking"] = json!(false);
                            vec![
                                policy("good", t, json!({ "min_approver_count": 2, "reset_on_source_push": true })),
                                advisory,
                                json!({
                                    "project_id": "q", "policy_id": 9, "policy_type_id": t, "is_enabled": true,
                                    "is_blocking": true, "is_deleted": false, "scope_index": 0,
                                    "scope_ref_name": "refs/heads/", "scope_match_kind": "Prefix",
                                    "reset_on_source_push": true, "raw": "{}"
                                }),
                            ]
                        })
                        .collect(),
                ),
            expect: &[("good", "pass"), ("prefix", "pass"), ("bare", "fail"), ("advisory", "fail"), ("empty", "pass")],
        },
        // Branch policies the identity may not read: the project's repositories are not
        // evaluated by any branch-policy rule, never failed or passed.
        Case {
            rules: &[
                "ADO-REPO-001",
                "ADO-REPO-002",
                "ADO-REPO-003",
                "ADO-REPO-004",
                "ADO-REPO-005",
                "ADO-REPO-006",
                "ADO-REPO-007",
                "ADO-REPO-008",
            ],
            estate: Estate::default()
                .add("repositories", vec![repo("hidden"), json!({ "project_id": "open", "repository_id": "bare", "repository": "bare", "default_branch": "refs/heads/main", "is_disabled": false })])
                .add("crawl_coverage", vec![gap("p", "branch_policies", "not_evaluated")]),
            expect: &[("hidden", "not_evaluated"), ("bare", "fail")],
        },
        // Advanced Security enablement: on, off, partial without push protection, Server.
        Case {
            rules: &["ADO-REPO-009", "ADO-REPO-010", "ADO-REPO-014", "ADO-REPO-015"],
            estate: Estate::default()
                .add("repositories", vec![repo("on"), repo("off"), repo("server"), json!({ "project_id": "p", "repository_id": "disabled", "repository": "disabled", "is_disabled": true })])
                .add(
                    "advanced_security",
                    vec![
                        advsec("on", "on", Some(true), Some(true), Some(true), "read"),
                        advsec("off", "off", Some(false), Some(false), Some(false), "not_applicable"),
                        advsec("server", "not_available", None, None, None, "not_applicable"),
                        advsec("disabled", "off", Some(false), Some(false), Some(false), "not_applicable"),
                    ],
                ),
            expect: &[("on", "pass"), ("off", "fail"), ("server", "not_evaluated"), ("disabled", "pass")],
        },
        // Alerts: clean, dirty (active high secret, code and dependency alerts), feature off,
        // alerts refused (403).
        Case {
            rules: &["ADO-REPO-011", "ADO-REPO-012", "ADO-REPO-013"],
            estate: Estate::default()
                .add("repositories", vec![repo("clean"), repo("dirty"), repo("off"), repo("refused")])
                .add(
                    "advanced_security",
                    vec![
                        advsec("clean", "on", Some(true), Some(true), Some(true), "read"),
                        advsec("dirty", "on", Some(true), Some(true), Some(true), "read"),
                        advsec("off", "off", Some(false), Some(false), Some(false), "not_applicable"),
                        advsec("refused", "on", Some(true), Some(true), Some(true), "not_evaluated"),
                    ],
                )
                .add(
                    "advsec_alerts",
                    vec![
                        alert("clean", 1, "secret", "high", "fixed"),
                        alert("clean", 2, "code", "low", "active"),
                        alert("clean", 3, "dependency", "medium", "active"),
                        alert("dirty", 4, "secret", "high", "active"),
                        alert("dirty", 5, "code", "critical", "active"),
                        alert("dirty", 6, "dependency", "high", "active"),
                    ],
                ),
            expect: &[("clean", "pass"), ("dirty", "fail"), ("off", "not_evaluated"), ("refused", "not_evaluated")],
        },
        // Pipeline general settings: all on, all off, not readable.
        Case {
            rules: &[
                "ADO-PIPE-007",
                "ADO-PIPE-008",
                "ADO-PIPE-009",
                "ADO-PIPE-010",
                "ADO-PIPE-011",
                "ADO-PIPE-012",
                "ADO-PIPE-013",
                "ADO-PIPE-014",
                "ADO-PIPE-015",
            ],
            estate: Estate::default().add(
                "pipeline_settings",
                vec![
                    settings("on", true),
                    settings("off", false),
                    json!({ "project_id": "unread", "status": "not_evaluated", "reason": "HTTP 403" }),
                ],
            ),
            expect: &[("on", "pass"), ("off", "fail"), ("unread", "not_evaluated")],
        },
        // Fork builds: a risky definition in a project without fork protection fails; the same
        // definition under project fork protection passes; a safe one passes; pipelines not
        // readable in project "x".
        Case {
            rules: &["ADO-PIPE-001", "ADO-PIPE-002"],
            estate: Estate::default()
                .add(
                    "pipelines",
                    vec![
                        pipeline("open", 1, json!({ "forks_enabled": true, "forks_allow_secrets": true, "forks_allow_full_access_token": true })),
                        pipeline("guarded", 2, json!({ "forks_enabled": true, "forks_allow_secrets": true, "forks_allow_full_access_token": true })),
                        pipeline("open", 3, json!({ "forks_enabled": true })),
                    ],
                )
                .add("pipeline_settings", vec![settings("open", false), settings("guarded", true)])
                .add("crawl_coverage", vec![gap("x", "pipelines", "not_evaluated")]),
            expect: &[("open/1", "fail"), ("guarded/2", "pass"), ("open/3", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-PIPE-003"],
            estate: Estate::default()
                .add("pipelines", vec![pipeline("p", 1, json!({ "process_type": 1 })), pipeline("p", 2, json!({}))])
                .add("crawl_coverage", vec![gap("x", "pipelines", "not_evaluated")]),
            expect: &[("p/1", "fail"), ("p/2", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-PIPE-004"],
            estate: Estate::default()
                .add(
                    "pipelines",
                    vec![
                        pipeline("p", 1, json!({ "plaintext_variable_names": "BUILD_CONFIGURATION,DB_Password_1" })),
                        pipeline("p", 2, json!({ "plaintext_variable_names": "BUILD_CONFIGURATION,DEPLOY_REGION" })),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "pipelines", "not_evaluated")]),
            expect: &[("p/1", "fail"), ("p/2", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-PIPE-005"],
            estate: Estate::default()
                .add(
                    "pipelines",
                    vec![
                        pipeline("p", 1, json!({ "forks_enabled": true, "pr_comment_required": false })),
                        pipeline("p", 2, json!({ "forks_enabled": true, "pr_comment_required": true })),
                        pipeline("p", 3, json!({ "forks_enabled": false, "pr_comment_required": false })),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "pipelines", "not_available")]),
            expect: &[("p/1", "fail"), ("p/2", "pass"), ("p/3", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-PIPE-006"],
            estate: Estate::default()
                .add(
                    "pipelines",
                    vec![
                        pipeline("loose", 1, json!({ "job_authorization_scope": "projectCollection" })),
                        pipeline("strict", 2, json!({ "job_authorization_scope": "projectCollection" })),
                        pipeline("loose", 3, json!({ "job_authorization_scope": "project" })),
                    ],
                )
                .add("pipeline_settings", vec![settings("loose", false), settings("strict", true)])
                .add("crawl_coverage", vec![gap("x", "pipelines", "not_evaluated")]),
            expect: &[("loose/1", "fail"), ("strict/2", "pass"), ("loose/3", "pass"), ("x", "not_evaluated")],
        },
        // Service connections.
        Case {
            rules: &["ADO-SC-001", "ADO-SC-002", "ADO-SC-003", "ADO-SC-005"],
            estate: Estate::default()
                .add(
                    "service_connections",
                    vec![
                        json!({ "project_id": "p", "service_connection_id": "bad", "service_connection": "bad", "type": "azure", "authorization_scheme": "Certificate", "project_reference_count": 2, "open_to_all_pipelines": true, "raw": "{}" }),
                        json!({ "project_id": "p", "service_connection_id": "good", "service_connection": "good", "type": "azurerm", "authorization_scheme": "WorkloadIdentityFederation", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "service_connections", "not_evaluated")]),
            expect: &[("p/good", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-SC-001", "ADO-SC-005"],
            estate: Estate::default().add(
                "service_connections",
                vec![json!({ "project_id": "p", "service_connection_id": "bad", "service_connection": "bad", "type": "azure", "authorization_scheme": "Certificate", "project_reference_count": 2, "open_to_all_pipelines": true, "raw": "{}" })],
            ),
            expect: &[("p/bad", "fail")],
        },
        Case {
            rules: &["ADO-SC-002"],
            estate: Estate::default().add(
                "service_connections",
                vec![json!({ "project_id": "p", "service_connection_id": "bad", "service_connection": "bad", "type": "azure", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" })],
            ),
            expect: &[("p/bad", "fail")],
        },
        Case {
            rules: &["ADO-SC-003"],
            estate: Estate::default().add(
                "service_connections",
                vec![
                    json!({ "project_id": "p", "service_connection_id": "secret", "service_connection": "secret", "type": "azurerm", "authorization_scheme": "ServicePrincipal", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                    json!({ "project_id": "p", "service_connection_id": "msi", "service_connection": "msi", "type": "azurerm", "authorization_scheme": "ManagedServiceIdentity", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                    json!({ "project_id": "p", "service_connection_id": "gh", "service_connection": "gh", "type": "github", "authorization_scheme": "Token", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                ],
            ),
            expect: &[("p/secret", "fail"), ("p/msi", "pass"), ("p/gh", "pass")],
        },
        Case {
            rules: &["ADO-SC-004"],
            estate: Estate::default()
                .add(
                    "service_connections",
                    vec![
                        json!({ "project_id": "p", "service_connection_id": "gated", "service_connection": "gated", "type": "azurerm", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                        json!({ "project_id": "p", "service_connection_id": "open", "service_connection": "open", "type": "azurerm", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                        json!({ "project_id": "p", "service_connection_id": "gh", "service_connection": "gh", "type": "github", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                        json!({ "project_id": "unread", "service_connection_id": "az", "service_connection": "az", "type": "azurerm", "project_reference_count": 1, "open_to_all_pipelines": false, "raw": "{}" }),
                    ],
                )
                .add("checks", vec![json!({ "project_id": "p", "check_id": 1, "check_type_id": APPROVAL, "resource_type": "endpoint", "resource_id": "gated", "raw": "{}" })])
                .add("crawl_coverage", vec![gap("unread", "checks", "not_evaluated")]),
            expect: &[("p/gated", "pass"), ("p/open", "fail"), ("p/gh", "pass"), ("unread/az", "not_evaluated")],
        },
        // Variable groups.
        Case {
            rules: &["ADO-VG-001", "ADO-VG-002", "ADO-VG-003"],
            estate: Estate::default()
                .add(
                    "variable_groups",
                    vec![
                        json!({ "project_id": "p", "variable_group_id": 1, "variable_group": "bad", "type": "Vsts", "variable_count": 2, "secret_variable_count": 1, "open_to_all_pipelines": true, "variable_names": "API_TOKEN,CLIENT_SECRET", "plaintext_variable_names": "API_TOKEN" }),
                        json!({ "project_id": "p", "variable_group_id": 2, "variable_group": "good", "type": "AzureKeyVault", "key_vault": "kv", "variable_count": 1, "secret_variable_count": 1, "open_to_all_pipelines": false, "variable_names": "DB_PASSWORD", "plaintext_variable_names": "" }),
                        json!({ "project_id": "p", "variable_group_id": 3, "variable_group": "plain", "type": "Vsts", "variable_count": 1, "secret_variable_count": 0, "open_to_all_pipelines": true, "variable_names": "DEPLOY_REGION", "plaintext_variable_names": "DEPLOY_REGION" }),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "variable_groups", "not_evaluated")]),
            expect: &[("1", "fail"), ("2", "pass"), ("3", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-SF-001"],
            estate: Estate::default()
                .add(
                    "secure_files",
                    vec![
                        json!({ "project_id": "p", "secure_file_id": "open", "secure_file": "a.pfx", "open_to_all_pipelines": true }),
                        json!({ "project_id": "p", "secure_file_id": "closed", "secure_file": "b.pfx", "open_to_all_pipelines": false }),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "secure_files", "not_evaluated")]),
            expect: &[("open", "fail"), ("closed", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-AQ-001"],
            estate: Estate::default()
                .add(
                    "agent_queues",
                    vec![
                        json!({ "project_id": "p", "queue_id": 1, "queue": "Default", "pool_is_hosted": false, "open_to_all_pipelines": true }),
                        json!({ "project_id": "p", "queue_id": 2, "queue": "Azure Pipelines", "pool_is_hosted": true, "open_to_all_pipelines": true }),
                        json!({ "project_id": "p", "queue_id": 3, "queue": "closed", "pool_is_hosted": false, "open_to_all_pipelines": false }),
                    ],
                )
                .add("crawl_coverage", vec![gap("x", "agent_queues", "not_evaluated")]),
            expect: &[("1", "fail"), ("2", "pass"), ("3", "pass"), ("x", "not_evaluated")],
        },
        Case {
            rules: &["ADO-ENV-001"],
            estate: Estate::default().add(
                "environments",
                vec![
                    json!({ "project_id": "p", "environment_id": 1, "environment": "production", "open_to_all_pipelines": true, "raw": "{}" }),
                    json!({ "project_id": "p", "environment_id": 2, "environment": "staging", "open_to_all_pipelines": false, "raw": "{}" }),
                    json!({ "project_id": "p", "environment_id": 3, "environment": "dev", "permissions_reason": "HTTP 403", "raw": "{}" }),
                ],
            ),
            expect: &[("1", "fail"), ("2", "pass"), ("3", "not_evaluated")],
        },
        Case {
            rules: &["ADO-ENV-002"],
            estate: Estate::default()
                .add(
                    "environments",
                    vec![
                        json!({ "project_id": "p", "environment_id": 1, "environment": "production", "raw": "{}" }),
                        json!({ "project_id": "p", "environment_id": 2, "environment": "staging", "raw": "{}" }),
                        json!({ "project_id": "u", "environment_id": 3, "environment": "prod", "raw": "{}" }),
                    ],
                )
                .add(
                    "checks",
                    vec![
                        json!({ "project_id": "p", "check_id": 1, "check_type_id": APPROVAL, "resource_type": "environment", "resource_id": "1", "raw": "{}" }),
                        json!({ "project_id": "p", "check_id": 2, "check_type_id": "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7", "resource_type": "environment", "resource_id": "2", "raw": "{}" }),
                    ],
                )
                .add("crawl_coverage", vec![gap("u", "checks", "not_evaluated")]),
            expect: &[("1", "pass"), ("2", "fail"), ("3", "not_evaluated")],
        },
        Case {
            rules: &["ADO-PROJ-001"],
            estate: Estate::default().add(
                "projects",
                vec![
                    json!({ "project_id": "pub", "visibility": "public", "raw": "{}" }),
                    json!({ "project_id": "priv", "visibility": "private", "raw": "{}" }),
                ],
            ),
            expect: &[("pub", "fail"), ("priv", "pass")],
        },
    ]
}

/// Organization policies: (rule, policy name, value that fails).
const ORG_RULES: &[(&str, &str, bool)] = &[
    ("ADO-ORG-001", "Policy.AllowAnonymousAccess", true),
    ("ADO-ORG-002", "Policy.DisallowOAuthAuthentication", false),
    ("ADO-ORG-003", "Policy.DisallowSecureShell", false),
    ("ADO-ORG-004", "Policy.LogAuditEvents", false),
    ("ADO-ORG-005", "Policy.DisallowAadGuestUserAccess", false),
];

fn org_policy_estate() -> Estate {
    let mut rows = Vec::new();
    for (_, name, fail) in ORG_RULES {
        rows.push(
            json!({ "organization": "bad", "policy": name, "status": "read", "value": fail }),
        );
        rows.push(
            json!({ "organization": "good", "policy": name, "status": "read", "value": !fail }),
        );
        rows.push(json!({ "organization": "server", "policy": name, "status": "not_available", "reason": "HTTP 404" }));
    }
    Estate::default().add("organization_policies", rows)
}

fn check(
    rules: &[&str],
    got: &BTreeMap<String, BTreeMap<String, &'static str>>,
    expect: &[(&str, &str)],
) {
    for rule in rules {
        let findings = got.get(*rule).cloned().unwrap_or_default();
        for (resource, wanted) in expect {
            let actual = findings.get(*resource).copied().unwrap_or("pass");
            assert_eq!(actual, *wanted, "{rule} on {resource}: {findings:?}");
        }
    }
}

#[test]
fn every_rule_passes_fails_and_is_not_evaluated_as_its_definition_says() {
    for case in cases() {
        let got = outcomes(&case.estate);
        check(case.rules, &got, case.expect);
    }
    let got = outcomes(&org_policy_estate());
    let org_rules: Vec<&str> = ORG_RULES.iter().map(|r| r.0).collect();
    check(
        &org_rules,
        &got,
        &[
            ("bad", "fail"),
            ("good", "pass"),
            ("server", "not_evaluated"),
        ],
    );
}

#[test]
fn every_rule_has_a_case_with_a_pass_and_a_fail() {
    let mut covered: HashMap<&str, (bool, bool)> = HashMap::new();
    for case in cases() {
        for rule in case.rules {
            let entry = covered.entry(rule).or_default();
            entry.0 |= case.expect.iter().any(|e| e.1 == "pass");
            entry.1 |= case.expect.iter().any(|e| e.1 == "fail");
        }
    }
    for (rule, _, _) in ORG_RULES {
        covered.insert(rule, (true, true));
    }
    // ADO-REPO-001/002 also have their own scope-resolution tests in evaluate.rs.
    covered.insert("ADO-REPO-001", (true, true));
    covered.insert("ADO-REPO-002", (true, true));
    for rule in builtin_rules().unwrap() {
        assert_eq!(
            covered.get(rule.id.as_str()).copied(),
            Some((true, true)),
            "{} needs a case with a passing and a failing resource",
            rule.id
        );
    }
}
