//! The collectors of one organization: projects, repositories and branch policies.
//! Each uses the cheapest call that gives the data: one org-wide repository list, the largest
//! page size for paged lists.

use tokio::task::JoinSet;

use super::discovery::OrganizationRef;
use super::{
    AdvancedSecurity, Coverage, OrganizationInventory, OrganizationPolicy, ProjectLibrary,
    ProjectPolicies, RepoAdvancedSecurity,
};
use crate::ado::client::api_url;
use crate::ado::error::Gap;
use crate::ado::models::{
    AuthorizedResource, GitRepository, Parsed, PolicyConfiguration, Project, ServiceEndpoint,
    VariableGroup, parse_items,
};
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
    counter: &std::sync::Arc<super::ProjectCounter>,
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

    counter
        .found
        .fetch_add(projects.len(), std::sync::atomic::Ordering::Relaxed);
    let mut tasks = JoinSet::new();
    for project in &projects {
        let client = client.clone();
        let org_name = org.name.clone();
        let project_base = api_url(&base, &[project.item.id.as_str()], &[]);
        let (project_id, project_name) = (project.item.id.clone(), project.item.name.clone());
        // Repositories of the project, for their checks (and pipeline permissions, in
        // detailed mode).
        let repository_ids: Vec<String> = repositories
            .iter()
            .filter(|r| r.item.project.id == project.item.id)
            .map(|r| r.item.id.clone())
            .collect();
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
                repository_ids,
            )
            .await;
            counter
                .done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            result
        });
    }
    let mut policies = Vec::with_capacity(projects.len());
    let mut libraries = Vec::with_capacity(projects.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => {
                let (project_policies, library) = result?;
                policies.push(project_policies);
                libraries.push(library);
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
    policies.sort_by(|a, b| a.project_id.cmp(&b.project_id));
    libraries.sort_by(|a, b| a.project_id.cmp(&b.project_id));

    let advanced_security =
        advanced_security(client, connector, org, &projects, &repositories).await?;
    let pools_url = api_url(
        &base,
        &["_apis", "distributedtask", "pools"],
        &[("api-version", API_VERSION)],
    );
    let agent_pools = parse::<crate::ado::models::AgentPool>(
        &org.name,
        &pools_url,
        client
            .get_list(&org.name, "distributedtask/pools", pools_url.clone())
            .await?
            .items,
    )?;

    let organization_policies = organization_policies(client, &org.name, &base).await?;
    let organization_pipeline_settings = if connector.deployment
        == crate::config::Deployment::Server
    {
        // The portal's data provider is a cloud contract; a Server's projects are judged on
        // their own settings.
        Err("not available: Azure DevOps Server (organization pipeline settings are read on Azure DevOps Services only)".to_string())
    } else {
        organization_pipeline_settings(client, &org.name, &base).await
    };

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
        libraries,
        advanced_security,
        agent_pools,
        organization_policies,
        organization_pipeline_settings,
    })
}

/// The portal's data provider for the organization's pipeline settings (the REST specs have no
/// organization-level `build/generalsettings` route; see ../shared/ado-api README §4.3).
const ORGANIZATION_PIPELINE_SETTINGS_PROVIDER: &str =
    "ms.vss-build-web.pipelines-org-settings-data-provider";

/// The organization's pipeline settings, read as the portal reads them:
/// `POST {org}/_apis/Contribution/HierarchyQuery` with the pipelines-settings data provider
/// (what AzSK's ADO Scanner does). Undocumented: any failure costs only the organization-level
/// values ("not available" / "not evaluated"), never the organization.
async fn organization_pipeline_settings(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
) -> Result<Parsed<serde_json::Value>, String> {
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
            Some(settings) => Ok(Parsed {
                raw: settings.to_string(),
                item: settings.clone(),
            }),
            None => Err(format!(
                "not available: the answer has no {ORGANIZATION_PIPELINE_SETTINGS_PROVIDER} data"
            )),
        },
        Err(
            e @ (AdoError::NotFound { .. }
            | AdoError::Status {
                status: 400 | 405, ..
            }),
        ) => Err(format!("not available: {e}")),
        Err(e) => Err(format!("not evaluated: {e}")),
    }
}

