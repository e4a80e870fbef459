//! GitHub Advanced Security for Azure DevOps: enablement per repository and the alerts of the
//! repositories with a feature on.

use tokio::task::JoinSet;

use super::discovery::OrganizationRef;
use super::read::{Outcome, PAGE_SIZE, parse};
use super::{AdvancedSecurity, RepoAdvancedSecurity};
use crate::ado::client::api_url;
use crate::ado::models::{GitRepository, Parsed, Project};
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

/// Advanced Security: one enablement call for the organization, then the alerts of the
/// repositories with a feature on, read organization-wide where the service offers it (one
/// summary call and ⌈alerts / page⌉ calls of `reporting/summary/alertsbatch`) and per
/// repository otherwise. A 404 means the feature does not exist here, a 403 that we may not
/// read it: recorded, never a failure.
pub async fn advanced_security(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
    projects: &[Parsed<Project>],
    repositories: &[Parsed<GitRepository>],
) -> Result<AdvancedSecurity, AdoError> {
    let Some(advsec) = &connector.advsec_url else {
        return Ok(Outcome::NotAvailable(format!(
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
                Some(gap) => Ok(Outcome::gap(gap, e.to_string())),
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
    Ok(Outcome::Read(
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
