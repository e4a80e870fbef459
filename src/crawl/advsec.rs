//! GitHub Advanced Security for Azure DevOps: enablement per repository and the alerts of the
//! repositories with a feature on.

use tokio::task::JoinSet;

use std::collections::{HashMap, HashSet};

use super::discovery::OrganizationRef;
use super::organization::{PartSender, hand_over};
use super::read::{Outcome, PAGE_SIZE, parse};
use super::{
    AdvancedSecurity, AlertTally, OrganizationPart, RepoAdvancedSecurity, RepositoryAlerts,
    RepositoryRef,
};
use crate::ado::client::api_url;
use crate::ado::models::{Parsed, Project};
use crate::ado::{AdoClient, AdoError};
use crate::config::Connector;

/// Advanced Security: one enablement call for the organization, then the alerts of the
/// repositories with a feature on, read organization-wide where the service offers it (one
/// summary call and ⌈alerts / page⌉ calls of `reporting/summary/alertsbatch`) and per
/// repository otherwise. A 404 means the feature does not exist here, a 403 that we may not
/// read it: recorded, never a failure. The alerts go to `parts` as they are read (a page, or a
/// repository, at a time); what stays is each repository's enablement and [`AlertTally`].
pub async fn advanced_security(
    client: &AdoClient,
    connector: &Connector,
    org: &OrganizationRef,
    projects: &[Parsed<Project>],
    repositories: &[RepositoryRef],
    parts: &PartSender,
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
        .map(|r| (r.id.as_str(), r.project_id.as_str()))
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
    let names = RepositoryNames::new(connector, &org.name, projects, repositories);
    let mut alerts: HashMap<String, Result<AlertTally, String>> = HashMap::new();
    if !enabled.is_empty() {
        let wanted: HashSet<String> = enabled
            .iter()
            .map(|(id, _)| id.to_ascii_lowercase())
            .collect();
        if let Some(mut visible) =
            organization_alerts(client, &org.name, &base, &names, &wanted, parts).await?
        {
            // Repositories the organization-wide view leaves out are asked one by one: their
            // alerts may be refused to this identity (then "not evaluated"), never assumed empty.
            enabled.retain(|(id, _)| {
                let key = id.to_ascii_lowercase();
                match visible.remove(&key) {
                    Some(tally) => {
                        alerts.insert(id.clone(), Ok(tally));
                        false
                    }
                    None => true,
                }
            });
        }
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
                .get_list::<Parsed<crate::ado::models::Alert>>(&org_name, "alert/repositories", url)
                .await
            {
                Ok(list) => Ok(Ok(list.items)),
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
                let read = match result? {
                    Ok(list) => {
                        let mut tally = AlertTally::default();
                        tally.add(&list);
                        if !list.is_empty() {
                            let batch = names.alerts_of(&repository_id, list);
                            hand_over(parts, &org.name, names.part(vec![batch])).await?;
                        }
                        Ok(tally)
                    }
                    Err(reason) => Err(reason),
                };
                alerts.insert(repository_id, read);
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
                let alerts = alerts
                    .remove(&id)
                    .unwrap_or_else(|| Ok(AlertTally::default()));
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

/// The names an alert row carries, found by repository id (lower case) or by project and
/// repository name, and where its alerts go. It borrows the organization's lists: at 10,000
/// repositories a copy of their names would be megabytes per organization in flight.
struct RepositoryNames<'a> {
    connector: String,
    organization: String,
    repositories: &'a [RepositoryRef],
    /// Project id → project name.
    project_names: HashMap<&'a str, &'a str>,
    /// Repository id (lower case) → index in `repositories`.
    by_id: HashMap<String, usize>,
    /// (project name, repository name), lower case → index; built when an alert first names its
    /// repository by name only.
    by_name: std::sync::OnceLock<HashMap<(String, String), usize>>,
}

impl<'a> RepositoryNames<'a> {
    fn new(
        connector: &Connector,
        organization: &str,
        projects: &'a [Parsed<Project>],
        repositories: &'a [RepositoryRef],
    ) -> Self {
        RepositoryNames {
            connector: connector.name.clone(),
            organization: organization.to_string(),
            repositories,
            project_names: projects
                .iter()
                .map(|p| (p.item.id.as_str(), p.item.name.as_str()))
                .collect(),
            by_id: repositories
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id.to_ascii_lowercase(), i))
                .collect(),
            by_name: std::sync::OnceLock::new(),
        }
    }

    fn project_name(&self, repository: &RepositoryRef) -> &'a str {
        self.project_names
            .get(repository.project_id.as_str())
            .copied()
            .unwrap_or_default()
    }

    /// The id (lower case) of the repository a project and repository name (any case) name.
    fn id_by_name(&self, project: &str, repository: &str) -> Option<String> {
        let by_name = self.by_name.get_or_init(|| {
            self.repositories
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        (self.project_name(r).to_lowercase(), r.name.to_lowercase()),
                        i,
                    )
                })
                .collect()
        });
        let index = by_name.get(&(project.to_lowercase(), repository.to_lowercase()))?;
        Some(self.repositories.get(*index)?.id.to_ascii_lowercase())
    }

    /// A repository's alerts with its names.
    fn alerts_of(
        &self,
        repository_id: &str,
        alerts: Vec<Parsed<crate::ado::models::Alert>>,
    ) -> RepositoryAlerts {
        let repository = self
            .by_id
            .get(&repository_id.to_ascii_lowercase())
            .and_then(|i| self.repositories.get(*i));
        RepositoryAlerts {
            project_id: repository.map(|r| r.project_id.clone()).unwrap_or_default(),
            project: repository
                .map(|r| self.project_name(r).to_string())
                .unwrap_or_default(),
            repository_id: repository.map_or_else(|| repository_id.to_string(), |r| r.id.clone()),
            repository: repository.map(|r| r.name.clone()).unwrap_or_default(),
            alerts,
        }
    }

    fn part(&self, alerts: Vec<RepositoryAlerts>) -> OrganizationPart {
        OrganizationPart::Alerts {
            connector: self.connector.clone(),
            organization: self.organization.clone(),
            alerts,
        }
    }
}

