//! The pipeline library's tables: service connections (one row per connection, under its owning
//! project, and one per project it is available in) and variable groups, each with whether it is
//! open to every pipeline of its project.

use super::ColumnType::{Boolean, Int64, Utf8};
use super::{
    AUTHORIZED_PIPELINE_IDS, Batches, OPEN_TO_ALL_PIPELINES, RowContext, TableBuilder, TableDef,
    TableError, TableRole, Value, Watch, optional, required,
};
use crate::crawl::OrganizationInventory;

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[
    &SERVICE_CONNECTIONS,
    &SERVICE_CONNECTION_PROJECTS,
    &VARIABLE_GROUPS,
];

pub const SERVICE_CONNECTIONS: TableDef = TableDef {
    name: "service_connections",
    doc: "One row per service connection (service endpoint), under its owning project: a connection shared with several projects is one connection (the service lists it in each; `service_connection_projects` keeps what differs per project). The owning project is the first of its `serviceEndpointProjectReferences` the crawl read it in (the service lists the creating project first), else the first project that listed it. `open_to_all_pipelines` and `authorized_pipeline_ids` are the owning project's.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["service_connection_id"],
        name: "service_connection",
        attributes: &[
            "type",
            "authorization_scheme",
            "scope_level",
            "azure_scope",
            "is_shared",
            "is_ready",
            "project_reference_count",
            "open_to_all_pipelines",
        ],
    }),
    columns: &[
        required(
            "service_connection_id",
            Utf8,
            "Service connection id (GUID).",
        ),
        required("service_connection", Utf8, "Service connection name."),
        optional(
            "type",
            Utf8,
            "Connection type, e.g. `azurerm`, `azure` (classic), `github`, `dockerregistry`, `generic`.",
        ),
        optional("url", Utf8, "The URL the connection points at."),
        optional(
            "authorization_scheme",
            Utf8,
            "`ServicePrincipal`, `WorkloadIdentityFederation`, `ManagedServiceIdentity`, `UsernamePassword`, `Token`, `Certificate`, … (the service's case varies: compare case-insensitively).",
        ),
        optional(
            "scope_level",
            Utf8,
            "`data.scopeLevel` of Azure connections: `Subscription`, `ManagementGroup`, `AzureMLWorkspace`, …",
        ),
        optional(
            "azure_scope",
            Utf8,
            "`authorization.parameters.scope`: the Azure scope the connection's identity was granted, e.g. `/subscriptions/{id}/resourcegroups/{name}`; null when the connection names none.",
        ),
        optional(
            "is_shared",
            Boolean,
            "Whether the connection is shared with other projects (null when the server omits it).",
        ),
        optional(
            "is_ready",
            Boolean,
            "Whether the connection is ready to use.",
        ),
        optional("owner", Utf8, "`Library` or `agentcloud`."),
        required(
            "project_reference_count",
            Int64,
            "Projects the connection is referenced by (serviceEndpointProjectReferences).",
        ),
        OPEN_TO_ALL_PIPELINES,
        AUTHORIZED_PIPELINE_IDS,
        required(
            "raw",
            Utf8,
            "The connection's JSON as the API returned it (secrets come back null).",
        ),
    ],
};

pub const SERVICE_CONNECTION_PROJECTS: TableDef = TableDef {
    name: "service_connection_projects",
    doc: "One row per project a service connection is available in: its owning project and each project it is shared with, with what holds in that project (its name there, whether every pipeline of that project may use it).",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["service_connection_id"],
        name: "service_connection",
        attributes: &["open_to_all_pipelines"],
    }),
    columns: &[
        required(
            "service_connection_id",
            Utf8,
            "Service connection id (GUID); its row in `service_connections`.",
        ),
        required(
            "service_connection",
            Utf8,
            "The connection's name in this project (a shared connection can have another name in each).",
        ),
        required(
            "is_owner",
            Boolean,
            "Whether this is the owning project (the connection's row in `service_connections` is under it).",
        ),
        OPEN_TO_ALL_PIPELINES,
        AUTHORIZED_PIPELINE_IDS,
    ],
};

