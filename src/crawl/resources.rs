//! The collectors of one organization: projects, repositories and branch policies.
//! Each uses the cheapest call that gives the data: one org-wide repository list, the largest
//! page size for paged lists.

use tokio::task::JoinSet;

use super::discovery::OrganizationRef;
use super::{OrganizationInventory, ProjectPolicies};
use crate::ado::client::api_url;
use crate::ado::models::{GitRepository, Parsed, PolicyConfiguration, Project, parse_items};
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

const API_VERSION: &str = "7.1";
/// The largest page the paged lists accept.
const PAGE_SIZE: &str = "1000";

/// Crawls one organization. Any failure fails the organization as a whole, so no rule ever
/// sees a project whose policies are missing and mistakes it for unprotected.
pub async fn organization(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
) -> Result<OrganizationInventory, AdoError> {
    let base = api_url(&connector.url, &[org.name.as_str()], &[]);
    let crawled_at = chrono::Utc::now();

    let projects_url = api_url(
        &base,
        &["_apis", "projects"],
        &[("api-version", API_VERSION), ("$top", PAGE_SIZE)],
    );
    let projects: Vec<Parsed<Project>> = parse::<Project>(
        &org.name,
        &projects_url,
        client
            .get_list(&org.name, "core/projects", projects_url.clone())
            .await?
            .items,
    )?
    .into_iter()
    .filter(|p| connector.wants_project(&p.item.name))
    .collect();
    tracing::debug!(organization = %org.name, projects = projects.len(), "projects listed");

    let repos_url = api_url(
        &base,
        &["_apis", "git", "repositories"],
        &[("api-version", API_VERSION)],
    );
    let project_ids: std::collections::HashSet<&str> =
        projects.iter().map(|p| p.item.id.as_str()).collect();
    let repositories: Vec<Parsed<GitRepository>> = parse::<GitRepository>(
        &org.name,
        &repos_url,
        client
            .get_list(&org.name, "git/repositories", repos_url.clone())
            .await?
            .items,
    )?
    .into_iter()
    .filter(|r| project_ids.contains(r.item.project.id.as_str()))
    .collect();

    let mut tasks = JoinSet::new();
    for project in &projects {
        let client = client.clone();
        let org_name = org.name.clone();
        let url = api_url(
            &base,
            &[
                project.item.id.as_str(),
                "_apis",
                "policy",
                "configurations",
            ],
            &[("api-version", API_VERSION), ("$top", PAGE_SIZE)],
        );
        let (project_id, project_name) = (project.item.id.clone(), project.item.name.clone());
        tasks.spawn(async move {
            let list = client
                .get_list(&org_name, "policy/configurations", url.clone())
                .await?;
            let policies = parse::<PolicyConfiguration>(&org_name, &url, list.items)?;
            Ok::<_, AdoError>(ProjectPolicies {
                project_id,
                project: project_name,
                policies,
            })
        });
    }
    let mut policies = Vec::with_capacity(projects.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => policies.push(result?),
            Err(join_error) => {
                return Err(AdoError::Transport {
                    organization: org.name.clone(),
                    url: base.to_string(),
                    message: format!("policy crawl task failed: {join_error}"),
                });
            }
        }
    }
    policies.sort_by(|a, b| a.project_id.cmp(&b.project_id));

    Ok(OrganizationInventory {
        connector: connector.name.clone(),
        organization: org.name.clone(),
        organization_id: org.id.clone(),
        url: base.to_string(),
        deployment: connector.deployment,
        api_version: None,
        crawled_at,
        projects,
        repositories,
        policies,
    })
}

fn parse<T: serde::de::DeserializeOwned>(
    organization: &str,
    url: &url::Url,
    items: Vec<serde_json::Value>,
) -> Result<Vec<Parsed<T>>, AdoError> {
    parse_items(items).map_err(|e| AdoError::Decode {
        organization: organization.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    })
}
