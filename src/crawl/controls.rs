//! Controls on resources: checks and approvals of every protected resource, who may use each
//! environment (and, in detailed mode, each resource), and the organization's security policies.

use std::collections::HashMap;

use super::agents::AgentResources;
use super::library::LibraryResources;
use super::read::{Outcome, ProjectScope, record};
use super::{Coverage, OrganizationPolicy};
use crate::ado::client::api_url;
use crate::ado::models::{CheckConfiguration, Parsed, PipelinePermissions};
use crate::ado::{AdoClient, AdoError};

/// Checks and pipeline permissions of one project's protected resources.
#[derive(Debug, Default)]
pub struct ControlResources {
    /// Checks and approvals of the project's protected resources.
    pub checks: Vec<Parsed<CheckConfiguration>>,
    /// Pipeline permissions of each environment (by id), or why they could not be read.
    pub environment_permissions: HashMap<i64, Result<PipelinePermissions, String>>,
    /// With `detailed_pipeline_permissions`: the permissions of each service connection,
    /// variable group, secure file, queue and repository, by (resource type, id) as the API
    /// names them (`endpoint`, `variablegroup`, `securefile`, `queue`, `repository` with id
    /// `{projectId}.{repositoryId}`), or why they could not be read.
    pub resource_permissions: HashMap<(&'static str, String), Result<PipelinePermissions, String>>,
}

/// The protected resources of a project as (resource type, id), the way the checks and
/// pipeline-permissions APIs name them.
fn protected_resources(
    scope: &ProjectScope<'_>,
    library: &LibraryResources,
    agents: &AgentResources,
    repository_ids: &[String],
) -> Vec<(&'static str, String)> {
    let mut resources: Vec<(&'static str, String)> = Vec::new();
    resources.extend(
        library
            .service_connections
            .iter()
            .map(|e| ("endpoint", e.item.id.clone())),
    );
    resources.extend(
        library
            .variable_groups
            .iter()
            .map(|g| ("variablegroup", g.item.id.to_string())),
    );
    resources.extend(
        agents
            .secure_files
            .iter()
            .map(|f| ("securefile", f.item.id.clone())),
    );
    resources.extend(
        agents
            .agent_queues
            .iter()
            .map(|q| ("queue", q.item.id.to_string())),
    );
    resources.extend(
        repository_ids
            .iter()
            .map(|r| ("repository", format!("{}.{r}", scope.project_id))),
    );
    resources
}

/// Reads the checks of every protected resource, the environments' pipeline permissions and,
/// in detailed mode, every resource's.
pub async fn collect(
    scope: &ProjectScope<'_>,
    library: &LibraryResources,
    agents: &AgentResources,
    repository_ids: &[String],
    detailed_permissions: bool,
    coverage: &mut Vec<Coverage>,
) -> Result<ControlResources, AdoError> {
    let resources = protected_resources(scope, library, agents, repository_ids);
    let environments: Vec<(&'static str, String)> = agents
        .environments
        .iter()
        .map(|e| ("environment", e.item.id.to_string()))
        .collect();
    let checks = checks(scope, &resources, &environments, coverage).await?;
    let mut environment_permissions = HashMap::new();
    let (read, status) = permissions(scope, "environment_permissions", environments).await?;
    coverage.push(status);
    for ((_, id), value) in read {
        if let Ok(id) = id.parse::<i64>() {
            environment_permissions.insert(id, value);
        }
    }
    let mut resource_permissions = HashMap::new();
    if detailed_permissions {
        let (read, status) = permissions(scope, "pipeline_permissions", resources).await?;
        coverage.push(status);
        resource_permissions = read;
    }
    Ok(ControlResources {
        checks,
        environment_permissions,
        resource_permissions,
    })
}

/// Checks and approvals of every protected resource of the project, whatever its type
/// (service connections, environments, agent queues, variable groups, secure files,
/// repositories): one query for all (../shared/ado-api/README.md §6).
async fn checks(
    scope: &ProjectScope<'_>,
    resources: &[(&'static str, String)],
    environments: &[(&'static str, String)],
    coverage: &mut Vec<Coverage>,
) -> Result<Vec<Parsed<CheckConfiguration>>, AdoError> {
    // The order the service was asked in before: endpoints, environments, then the rest.
    let (endpoints, rest): (Vec<_>, Vec<_>) =
        resources.iter().partition(|(kind, _)| *kind == "endpoint");
    let (queues, rest): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(kind, _)| *kind == "queue");
    let (groups, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|(kind, _)| *kind == "variablegroup");
    let body: Vec<serde_json::Value> = endpoints
        .into_iter()
        .chain(environments)
        .chain(queues)
        .chain(groups)
        .chain(rest)
        .map(|(kind, id)| serde_json::json!({ "type": kind, "id": id }))
        .collect();
    if body.is_empty() {
        coverage.push(Coverage::new("checks", "read", None));
        return Ok(Vec::new());
    }
    let url = api_url(
        scope.base,
        &["_apis", "pipelines", "checks", "queryconfigurations"],
        &[("api-version", "7.1-preview.1"), ("$expand", "settings")],
    );
    let answer = scope
        .client
        .post_query(
            scope.org,
            "pipelines/checks",
            url.clone(),
            &serde_json::Value::Array(body),
        )
        .await;
    Ok(record(answer, "checks", coverage)?.unwrap_or_default())
}

/// Who may use each resource: there is no list form, so one call per resource. The coverage
/// row (`table`) says whether every call was read; a refused one is that resource's gap.
async fn permissions(
    scope: &ProjectScope<'_>,
    table: &'static str,
    resources: Vec<(&'static str, String)>,
) -> Result<
    (
        HashMap<(&'static str, String), Result<PipelinePermissions, String>>,
        Coverage,
    ),
    AdoError,
> {
    let mut status = Coverage::new(table, "read", None);
    let mut out = HashMap::new();
    for (kind, id) in resources {
        let url = api_url(
            scope.base,
            &[
                "_apis",
                "pipelines",
                "pipelinepermissions",
                kind,
                id.as_str(),
            ],
            &[("api-version", "7.1-preview.1")],
        );
        let value = match scope
            .client
            .get_json::<PipelinePermissions>(scope.org, "pipelines/pipelinepermissions", url)
            .await
        {
            Ok(p) => Ok(p),
            Err(e) => {
                let Some(gap) = e.gap() else { return Err(e) };
                status = Coverage::new(table, gap.as_str(), Some(e.to_string()));
                Err(e.to_string())
            }
        };
        out.insert((kind, id), value);
    }
    Ok((out, status))
}

/// The organization policies read, by their Azure DevOps names.
pub const ORGANIZATION_POLICIES: [&str; 6] = [
    "Policy.AllowAnonymousAccess",
    "Policy.DisallowOAuthAuthentication",
    "Policy.DisallowSecureShell",
    "Policy.LogAuditEvents",
    "Policy.DisallowAadGuestUserAccess",
    "Policy.EnforceAADConditionalAccess",
];

/// The organization security policies the rules read. The API is undocumented (see
/// ../shared/ado-api README §4.9): any refusal (400, 403, 404, 405) is recorded per policy as
/// not evaluated or not available, never a failure of the organization.
pub async fn organization_policies(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
) -> Result<Vec<OrganizationPolicy>, AdoError> {
    let mut out = Vec::new();
    for name in ORGANIZATION_POLICIES {
        let url = api_url(
            base,
            &["_apis", "OrganizationPolicy", "Policies", name],
            // `defaultValue` as Microsoft365DSC asks (tests/fixtures/ado-api/organization.policies.get.json).
            &[("defaultValue", ""), ("api-version", "7.1-preview.1")],
        );
        let value = match client
            .get_json::<serde_json::Value>(org, "OrganizationPolicy/Policies", url)
            .await
        {
            Ok(v) => Outcome::Read(Parsed {
                raw: v.to_string(),
                item: effective_policy_value(&v),
            }),
            Err(
                e @ (AdoError::NotFound { .. }
                | AdoError::Status {
                    status: 400 | 405, ..
                }),
            ) => Outcome::NotAvailable(e.to_string()),
            // Undocumented and optional: whatever else goes wrong costs only these rules.
            Err(e) => Outcome::NotEvaluated(e.to_string()),
        };
        out.push(OrganizationPolicy { name, value });
    }
    Ok(out)
}

/// The value a policy has in effect: `effectiveValue`, which differs from `value` while the
/// policy is left at its default; `value` (or `Value`, as Microsoft365DSC reads it) only when
/// the entry has no effective value.
fn effective_policy_value(entry: &serde_json::Value) -> Option<bool> {
    let field = ["effectiveValue", "EffectiveValue", "value", "Value"]
        .iter()
        .find_map(|k| entry.get(*k).filter(|v| !v.is_null()));
    match field {
        Some(serde_json::Value::Bool(b)) => Some(*b),
        Some(serde_json::Value::String(s)) => s.trim().to_ascii_lowercase().parse::<bool>().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries in the shapes described for the portal's data provider and Microsoft365DSC's read
    /// (tests/fixtures/ado-api/organization.policies.get.json, unverified): `effectiveValue` wins
    /// over `value`.
    #[test]
    fn organization_policies_read_the_effective_value() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/ado-api/organization.policies.get.json"
        ))
        .unwrap();
        let entries: Vec<&serde_json::Value> = fixture["dataProviderEntries"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
            .flat_map(|v| v.as_array().into_iter().flatten())
            .collect();
        let mut differing = 0;
        for entry in &entries {
            let entry = entry.get("policy").unwrap_or(entry);
            let effective = entry["effectiveValue"].as_bool().unwrap();
            assert_eq!(effective_policy_value(entry), Some(effective), "{entry}");
            differing += usize::from(entry["value"].as_bool() != Some(effective));
        }
        assert!(
            differing > 0,
            "no entry whose value differs from its effective value: {fixture}"
        );
        assert_eq!(
            effective_policy_value(&fixture["singlePolicyRead"]),
            Some(true)
        );
        // Microsoft365DSC's single read: `Value`, a string.
        assert_eq!(
            effective_policy_value(&serde_json::json!({ "Value": "True" })),
            Some(true)
        );
        assert_eq!(
            effective_policy_value(&serde_json::json!({ "value": true, "effectiveValue": false })),
            Some(false)
        );
    }
}