pub const VARIABLE_GROUPS: TableDef = TableDef {
    name: "variable_groups",
    doc: "One row per variable group of a project. Variable values are never stored, only names and whether they are secret.",
    project_scoped: true,
    role: TableRole::Inventory,
    watch: Some(Watch {
        key: &["variable_group_id"],
        name: "variable_group",
        attributes: &[
            "secret_variable_count",
            "plaintext_variable_names",
            "key_vault",
            "is_shared",
            "open_to_all_pipelines",
        ],
    }),
    columns: &[
        required(
            "variable_group_id",
            Int64,
            "Variable group id (unique in the organization).",
        ),
        required("variable_group", Utf8, "Variable group name."),
        optional("type", Utf8, "`Vsts` or `AzureKeyVault`."),
        required("variable_count", Int64, "Number of variables."),
        required(
            "secret_variable_count",
            Int64,
            "Number of variables marked secret.",
        ),
        optional(
            "key_vault",
            Utf8,
            "Linked Azure Key Vault name, for Key Vault groups.",
        ),
        optional(
            "key_vault_service_connection_id",
            Utf8,
            "Service connection used to read the Key Vault.",
        ),
        optional(
            "is_shared",
            Boolean,
            "Whether the group is shared with other projects.",
        ),
        OPEN_TO_ALL_PIPELINES,
        AUTHORIZED_PIPELINE_IDS,
        required(
            "variable_names",
            Utf8,
            "Comma-separated variable names (values are never stored).",
        ),
        required(
            "plaintext_variable_names",
            Utf8,
            "Comma-separated names of the variables not marked secret (Key Vault groups: none).",
        ),
        required(
            "raw",
            Utf8,
            "The group's JSON as the API returned it, with every variable's value removed (set to null).",
        ),
    ],
};

/// Record batches of the library tables for one organization.
pub fn build(run_id: &str, org: &OrganizationInventory) -> Result<Batches, TableError> {
    let mut connections = TableBuilder::new(&SERVICE_CONNECTIONS);
    let mut shares = TableBuilder::new(&SERVICE_CONNECTION_PROJECTS);
    let mut groups = TableBuilder::new(&VARIABLE_GROUPS);
    let owners = owning_projects(org);
    let mut written = std::collections::HashSet::new();
    for library in &org.libraries {
        let ctx = RowContext::of_project(run_id, org, library);
        for c in &library.library.service_connections {
            let e = &c.item;
            let is_owner = owners.get(e.id.to_ascii_lowercase().as_str())
                == Some(&library.project_id.as_str());
            let open = library.library.open.service_connections.contains(&e.id);
            let authorized = library.authorized_pipeline_ids("endpoint", &e.id);
            shares.push(
                &ctx,
                &[
                    Value::Str(Some(&e.id)),
                    Value::Str(Some(name_in_project(e, &library.project_id))),
                    Value::Bool(Some(is_owner)),
                    Value::Bool(Some(open)),
                    Value::Str(authorized.as_deref()),
                ],
            )?;
            if !is_owner || !written.insert(e.id.to_ascii_lowercase()) {
                continue;
            }
            connections.push(
                &ctx,
                &[
                    Value::Str(Some(&e.id)),
                    Value::Str(Some(&e.name)),
                    Value::Str(e.endpoint_type.as_deref()),
                    Value::Str(e.url.as_deref()),
                    Value::Str(e.authorization.as_ref().and_then(|a| a.scheme.as_deref())),
                    Value::Str(e.scope_level()),
                    Value::Str(e.authorization_scope()),
                    Value::Bool(e.is_shared),
                    Value::Bool(e.is_ready),
                    Value::Str(e.owner.as_deref()),
                    Value::Int(Some(e.service_endpoint_project_references.len() as i64)),
                    Value::Bool(Some(open)),
                    Value::Str(authorized.as_deref()),
                    Value::Str(Some(&c.raw)),
                ],
            )?;
        }
        for g in &library.library.variable_groups {
            let group = &g.item;
            let secrets = group
                .variables
                .values()
                .filter(|v| v.is_secret == Some(true))
                .count();
            let names = group
                .variables
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(",");
            let plaintext = plaintext_names(&group.variables);
            let provider = group.provider_data.as_ref();
            groups.push(
                &ctx,
                &[
                    Value::Int(Some(group.id)),
                    Value::Str(Some(&group.name)),
                    Value::Str(group.group_type.as_deref()),
                    Value::Int(Some(group.variables.len() as i64)),
                    Value::Int(Some(secrets as i64)),
                    Value::Str(provider.and_then(|p| p.vault.as_deref())),
                    Value::Str(provider.and_then(|p| p.service_endpoint_id.as_deref())),
                    Value::Bool(group.is_shared),
                    Value::Bool(Some(
                        library
                            .library
                            .open
                            .variable_groups
                            .contains(&group.id.to_string()),
                    )),
                    Value::Str(
                        library
                            .authorized_pipeline_ids("variablegroup", &group.id.to_string())
                            .as_deref(),
                    ),
                    Value::Str(Some(&names)),
                    Value::Str(Some(&plaintext)),
                    Value::Str(Some(&without_variable_values(&g.raw))),
                ],
            )?;
        }
    }
    Ok(vec![connections.done()?, shares.done()?, groups.done()?])
}

