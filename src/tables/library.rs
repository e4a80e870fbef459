//! The pipeline library's tables: service connections and variable groups, each with whether it
//! is open to every pipeline of its project.

use super::ColumnType::{Boolean, Int64, Utf8};
use super::{
    AUTHORIZED_PIPELINE_IDS, Batches, OPEN_TO_ALL_PIPELINES, RowContext, TableBuilder, TableDef,
    TableError, TableRole, Value, optional, required,
};
use crate::crawl::OrganizationInventory;

/// This module's tables, in the order of [`super::ALL_TABLES`].
pub const TABLES: &[&TableDef] = &[&SERVICE_CONNECTIONS, &VARIABLE_GROUPS];

pub const SERVICE_CONNECTIONS: TableDef = TableDef {
    name: "service_connections",
    doc: "One row per service connection (service endpoint) of a project; a connection shared with several projects appears in each.",
    project_scoped: true,
    role: TableRole::Inventory,
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

pub const VARIABLE_GROUPS: TableDef = TableDef {
    name: "variable_groups",
    doc: "One row per variable group of a project. Variable values are never stored, only names and whether they are secret.",
    project_scoped: true,
    role: TableRole::Inventory,
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
    let mut groups = TableBuilder::new(&VARIABLE_GROUPS);
    for library in &org.libraries {
        let ctx = RowContext {
            run_id,
            connector: &org.connector,
            organization: &org.organization,
            project: Some((&library.project_id, &library.project)),
        };
        for c in &library.library.service_connections {
            let e = &c.item;
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
                    Value::Bool(Some(
                        library.library.open.service_connections.contains(&e.id),
                    )),
                    Value::Str(
                        library
                            .authorized_pipeline_ids("endpoint", &e.id)
                            .as_deref(),
                    ),
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
    Ok(vec![connections.done()?, groups.done()?])
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
