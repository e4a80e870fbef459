//! One organization's crawl: its projects and repositories, each project's collectors in
//! parallel, then the organization-wide ones. Each collector lives in the module of its area
//! (the same areas as `tables/` and the simulator).

use std::collections::HashMap;

use tokio::task::JoinSet;

use super::discovery::OrganizationRef;
use super::read::{API_VERSION, PAGE_SIZE, ProjectScope};
use super::{
    InventoryScope, OrganizationInventory, OrganizationPart, ProjectLibrary, ProjectPolicies,
    RepositoryRef,
};
use super::{advsec, agents, controls, identity, inventory, library, pipelines};
use crate::ado::client::api_url;
use crate::ado::models::{GitRepository, Parsed, Project};
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

/// Where an organization's crawl hands its parts over.
pub type PartSender = tokio::sync::mpsc::Sender<OrganizationPart>;

/// Hands a part over, waiting while the writer catches up (so the crawl never runs ahead of it
/// by more than the channel holds).
pub async fn hand_over(
    parts: &PartSender,
    organization: &str,
    part: OrganizationPart,
) -> Result<(), AdoError> {
    parts.send(part).await.map_err(|_| AdoError::Transport {
        organization: organization.to_string(),
        url: String::new(),
        message: "the crawl was stopped".into(),
    })
}

/// Crawls one organization, handing each project's resources and each page of alerts to
/// `parts` as they are read, and returns the organization-wide rest. Any failure fails the
/// organization as a whole (the caller drops what was handed over), so no rule ever sees a
/// project whose policies are missing and mistakes it for unprotected.
pub async fn organization(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
    counter: &std::sync::Arc<super::ProjectCounter>,
    projects_in_flight: usize,
    parts: &PartSender,
) -> Result<OrganizationInventory, AdoError> {
    let base = connector.organization_url(&org.name);
    let crawled_at = chrono::Utc::now();
    if connector.deployment == crate::config::Deployment::Server {
        // Each route's versions on this server, so no request is sent with one it refuses.
        client.load_resource_locations(&org.name, &base).await;
    }

    let projects_url = api_url(
        &base,
        &["_apis", "projects"],
        &[("api-version", API_VERSION), ("$top", PAGE_SIZE)],
    );
    let projects: Vec<Parsed<Project>> = client
        .get_list::<Parsed<Project>>(&org.name, "core/projects", projects_url)
        .await?
        .items
        .into_iter()
        .filter(|p| connector.wants_project(&p.item.name))
        .collect();
    tracing::debug!(organization = %org.name, projects = projects.len(), "projects listed");

    let repos_url = api_url(
        &base,
        &["_apis", "git", "repositories"],
        &[("api-version", API_VERSION)],
    );
    // Each project's repositories go with the project's part; the organization keeps their
    // references for Advanced Security.
    let mut repositories_of: HashMap<String, Vec<Parsed<GitRepository>>> = projects
        .iter()
        .map(|p| (p.item.id.clone(), Vec::new()))
        .collect();
    let mut repository_refs = Vec::new();
    for repository in client
        .get_list::<Parsed<GitRepository>>(&org.name, "git/repositories", repos_url)
        .await?
        .items
    {
        if let Some(list) = repositories_of.get_mut(repository.item.project.id.as_str()) {
            repository_refs.push(RepositoryRef::of(&repository.item));
            list.push(repository);
        }
    }

    counter
        .found
        .fetch_add(projects.len(), std::sync::atomic::Ordering::Relaxed);
    // At most `projects_in_flight` projects at once: a project holds what it read until its
    // last collector is done, so spawning every project at once would hold the organization.
    let mut tasks = JoinSet::new();
    let mut spawn = |tasks: &mut JoinSet<_>, project: &Parsed<Project>| {
        let client = client.clone();
        let org_name = org.name.clone();
        let project_base = api_url(&base, &[project.item.id.as_str()], &[]);
        let (project_id, project_name) = (project.item.id.clone(), project.item.name.clone());
        // Repositories of the project, for their checks (and pipeline permissions, in
        // detailed mode), handed over with it.
        let repositories = repositories_of.remove(&project_id).unwrap_or_default();
        let detailed = connector.detailed_pipeline_permissions;
        let counter = counter.clone();
        tasks.spawn(async move {
            let ids = (project_id, project_name);
            let result = project_resources(
                &client,
                &org_name,
                &project_base,
                ids,
                detailed,
                &repositories,
            )
            .await;
            counter
                .done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            result.map(|(policies, library)| (policies, library, repositories))
        });
    };
    let mut waiting = projects.iter();
    for project in waiting.by_ref().take(projects_in_flight.max(1)) {
        spawn(&mut tasks, project);
    }
    // Read before the projects: each project's settings row carries the organization's.
    let organization_pipeline_settings =
        pipelines::organization_settings(client, connector, &org.name, &base).await;
    let mut inventory = OrganizationInventory {
        connector: connector.name.clone(),
        organization: org.name.clone(),
        organization_id: org.id.clone(),
        url: base.to_string(),
        deployment: connector.deployment,
        api_version: None,
        crawled_at,
        projects: Vec::new(),
        repositories: Vec::new(),
        repository_refs: Vec::new(),
        policies: Vec::new(),
        libraries: Vec::new(),
        advanced_security: super::Outcome::NotAvailable(String::new()),
        agent_pools: Vec::new(),
        organization_policies: Vec::new(),
        organization_pipeline_settings,
        identity: identity::IdentityResources::not_available(""),
        scope: InventoryScope::Organization,
    };
    while let Some(joined) = tasks.join_next().await {
        if let Some(project) = waiting.next() {
            spawn(&mut tasks, project);
        }
        match joined {
            Ok(result) => {
                let (project_policies, mut library, repositories) = result?;
                // The project goes now, but for what is looked up across projects.
                inventory.libraries.push(library.split_shared());
                let part = inventory.of_project(project_policies, library, repositories);
                hand_over(parts, &org.name, OrganizationPart::Project(Box::new(part))).await?;
            }
            Err(join_error) => {
                return Err(AdoError::Transport {
                    organization: org.name.clone(),
                    url: base.to_string(),
                    message: format!("project crawl task failed: {join_error}"),
                });
            }
        }
    }

    inventory.advanced_security =
        advsec::advanced_security(client, connector, org, &projects, &repository_refs, parts)
            .await?;
    inventory
        .libraries
        .sort_by(|a, b| a.project_id.cmp(&b.project_id));
    inventory.agent_pools = agents::pools(client, &org.name, &base).await?;
    inventory.organization_policies =
        controls::organization_policies(client, &org.name, &base).await?;
    inventory.identity = identity::collect(client, connector, org, &base, &projects).await?;
    inventory.projects = projects;
    inventory.repository_refs = repository_refs;
    Ok(inventory)
}