/// The owning project of each service connection (lower-case id → project id): the first of
/// its project references that listed it (the service lists the creating project first), else
/// the first project that listed it.
pub(crate) fn owning_projects(
    org: &OrganizationInventory,
) -> std::collections::HashMap<String, &str> {
    let mut listed_in: std::collections::HashMap<String, Vec<&str>> =
        std::collections::HashMap::new();
    let mut references: std::collections::HashMap<String, &crate::ado::models::ServiceEndpoint> =
        std::collections::HashMap::new();
    for library in &org.libraries {
        for c in &library.library.service_connections {
            let id = c.item.id.to_ascii_lowercase();
            listed_in
                .entry(id.clone())
                .or_default()
                .push(library.project_id.as_str());
            references.entry(id).or_insert(&c.item);
        }
    }
    listed_in
        .into_iter()
        .map(|(id, projects)| {
            let referenced = references
                .get(&id)
                .into_iter()
                .flat_map(|e| &e.service_endpoint_project_references)
                .filter_map(|r| r.get("projectReference")?.get("id")?.as_str())
                .find_map(|r| projects.iter().find(|p| p.eq_ignore_ascii_case(r)).copied());
            let owner = referenced
                .or_else(|| projects.first().copied())
                .unwrap_or_default();
            (id, owner)
        })
        .collect()
}

/// A connection's name in one project: its project reference's name there, else its own.
fn name_in_project<'a>(e: &'a crate::ado::models::ServiceEndpoint, project_id: &str) -> &'a str {
    e.service_endpoint_project_references
        .iter()
        .find(|r| {
            r.get("projectReference")
                .and_then(|p| p.get("id"))
                .and_then(|id| id.as_str())
                .is_some_and(|id| id.eq_ignore_ascii_case(project_id))
        })
        .and_then(|r| r.get("name")?.as_str())
        .unwrap_or(&e.name)
}

