//! Pipelines: the build definitions of each project, its pipeline general settings and the
//! organization's.

use super::Coverage;
use super::read::{Outcome, PAGE_SIZE, ProjectScope};
use crate::ado::client::api_url;
use crate::ado::models::{BuildDefinition, Parsed};
use crate::ado::{AdoClient, AdoError};
use crate::config::{Connector, Deployment};

/// The pipelines of one project and its general settings.
#[derive(Debug)]
pub struct PipelineResources {
    pub pipelines: Vec<Parsed<BuildDefinition>>,
    /// The general settings object, or why it is not there (404 on older servers).
    pub settings: Outcome<Parsed<serde_json::Value>>,
}

/// Definitions page with a timestamp token, which the service refuses on the second page
/// without a queryOrder ("Continuation token timestamp without query order is ambiguous");
/// name order gives name tokens (tests/fixtures/ado-api/build.definitions.paging.json).
const BUILD_DEFINITIONS_QUERY: [(&str, &str); 3] = [
    ("includeAllProperties", "true"),
    ("$top", PAGE_SIZE),
    ("queryOrder", "definitionNameAscending"),
];

/// Reads one project's pipelines and general settings.
pub async fn collect(
    scope: &ProjectScope<'_>,
    coverage: &mut Vec<Coverage>,
) -> Result<PipelineResources, AdoError> {
    let url = scope.url(&["_apis", "build", "definitions"], &BUILD_DEFINITIONS_QUERY);
    let pipelines = scope
        .list_or_record::<BuildDefinition>("build/definitions", "pipelines", url, coverage)
        .await?;
    let url = scope.url(&["_apis", "build", "generalsettings"], &[]);
    let settings = match scope
        .client
        .get_json::<serde_json::Value>(scope.org, "build/generalsettings", url)
        .await
    {
        Ok(value) => Outcome::Read(Parsed {
            raw: value.to_string(),
            item: value,
        }),
        Err(e) => match e.gap() {
            Some(gap) => {
                let prefix = match gap {
                    crate::ado::error::Gap::NotAvailable => "not available",
                    crate::ado::error::Gap::NotEvaluated => "not evaluated",
                };
                Outcome::gap(gap, format!("{prefix}: {e}"))
            }
            None => return Err(e),
        },
    };
    Ok(PipelineResources {
        pipelines,
        settings,
    })
}

/// The organization's pipeline settings; on Azure DevOps Server not available (the portal's
/// data provider is a cloud contract, and a Server's projects are judged on their own settings).
pub async fn organization_settings(
    client: &AdoClient,
    connector: &Connector,
    org: &str,
    base: &url::Url,
) -> Outcome<Parsed<serde_json::Value>> {
    if connector.deployment == Deployment::Server {
        return Outcome::NotAvailable("not available: Azure DevOps Server (organization pipeline settings are read on Azure DevOps Services only)".to_string());
    }
    read_organization_settings(client, org, base).await
}

/// The portal's data provider for the organization's pipeline settings (the REST specs have no
/// organization-level `build/generalsettings` route; see ../shared/ado-api README §4.3).
const ORGANIZATION_PIPELINE_SETTINGS_PROVIDER: &str =
    "ms.vss-build-web.pipelines-org-settings-data-provider";

/// The organization's pipeline settings, read as the portal reads them:
/// `POST {org}/_apis/Contribution/HierarchyQuery` with the pipelines-settings data provider
/// (what AzSK's ADO Scanner does). Undocumented: any failure costs only the organization-level
/// values ("not available" / "not evaluated"), never the organization.
async fn read_organization_settings(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
) -> Outcome<Parsed<serde_json::Value>> {
    let url = api_url(
        base,
        &["_apis", "Contribution", "HierarchyQuery"],
        &[("api-version", "5.0-preview.1")],
    );
    let body = serde_json::json!({
        "contributionIds": [ORGANIZATION_PIPELINE_SETTINGS_PROVIDER],
        "dataProviderContext": { "properties": { "sourcePage": {
            "routeId": "ms.vss-admin-web.collection-admin-hub-route",
            "routeValues": { "adminPivot": "pipelinessettings", "controller": "ContributedPage", "action": "Execute" }
        } } }
    });
    match client
        .post_json::<serde_json::Value>(org, "Contribution/HierarchyQuery", url, &body)
        .await
    {
        Ok(answer) => match answer
            .get("dataProviders")
            .and_then(|d| d.get(ORGANIZATION_PIPELINE_SETTINGS_PROVIDER))
            .filter(|v| v.is_object())
        {
            Some(settings) => Outcome::Read(Parsed {
                raw: settings.to_string(),
                item: settings.clone(),
            }),
            None => Outcome::NotAvailable(format!(
                "not available: the answer has no {ORGANIZATION_PIPELINE_SETTINGS_PROVIDER} data"
            )),
        },
        Err(
            e @ (AdoError::NotFound { .. }
            | AdoError::Status {
                status: 400 | 405, ..
            }),
        ) => Outcome::NotAvailable(format!("not available: {e}")),
        Err(e) => Outcome::NotEvaluated(format!("not evaluated: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_definitions_are_listed_in_name_order() {
        let paging: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/ado-api/build.definitions.paging.json"
        ))
        .unwrap();
        let order = BUILD_DEFINITIONS_QUERY
            .iter()
            .find(|(k, _)| *k == "queryOrder")
            .map(|(_, v)| *v)
            .unwrap();
        // One of the orders the service knows, and one that gives name tokens.
        assert!(paging["notes"].as_str().unwrap().contains(order), "{order}");
        assert!(order.starts_with("definitionName"));
    }
}
