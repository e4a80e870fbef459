//! The library of each project: service connections and variable groups, and which service
//! connections, variable groups, agent queues and secure files are open to every pipeline.

use std::collections::HashSet;

use super::Coverage;
use super::read::ProjectScope;
use crate::ado::AdoError;
use crate::ado::client::api_url;
use crate::ado::models::{AuthorizedResource, Parsed, ServiceEndpoint, VariableGroup};

/// One project's service connections and variable groups.
#[derive(Debug)]
pub struct LibraryResources {
    pub service_connections: Vec<Parsed<ServiceEndpoint>>,
    pub variable_groups: Vec<Parsed<VariableGroup>>,
    pub open: OpenToAllPipelines,
}

/// Ids of the resources authorized for every pipeline of the project (build/authorizedresources).
#[derive(Debug, Default)]
pub struct OpenToAllPipelines {
    pub service_connections: HashSet<String>,
    pub variable_groups: HashSet<String>,
    pub agent_queues: HashSet<String>,
    pub secure_files: HashSet<String>,
}

/// Service connections that are not ready (failed or half created) still hold credentials,
/// and the list hides them unless asked (../shared/ado-api/README.md §6).
const SERVICE_CONNECTIONS_QUERY: [(&str, &str); 1] = [("includeFailed", "true")];

/// Reads one project's service connections, variable groups and open resources.
pub async fn collect(
    scope: &ProjectScope<'_>,
    coverage: &mut Vec<Coverage>,
) -> Result<LibraryResources, AdoError> {
    let url = scope.url(
        &["_apis", "serviceendpoint", "endpoints"],
        &SERVICE_CONNECTIONS_QUERY,
    );
    let service_connections = scope
        .list_or_record::<ServiceEndpoint>(
            "serviceendpoint/endpoints",
            "service_connections",
            url,
            coverage,
        )
        .await?;
    let url = scope.url(
        &["_apis", "distributedtask", "variablegroups"],
        &[
            ("$top", super::read::PAGE_SIZE),
            ("queryOrder", "IdAscending"),
        ],
    );
    let variable_groups = scope
        .list_or_record::<VariableGroup>(
            "distributedtask/variablegroups",
            "variable_groups",
            url,
            coverage,
        )
        .await?;
    Ok(LibraryResources {
        service_connections,
        variable_groups,
        open: open_to_all_pipelines(scope).await?,
    })
}

/// One call per resource type lists everything authorized for all pipelines (cheaper than one
/// pipelinePermissions call per resource).
async fn open_to_all_pipelines(scope: &ProjectScope<'_>) -> Result<OpenToAllPipelines, AdoError> {
    let mut open = Vec::new();
    for kind in ["endpoint", "variablegroup", "queue", "securefile"] {
        let mut url = api_url(
            scope.base,
            &["_apis", "build", "authorizedresources"],
            &[("api-version", "7.1-preview.1")],
        );
        url.query_pairs_mut().append_pair("type", kind);
        let items = scope
            .client
            .get_list::<Parsed<AuthorizedResource>>(scope.org, "build/authorizedresources", url)
            .await?
            .items;
        open.push(
            items
                .into_iter()
                .filter(|r| r.item.authorized)
                .map(|r| r.item.id)
                .collect(),
        );
    }
    let mut open = open.into_iter();
    let mut next = || open.next().unwrap_or_default();
    Ok(OpenToAllPipelines {
        service_connections: next(),
        variable_groups: next(),
        agent_queues: next(),
        secure_files: next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ado::client::api_url;
    use crate::crawl::read::API_VERSION;

    #[test]
    fn service_connections_are_listed_with_include_failed() {
        let base = url::Url::parse("https://dev.azure.com/fabrikam/p").unwrap();
        let mut query = vec![("api-version", API_VERSION)];
        query.extend(SERVICE_CONNECTIONS_QUERY);
        let url = api_url(&base, &["_apis", "serviceendpoint", "endpoints"], &query);
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "includeFailed" && v == "true"),
            "{url}"
        );
    }
}