/// Advanced Security: one enablement call for the organization, then the alerts of the
/// repositories with a feature on, read organization-wide where the service offers it (one
/// summary call and ⌈alerts / page⌉ calls of `reporting/summary/alertsbatch`) and per
/// repository otherwise. A 404 means the feature does not exist here, a 403 that we may not
/// read it: recorded, never a failure.
async fn advanced_security(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
    projects: &[Parsed<Project>],
    repositories: &[Parsed<GitRepository>],
) -> Result<AdvancedSecurity, AdoError> {
    let Some(advsec) = &connector.advsec_url else {
        return Ok(AdvancedSecurity::NotAvailable(format!(
            "{} has no Advanced Security (Azure DevOps Server)",
            connector.url
        )));
    };
    let base = api_url(advsec, &[org.name.as_str()], &[]);
    let url = api_url(
        &base,
        &["_apis", "management", "enablement"],
        &[
            ("includeAllProperties", "true"),
            ("api-version", "7.2-preview.3"),
        ],
    );
    let enablement: crate::ado::models::AdvSecEnablement = match client
        .get_json(&org.name, "management/enablement", url)
        .await
    {
        Ok(e) => e,
        Err(e) => {
            return match e.gap() {
                Some(Gap::NotAvailable) => Ok(AdvancedSecurity::NotAvailable(e.to_string())),
                Some(Gap::NotEvaluated) => Ok(AdvancedSecurity::NotEvaluated(e.to_string())),
                None => Err(e),
            };
        }
    };
    let project_of: std::collections::HashMap<&str, &str> = repositories
        .iter()
        .map(|r| (r.item.id.as_str(), r.item.project.id.as_str()))
        .collect();
    let mut states = std::collections::HashMap::new();
    // (repository id, project id) of the repositories whose alerts are wanted.
    let mut enabled: Vec<(String, String)> = Vec::new();
    for repo in enablement.repos_enablement_status {
        let Some(project_id) = project_of.get(repo.repository_id.as_str()) else {
            continue; // a repository of a project the connector leaves out
        };
        let state = (
            repo.code_security(),
            repo.secret_protection(),
            repo.block_pushes(),
        );
        if state.0 || state.1 {
            enabled.push((repo.repository_id.clone(), project_id.to_string()));
        }
        states.insert(repo.repository_id, state);
    }
    let mut alerts = std::collections::HashMap::new();
    if !enabled.is_empty()
        && let Some(mut visible) =
            organization_alerts(client, &org.name, &base, projects, repositories).await?
    {
        // Repositories the organization-wide view leaves out are asked one by one: their
        // alerts may be refused to this identity (then "not evaluated"), never assumed empty.
        enabled.retain(|(id, _)| {
            let key = id.to_ascii_lowercase();
            match visible.remove(&key) {
                Some(list) => {
                    alerts.insert(id.clone(), Ok(list));
                    false
                }
                None => true,
            }
        });
    }
    let mut tasks = JoinSet::new();
    for (repository_id, project_id) in enabled {
        let client = client.clone();
        let org_name = org.name.clone();
        let mut url = api_url(
            &base,
            &[
                project_id.as_str(),
                "_apis",
                "alert",
                "repositories",
                repository_id.as_str(),
                "alerts",
            ],
            &[("api-version", "7.2-preview.1")],
        );
        url.query_pairs_mut().append_pair("top", PAGE_SIZE);
        tasks.spawn(async move {
            let alerts = match client
                .get_list(&org_name, "alert/repositories", url.clone())
                .await
            {
                Ok(list) => parse::<crate::ado::models::Alert>(&org_name, &url, list.items).map(Ok),
                // A 404 here usually means "no permission" (TF401019), like a 403 or a
                // route's 401: that repository's gap, never the organization's failure.
                Err(e) if e.gap().is_some() => Ok(Err(e.to_string())),
                Err(e) => Err(e),
            };
            (repository_id, alerts)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((repository_id, result)) => {
                alerts.insert(repository_id, result?);
            }
            Err(join_error) => {
                return Err(AdoError::Transport {
                    organization: org.name.clone(),
                    url: base.to_string(),
                    message: format!("alerts task failed: {join_error}"),
                });
            }
        }
    }
    Ok(AdvancedSecurity::Read(
        states
            .into_iter()
            .map(|(id, (code_security, secret_protection, block_pushes))| {
                let alerts = alerts.remove(&id).unwrap_or_else(|| Ok(Vec::new()));
                (
                    id,
                    RepoAdvancedSecurity {
                        code_security,
                        secret_protection,
                        block_pushes,
                        alerts,
                    },
                )
            })
            .collect(),
    ))
}

/// Alerts by repository id (lower case) from the organization-wide API (7.2-preview.1,
/// tests/fixtures/ado-api/advsec.reporting.alertsbatch.json): `reporting/summary/alerts` names the
/// repositories whose alerts this identity sees (the service shows nobody more), and
/// `reporting/summary/alertsbatch` pages their alerts in any state by `x-ms-continuationtoken`.
/// Its alerts name their repository by project and repository name, not id. A repository with
/// an alert in the list but missing from the summary counts as seen too.
///
/// `None` when the organization-wide API is not there or refused (404, 400, 405, 403, a
/// route's 401, or an answer of another shape): the caller then asks per repository.
async fn organization_alerts(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
    projects: &[Parsed<Project>],
    repositories: &[Parsed<GitRepository>],
) -> Result<
    Option<std::collections::HashMap<String, Vec<Parsed<crate::ado::models::Alert>>>>,
    AdoError,
> {
    let unavailable = |e: &AdoError| {
        e.gap().is_some()
            || matches!(
                e,
                AdoError::Status {
                    status: 400 | 405,
                    ..
                } | AdoError::Decode { .. }
            )
    };
    let summary_url = api_url(
        base,
        &["_apis", "reporting", "summary", "alerts"],
        &[("api-version", "7.2-preview.1")],
    );
    let summary: serde_json::Value = match client
        .get_json(org, "reporting/summary/alerts", summary_url)
        .await
    {
        Ok(v) => v,
        Err(e) if unavailable(&e) => {
            tracing::debug!(
                organization = org,
                "no organization-wide alerts, reading them per repository: {e}"
            );
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let Some(summary_projects) = summary.get("projects").and_then(|p| p.as_array()) else {
        tracing::debug!(
            organization = org,
            "the alert summary has no projects; reading alerts per repository"
        );
        return Ok(None);
    };
    let mut visible: std::collections::HashMap<String, Vec<Parsed<crate::ado::models::Alert>>> =
        summary_projects
            .iter()
            .filter_map(|p| p.get("repos").and_then(|r| r.as_array()))
            .flatten()
            .filter_map(|r| r.get("repoId").and_then(|id| id.as_str()))
            .map(|id| (id.to_ascii_lowercase(), Vec::new()))
            .collect();
    let mut url = api_url(
        base,
        &["_apis", "reporting", "summary", "alertsbatch"],
        &[("api-version", "7.2-preview.1")],
    );
    url.query_pairs_mut().append_pair("top", PAGE_SIZE);
    let items = match client
        .get_list(org, "reporting/summary/alertsbatch", url.clone())
        .await
    {
        Ok(list) => list.items,
        Err(e) if unavailable(&e) => {
            tracing::debug!(
                organization = org,
                "no organization-wide alerts, reading them per repository: {e}"
            );
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    // Repository ids by (project name, repository name), both compared case-insensitively as
    // the service treats names.
    let project_names: std::collections::HashMap<&str, String> = projects
        .iter()
        .map(|p| (p.item.id.as_str(), p.item.name.to_lowercase()))
        .collect();
    let by_name: std::collections::HashMap<(String, String), String> = repositories
        .iter()
        .filter_map(|r| {
            let project = project_names.get(r.item.project.id.as_str())?;
            Some((
                (project.clone(), r.item.name.to_lowercase()),
                r.item.id.to_ascii_lowercase(),
            ))
        })
        .collect();
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
    for item in items {
        let repository_id = text(&item, "repositoryId")
            .map(|id| id.to_ascii_lowercase())
            .or_else(|| {
                let project = text(&item, "projectName")?.to_lowercase();
                let repository = text(&item, "repositoryName")?.to_lowercase();
                by_name.get(&(project, repository)).cloned()
            });
        // An alert of a repository outside the crawl (a project the connector leaves out).
        let Some(repository_id) = repository_id else {
            continue;
        };
        let alert = parse::<crate::ado::models::Alert>(org, &url, vec![item])?;
        visible.entry(repository_id).or_default().extend(alert);
    }
    Ok(Some(visible))
}

/// The collectors that run per project: branch policies, service connections, variable groups
/// and which of the latter two are open to every pipeline.
async fn project_resources(
    client: &AdoClient,
    org: &str,
    project_base: &url::Url,
    (project_id, project): (String, String),
    detailed_permissions: bool,
    repository_ids: Vec<String>,
) -> Result<(ProjectPolicies, ProjectLibrary), AdoError> {
    let mut coverage = Vec::new();
    let list = |segments: &'static [&'static str], query: Vec<(&'static str, &'static str)>| {
        let mut q = vec![("api-version", API_VERSION)];
        q.extend(query);
        api_url(project_base, segments, &q)
    };
    let url = list(
        &["_apis", "policy", "configurations"],
        vec![("$top", PAGE_SIZE)],
    );
    // Refused branch policies are recorded, and the rules report the project's repositories as
    // not evaluated: a policy list that could not be read never reads as "unprotected".
    let policies = list_or_record::<PolicyConfiguration>(
        client,
        org,
        "policy/configurations",
        "branch_policies",
        url,
        &mut coverage,
    )
    .await?;
    let url = list(
        &["_apis", "serviceendpoint", "endpoints"],
        SERVICE_CONNECTIONS_QUERY.to_vec(),
    );
    let service_connections = list_or_record::<ServiceEndpoint>(
        client,
        org,
        "serviceendpoint/endpoints",
        "service_connections",
        url,
        &mut coverage,
    )
    .await?;
    let url = list(
        &["_apis", "distributedtask", "variablegroups"],
        vec![("$top", PAGE_SIZE), ("queryOrder", "IdAscending")],
    );
    let variable_groups = list_or_record::<VariableGroup>(
        client,
        org,
        "distributedtask/variablegroups",
        "variable_groups",
        url,
        &mut coverage,
    )
    .await?;
    // One call per resource type lists everything authorized for all pipelines (cheaper than
    // one pipelinePermissions call per resource).
    let mut open = Vec::new();
    for kind in ["endpoint", "variablegroup", "queue", "securefile"] {
        let mut url = api_url(
            project_base,
            &["_apis", "build", "authorizedresources"],
            &[("api-version", "7.1-preview.1")],
        );
        url.query_pairs_mut().append_pair("type", kind);
        let items = parse::<AuthorizedResource>(
            org,
            &url,
            client
                .get_list(org, "build/authorizedresources", url.clone())
                .await?
                .items,
        )?;
        open.push(
            items
                .into_iter()
                .filter(|r| r.item.authorized)
                .map(|r| r.item.id)
                .collect(),
        );
    }
    let url = list(
        &["_apis", "build", "definitions"],
        BUILD_DEFINITIONS_QUERY.to_vec(),
    );
    let pipelines = list_or_record::<crate::ado::models::BuildDefinition>(
        client,
        org,
        "build/definitions",
        "pipelines",
        url,
        &mut coverage,
    )
    .await?;
    let url = list(&["_apis", "distributedtask", "queues"], vec![]);
    let agent_queues = list_or_record::<crate::ado::models::AgentQueue>(
        client,
        org,
        "distributedtask/queues",
        "agent_queues",
        url,
        &mut coverage,
    )
    .await?;
    let mut url = api_url(
        project_base,
        &["_apis", "distributedtask", "securefiles"],
        &[("api-version", "7.1-preview.1")],
    );
    url.set_fragment(None);
    let secure_files = list_or_record::<crate::ado::models::SecureFile>(
        client,
        org,
        "distributedtask/securefiles",
        "secure_files",
        url,
        &mut coverage,
    )
    .await?;
    let url = list(
        &["_apis", "distributedtask", "environments"],
        vec![("$top", PAGE_SIZE)],
    );
    let environments = list_or_record::<crate::ado::models::Environment>(
        client,
        org,
        "distributedtask/environments",
        "environments",
        url,
        &mut coverage,
    )
    .await?;
    let url = list(&["_apis", "build", "generalsettings"], vec![]);
    let pipeline_settings = match client
        .get_json::<serde_json::Value>(org, "build/generalsettings", url)
        .await
    {
        Ok(value) => Ok(Parsed {
            raw: value.to_string(),
            item: value,
        }),
        Err(e) => match e.gap() {
            Some(Gap::NotAvailable) => Err(format!("not available: {e}")),
            Some(Gap::NotEvaluated) => Err(format!("not evaluated: {e}")),
            None => return Err(e),
        },
    };
    // Checks and approvals of every protected resource of the project, whatever its type
    // (service connections, environments, agent queues, variable groups, secure files,
    // repositories): one query for all (../shared/ado-api/README.md §6).
    let resource = |kind: &str, id: String| serde_json::json!({ "type": kind, "id": id });
    let resources: Vec<serde_json::Value> = service_connections
        .iter()
        .map(|e| resource("endpoint", e.item.id.clone()))
        .chain(
            environments
                .iter()
                .map(|e| resource("environment", e.item.id.to_string())),
        )
        .chain(
            agent_queues
                .iter()
                .map(|q| resource("queue", q.item.id.to_string())),
        )
        .chain(
            variable_groups
                .iter()
                .map(|g| resource("variablegroup", g.item.id.to_string())),
        )
        .chain(
            secure_files
                .iter()
                .map(|f| resource("securefile", f.item.id.clone())),
        )
        .chain(
            repository_ids
                .iter()
                .map(|r| resource("repository", format!("{project_id}.{r}"))),
        )
        .collect();
    let checks = if resources.is_empty() {
        coverage.push(Coverage::new("checks", "read", None));
        Vec::new()
    } else {
        let url = api_url(
            project_base,
            &["_apis", "pipelines", "checks", "queryconfigurations"],
            &[("api-version", "7.1-preview.1"), ("$expand", "settings")],
        );
        let answer = client
            .post_query(
                org,
                "pipelines/checks",
                url.clone(),
                &serde_json::Value::Array(resources),
            )
            .await;
        match record(answer, "checks", &mut coverage)? {
            Some(items) => parse(org, &url, items)?,
            None => Vec::new(),
        }
    };
    // Who may use each environment: there is no list form, so one call per environment.
    let mut environment_permissions = std::collections::HashMap::new();
    let mut permissions_coverage = Coverage::new("environment_permissions", "read", None);
    for e in &environments {
        let id = e.item.id.to_string();
        let url = api_url(
            project_base,
            &[
                "_apis",
                "pipelines",
                "pipelinepermissions",
                "environment",
                id.as_str(),
            ],
            &[("api-version", "7.1-preview.1")],
        );
        let answer = client
            .get_json::<crate::ado::models::PipelinePermissions>(
                org,
                "pipelines/pipelinepermissions",
                url,
            )
            .await;
        let value = match answer {
            Ok(p) => Ok(p),
            Err(e) => {
                let Some(gap) = e.gap() else { return Err(e) };
                permissions_coverage =
                    Coverage::new("environment_permissions", gap.as_str(), Some(e.to_string()));
                Err(e.to_string())
            }
        };
        environment_permissions.insert(e.item.id, value);
    }
    coverage.push(permissions_coverage);
    // Detailed mode: who may use each protected resource, one call per resource.
    let mut resource_permissions = std::collections::HashMap::new();
    if detailed_permissions {
        let mut resources: Vec<(&'static str, String)> = Vec::new();
        resources.extend(
            service_connections
                .iter()
                .map(|e| ("endpoint", e.item.id.clone())),
        );
        resources.extend(
            variable_groups
                .iter()
                .map(|g| ("variablegroup", g.item.id.to_string())),
        );
        resources.extend(
            secure_files
                .iter()
                .map(|f| ("securefile", f.item.id.clone())),
        );
        resources.extend(
            agent_queues
                .iter()
                .map(|q| ("queue", q.item.id.to_string())),
        );
        resources.extend(
            repository_ids
                .iter()
                .map(|r| ("repository", format!("{project_id}.{r}"))),
        );
        let mut status = Coverage::new("pipeline_permissions", "read", None);
        for (kind, id) in resources {
            let url = api_url(
                project_base,
                &[
                    "_apis",
                    "pipelines",
                    "pipelinepermissions",
                    kind,
                    id.as_str(),
                ],
                &[("api-version", "7.1-preview.1")],
            );
            let value = match client
                .get_json::<crate::ado::models::PipelinePermissions>(
                    org,
                    "pipelines/pipelinepermissions",
                    url,
                )
                .await
            {
                Ok(p) => Ok(p),
                Err(e) => {
                    let Some(gap) = e.gap() else { return Err(e) };
                    status =
                        Coverage::new("pipeline_permissions", gap.as_str(), Some(e.to_string()));
                    Err(e.to_string())
                }
            };
            resource_permissions.insert((kind, id), value);
        }
        coverage.push(status);
    }
    let open_secure_files = open.pop().unwrap_or_default();
    let open_agent_queues = open.pop().unwrap_or_default();
    let open_variable_groups = open.pop().unwrap_or_default();
    let open_service_connections = open.pop().unwrap_or_default();
    Ok((
        ProjectPolicies {
            project_id: project_id.clone(),
            project: project.clone(),
            policies,
        },
        ProjectLibrary {
            project_id,
            project,
            service_connections,
            variable_groups,
            open_service_connections,
            open_variable_groups,
            pipelines,
            pipeline_settings,
            agent_queues,
            secure_files,
            environments,
            open_agent_queues,
            open_secure_files,
            checks,
            environment_permissions,
            resource_permissions,
            coverage,
        },
    ))
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

/// The items of a read that may be refused: a 403 or 404 is recorded in `coverage` (not
/// evaluated / not available) and gives `None`; anything else but success fails.
fn record(
    answer: Result<Vec<serde_json::Value>, AdoError>,
    table: &'static str,
    coverage: &mut Vec<Coverage>,
) -> Result<Option<Vec<serde_json::Value>>, AdoError> {
    match answer {
        Ok(items) => {
            coverage.push(Coverage::new(table, "read", None));
            Ok(Some(items))
        }
        Err(e) => {
            let Some(gap) = e.gap() else { return Err(e) };
            coverage.push(Coverage::new(table, gap.as_str(), Some(e.to_string())));
            Ok(None)
        }
    }
}

/// The organization security policies the rules read. The API is undocumented (see
/// ../shared/ado-api README §4.9): any refusal (400, 403, 404, 405) is recorded per policy as
/// not evaluated or not available, never a failure of the organization.
async fn organization_policies(
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
            Ok(v) => Ok(Parsed {
                raw: v.to_string(),
                item: effective_policy_value(&v),
            }),
            Err(
                e @ (AdoError::NotFound { .. }
                | AdoError::Status {
                    status: 400 | 405, ..
                }),
            ) => Err(("not_available", e.to_string())),
            // Undocumented and optional: whatever else goes wrong costs only these rules.
            Err(e) => Err(("not_evaluated", e.to_string())),
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

/// Definitions page with a timestamp token, which the service refuses on the second page
/// without a queryOrder ("Continuation token timestamp without query order is ambiguous");
/// name order gives name tokens (tests/fixtures/ado-api/build.definitions.paging.json).
const BUILD_DEFINITIONS_QUERY: [(&str, &str); 3] = [
    ("includeAllProperties", "true"),
    ("$top", PAGE_SIZE),
    ("queryOrder", "definitionNameAscending"),
];

/// Service connections that are not ready (failed or half created) still hold credentials,
/// and the list hides them unless asked (../shared/ado-api/README.md §6).
const SERVICE_CONNECTIONS_QUERY: [(&str, &str); 1] = [("includeFailed", "true")];

/// The organization policies read, by their Azure DevOps names.
pub const ORGANIZATION_POLICIES: [&str; 6] = [
    "Policy.AllowAnonymousAccess",
    "Policy.DisallowOAuthAuthentication",
    "Policy.DisallowSecureShell",
    "Policy.LogAuditEvents",
    "Policy.DisallowAadGuestUserAccess",
    "Policy.EnforceAADConditionalAccess",
];

/// Reads one list of a project. A 403 (the identity may not read it) or 404 (the deployment
/// has no such API) is recorded in `coverage` as not evaluated / not available and read as
/// empty, so one closed resource kind does not fail the organization; anything else fails.
async fn list_or_record<T: serde::de::DeserializeOwned>(
    client: &AdoClient,
    org: &str,
    endpoint: &str,
    table: &'static str,
    url: url::Url,
    coverage: &mut Vec<Coverage>,
) -> Result<Vec<Parsed<T>>, AdoError> {
    match client.get_list(org, endpoint, url.clone()).await {
        Ok(list) => {
            coverage.push(Coverage::new(table, "read", None));
            parse(org, &url, list.items)
        }
        Err(e) => {
            let Some(gap) = e.gap() else { return Err(e) };
            coverage.push(Coverage::new(table, gap.as_str(), Some(e.to_string())));
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