/// The alerts of the `wanted` repositories (ids in lower case) from the organization-wide API
/// (7.2-preview.1, tests/fixtures/ado-api/advsec.reporting.alertsbatch.json), handed to `parts`
/// a page at a time; returns the tally of each repository the identity sees, by id (lower
/// case). `reporting/summary/alerts` names the repositories whose alerts this identity sees
/// (the service shows nobody more), and `reporting/summary/alertsbatch` pages their alerts in any
/// state by `x-ms-continuationtoken`. Its alerts name their repository by project and
/// repository name, not id. A repository with an alert in the list but missing from the
/// summary counts as seen too.
///
/// `None` when the organization-wide API is not there or refused (404, 400, 405, 403, a
/// route's 401, or an answer of another shape) before any alert was handed over: the caller then
/// asks per repository. Refused after some pages, it fails the organization: the alerts handed
/// over cannot be taken back.
async fn organization_alerts(
    client: &AdoClient,
    org: &str,
    base: &url::Url,
    names: &RepositoryNames<'_>,
    wanted: &HashSet<String>,
    parts: &PartSender,
) -> Result<Option<HashMap<String, AlertTally>>, AdoError> {
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
    let mut visible: HashMap<String, AlertTally> = summary_projects
        .iter()
        .filter_map(|p| p.get("repos").and_then(|r| r.as_array()))
        .flatten()
        .filter_map(|r| r.get("repoId").and_then(|id| id.as_str()))
        .map(|id| (id.to_ascii_lowercase(), AlertTally::default()))
        .collect();
    let mut url = api_url(
        base,
        &["_apis", "reporting", "summary", "alertsbatch"],
        &[("api-version", "7.2-preview.1")],
    );
    url.query_pairs_mut().append_pair("top", PAGE_SIZE);
    let mut pages = client.list_pages(org, "reporting/summary/alertsbatch", url.clone());
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
    loop {
        let items = match pages.next().await {
            Ok(Some(items)) => items,
            Ok(None) => break,
            Err(e) if pages.read == 0 && unavailable(&e) => {
                tracing::debug!(
                    organization = org,
                    "no organization-wide alerts, reading them per repository: {e}"
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mut by_repository: HashMap<String, Vec<Parsed<crate::ado::models::Alert>>> =
            HashMap::new();
        for item in items {
            let repository_id = text(&item, "repositoryId")
                .map(|id| id.to_ascii_lowercase())
                .or_else(|| {
                    let project = text(&item, "projectName")?;
                    let repository = text(&item, "repositoryName")?;
                    names.id_by_name(&project, &repository)
                });
            // An alert of a repository outside the crawl (a project the connector leaves out).
            let Some(repository_id) = repository_id else {
                continue;
            };
            let alert = parse::<crate::ado::models::Alert>(org, &url, vec![item])?;
            visible
                .entry(repository_id.clone())
                .or_default()
                .add(&alert);
            // Alerts of a repository with neither feature on are not kept.
            if wanted.contains(&repository_id) {
                by_repository
                    .entry(repository_id)
                    .or_default()
                    .extend(alert);
            }
        }
        if !by_repository.is_empty() {
            let mut batch: Vec<RepositoryAlerts> = by_repository
                .into_iter()
                .map(|(id, alerts)| names.alerts_of(&id, alerts))
                .collect();
            batch.sort_by(|a, b| a.repository_id.cmp(&b.repository_id));
            hand_over(parts, org, names.part(batch)).await?;
        }
    }
    Ok(Some(visible))
}
