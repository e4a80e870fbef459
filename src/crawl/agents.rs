//! Agents and deployment targets: the organization's agent pools, and each project's agent
//! queues, secure files, environments and deployment groups.

use super::Coverage;
use super::read::{API_VERSION, PAGE_SIZE, ProjectScope};
use crate::ado::client::api_url;
use crate::ado::models::{AgentPool, AgentQueue, Environment, Parsed, SecureFile};
use crate::ado::{AdoClient, AdoError};

/// One project's agent queues, secure files, environments and deployment groups.
#[derive(Debug)]
pub struct AgentResources {
    pub agent_queues: Vec<Parsed<AgentQueue>>,
    pub secure_files: Vec<Parsed<SecureFile>>,
    pub environments: Vec<Parsed<Environment>>,
    pub deployment_groups: Vec<Parsed<DeploymentGroup>>,
}

/// A deployment group: machines a classic release deploys to, each running an agent of the
/// group's deployment pool (`GET {org}/{project}/_apis/distributedtask/deploymentgroups`,
/// paged by `x-ms-continuationtoken`; ../shared/ado-api/pagination.continuationtoken.deploymentgroups.json).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentGroup {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub machine_count: Option<i64>,
    #[serde(default)]
    pub pool: Option<DeploymentPool>,
}

/// The deployment pool behind a deployment group.
#[derive(Debug, serde::Deserialize)]
pub struct DeploymentPool {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
}

/// Reads one project's agent queues, secure files, environments and deployment groups.
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
    let url = scope.url(
        &["_apis", "distributedtask", "deploymentgroups"],
        &[("$top", PAGE_SIZE)],
    );
    let deployment_groups = scope
        .list_or_record::<DeploymentGroup>(
            "distributedtask/deploymentgroups",
            "deployment_groups",
            url,
            coverage,
        )
        .await?;
    Ok(AgentResources {
        agent_queues,
        secure_files,
        environments,
        deployment_groups,
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
    Ok(client
        .get_list::<Parsed<AgentPool>>(org, "distributedtask/pools", url)
        .await?
        .items)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's recorded page of deployment groups parses, pool included.
    #[test]
    fn deployment_groups_parse_from_the_spec_example() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../../shared/ado-api/pagination.continuationtoken.deploymentgroups.json"
        ))
        .unwrap();
        let items = fixture["responses"]["200"]["body"]["value"]
            .as_array()
            .unwrap()
            .clone();
        let groups = crate::ado::models::parse_items::<DeploymentGroup>(items).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].item.id, 14);
        assert_eq!(groups[0].item.name, "MyDeploymentGroup12");
        assert_eq!(groups[0].item.machine_count, Some(0));
        assert_eq!(groups[0].item.pool.as_ref().map(|p| p.id), Some(9));
        // The next page's token comes in a response header, as the client reads it.
        assert_eq!(
            fixture["responses"]["200"]["headers"]["x-MS-ContinuationToken"],
            "MyDeploymentGroup14"
        );
    }
}