/// Comma-separated names of the variables not marked secret, sorted.
pub fn plaintext_names(
    variables: &std::collections::BTreeMap<String, crate::ado::models::Variable>,
) -> String {
    variables
        .iter()
        .filter(|(_, v)| v.is_secret != Some(true))
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The JSON of a variable group or build definition with the `value` of every entry of its
/// `variables` object set to null: plain-text values can hold credentials, and the dataset
/// keeps names and the secret flag only.
pub fn without_variable_values(raw: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(raw) else {
        return "{}".to_string();
    };
    if let Some(variables) = value
        .get_mut("variables")
        .and_then(serde_json::Value::as_object_mut)
    {
        for variable in variables.values_mut() {
            if let Some(v) = variable.as_object_mut()
                && v.contains_key("value")
            {
                v.insert("value".into(), serde_json::Value::Null);
            }
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project's list as the service gives it: the connection shared from p into q is in
    /// both lists, with both project references (p first) and another name in q.
    fn project(id: &str, open: &[&str]) -> crate::crawl::ProjectLibrary {
        use crate::crawl::{agents, controls, library, pipelines};
        let endpoint = serde_json::json!({
            "id": "EB5C4F86-0000-0000-0000-000000000001", "name": "prod-arm", "type": "azurerm",
            "isShared": true, "isReady": true,
            "serviceEndpointProjectReferences": [
                { "projectReference": { "id": "p", "name": "P" }, "name": "prod-arm" },
                { "projectReference": { "id": "q", "name": "Q" }, "name": "prod-arm (from P)" }
            ]
        });
        let own = serde_json::json!({ "id": format!("own-{id}"), "name": format!("own-{id}") });
        crate::crawl::ProjectLibrary {
            project_id: id.into(),
            project: id.to_uppercase(),
            library: library::LibraryResources {
                service_connections: crate::ado::models::parse_items(vec![endpoint, own]).unwrap(),
                variable_groups: Vec::new(),
                open: library::OpenToAllPipelines {
                    service_connections: open.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                },
            },
            pipelines: pipelines::PipelineResources {
                pipelines: Vec::new(),
                settings: crate::crawl::Outcome::NotAvailable(String::new()),
            },
            agents: agents::AgentResources {
                agent_queues: Vec::new(),
                secure_files: Vec::new(),
                environments: Vec::new(),
                deployment_groups: Vec::new(),
            },
            controls: controls::ControlResources::default(),
            coverage: Vec::new(),
            shared_only: false,
        }
    }

    #[test]
    fn a_shared_connection_is_one_connection_under_its_owner_and_one_row_per_project() {
        let shared = "EB5C4F86-0000-0000-0000-000000000001";
        // q first: the owner comes from the references, not the crawl's order.
        let org = super::super::tests::test_organization(vec![
            project("q", &[shared]),
            project("p", &[]),
        ]);
        let batches = build("run", &org).unwrap();
        let table = |name: &str| {
            let (_, batch) = batches.iter().find(|(d, _)| d.name == name).unwrap();
            batch.clone()
        };
        let text = |batch: &arrow::record_batch::RecordBatch, column: &str| -> Vec<String> {
            let array = batch.column_by_name(column).unwrap();
            let strings = array
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap();
            strings
                .iter()
                .map(|s| s.unwrap_or("").to_string())
                .collect()
        };
        // One row per connection: the shared one once, under p.
        let connections = table("service_connections");
        assert_eq!(connections.num_rows(), 3);
        let ids = text(&connections, "service_connection_id");
        let projects = text(&connections, "project_id");
        let owner: Vec<&String> = ids
            .iter()
            .zip(&projects)
            .filter(|(id, _)| id.as_str() == shared)
            .map(|(_, p)| p)
            .collect();
        assert_eq!(owner, ["p"]);
        // One row per project it is available in, with its name and openness there.
        let shares = table("service_connection_projects");
        assert_eq!(shares.num_rows(), 4);
        let names = text(&shares, "service_connection");
        let share_projects = text(&shares, "project_id");
        let in_q = names
            .iter()
            .zip(&share_projects)
            .find(|(n, p)| n.starts_with("prod-arm") && p.as_str() == "q")
            .unwrap();
        assert_eq!(in_q.0, "prod-arm (from P)");
    }

    #[test]
    fn variable_values_are_removed_and_the_rest_kept() {
        let raw = r#"{"id":1,"variables":{"DB_PASSWORD":{"value":"hunter2"},"S":{"value":null,"isSecret":true}}}"#;
        let kept = without_variable_values(raw);
        assert!(!kept.contains("hunter2"), "{kept}");
        assert!(
            kept.contains("DB_PASSWORD") && kept.contains("isSecret"),
            "{kept}"
        );
    }
}