/// Every collector of one project, in turn.
async fn project_resources(
    client: &AdoClient,
    org: &str,
    project_base: &url::Url,
    (project_id, project): (String, String),
    detailed_permissions: bool,
    repositories: &[Parsed<GitRepository>],
) -> Result<(ProjectPolicies, ProjectLibrary), AdoError> {
    let repository_ids: Vec<String> = repositories.iter().map(|r| r.item.id.clone()).collect();
    let scope = ProjectScope {
        client,
        org,
        base: project_base,
        project_id: &project_id,
    };
    let mut coverage = Vec::new();
    let policies = inventory::branch_policies(&scope, &mut coverage).await?;
    let library = library::collect(&scope, &mut coverage).await?;
    let pipelines = pipelines::collect(&scope, &mut coverage).await?;
    let agents = agents::collect(&scope, &mut coverage).await?;
    let controls = controls::collect(
        &scope,
        &library,
        &agents,
        &repository_ids,
        detailed_permissions,
        &mut coverage,
    )
    .await?;
    Ok((
        ProjectPolicies {
            project_id: project_id.clone(),
            project: project.clone(),
            policies,
        },
        ProjectLibrary {
            project_id,
            project,
            library,
            pipelines,
            agents,
            controls,
            coverage,
            shared_only: false,
        },
    ))
}
