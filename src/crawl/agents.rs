//! Agents and deployment targets: the organization's agent pools, and each project's agent
//! queues, secure files and environments.

use super::Coverage;
use super::read::{API_VERSION, PAGE_SIZE, ProjectScope, parse};
use crate::ado::client::api_url;
use crate::ado::models::{AgentPool, AgentQueue, Environment, Parsed, SecureFile};
use crate::ado::{AdoClient, AdoError};

/// One project's agent queues, secure files and environments.
#[derive(Debug)]
pub struct AgentResources {
    pub agent_queues: Vec<Parsed<AgentQueue>>,
    pub secure_files: Vec<Parsed<SecureFile>>,
    pub environments: Vec<Parsed<Environment>>,
}

/// Reads one project's agent queues, secure files and environments.
pub async fn collect(
    scope: &ProjectScope<'_>,
    coverage: &mut Vec<Coverage>,
) -> Result<AgentResources, AdoError> {
    let url = scope.url(&["_apis", "distributedtask", "queues"], &[]);
    let agent_queues = scope
        .list_or_record::<AgentQueue>("distributedtask/queues", "agent_queues", url, coverage)
        .await?;
    let url = api_url(
        scope.base,
        &["_apis", "distributedtask", "securefiles"],
        &[("api-version", "7.1-preview.1")],
    );
    let secure_files = scope
        .list_or_record::<SecureFile>("distributedtask/securefiles", "secure_files", url, coverage)
        .await?;
    let url = scope.url(
        &["_apis", "distributedtask", "environments"],
        &[("$top", PAGE_SIZE)],
    );
    let environments = scope
        .list_or_record::<Environment>(
            "distributedtask/environments",
            "environments",
            url,
            coverage,
        )
        .await?;
    Ok(AgentResources {
        agent_queues,
        secure_files,
        environments,
    })
}

/// The organization's agent pools.
pub async fn pools(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
) -> Result<Vec<Parsed<AgentPool>>, AdoError> {
    let url = api_url(
        base,
        &["_apis", "distributedtask", "pools"],
        &[("api-version", API_VERSION)],
    );
    let items = client
        .get_list(org, "distributedtask/pools", url.clone())
        .await?
        .items;
    parse::<AgentPool>(org, &url, items)
}
