//! The crawl: for each connector, discover organizations and projects, then read every resource
//! kind through the rate-limited client. Output is plain data ([`OrganizationInventory`]) for the
//! tables stage; failures are collected as [`CrawlError`]s so one organization's trouble does not
//! stop the others.

pub mod advsec;
pub mod agents;
pub mod controls;
mod discovery;
pub mod identity;
pub mod inventory;
pub mod library;
mod organization;
pub mod pipelines;
pub mod read;

pub use read::Outcome;

use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::ado::models::{GitRepository, Parsed, PolicyConfiguration, Project};
use crate::ado::stats::ApiStats;
use crate::ado::{AdoClient, AdoError};
use crate::config::{Connector, Deployment, Limits};

/// Everything read from one organization.
#[derive(Debug)]
pub struct OrganizationInventory {
    pub connector: String,
    pub organization: String,
    /// The account id, when discovery gave it.
    pub organization_id: Option<String>,
    pub url: String,
    pub deployment: Deployment,
    /// The REST API version the server offered, when older than the one asked for.
    pub api_version: Option<String>,
    pub crawled_at: chrono::DateTime<chrono::Utc>,
    pub projects: Vec<Parsed<Project>>,
    /// The repositories of the projects handed over in this part (each project's go with it).
    pub repositories: Vec<Parsed<GitRepository>>,
    /// Every repository of the organization, as the organization-wide collectors and tables
    /// need it once the repositories themselves went with their projects.
    pub repository_refs: Vec<RepositoryRef>,
    pub policies: Vec<ProjectPolicies>,
    pub libraries: Vec<ProjectLibrary>,
    pub advanced_security: AdvancedSecurity,
    pub agent_pools: Vec<Parsed<crate::ado::models::AgentPool>>,
    /// Organization security policies, each read or why not.
    pub organization_policies: Vec<OrganizationPolicy>,
    /// The organization's pipeline settings (same keys as a project's general settings), or
    /// why they could not be read.
    pub organization_pipeline_settings: Outcome<Parsed<serde_json::Value>>,
    /// Users, groups, memberships and permissions.
    pub identity: identity::IdentityResources,
    /// Whether the organization-wide rows are here, or only projects' resources.
    pub scope: InventoryScope,
}

impl OrganizationInventory {
    /// Whether the organization-wide rows (the organization, its settings, identity) come
    /// from this inventory.
    pub fn has_organization_rows(&self) -> bool {
        self.scope == InventoryScope::Organization
    }

    /// One project's branch policies and resources (less what
    /// [`ProjectLibrary::split_shared`] keeps), as an inventory of [`InventoryScope::Projects`].
    pub fn of_project(
        &self,
        policies: ProjectPolicies,
        library: ProjectLibrary,
        repositories: Vec<Parsed<GitRepository>>,
    ) -> Self {
        OrganizationInventory {
            connector: self.connector.clone(),
            organization: self.organization.clone(),
            organization_id: self.organization_id.clone(),
            url: self.url.clone(),
            deployment: self.deployment,
            api_version: None,
            crawled_at: self.crawled_at,
            projects: Vec::new(),
            repositories,
            repository_refs: Vec::new(),
            policies: vec![policies],
            libraries: vec![library],
            advanced_security: Outcome::NotAvailable(String::new()),
            agent_pools: Vec::new(),
            organization_policies: Vec::new(),
            organization_pipeline_settings: self.organization_pipeline_settings.clone(),
            identity: identity::IdentityResources::not_available(""),
            scope: InventoryScope::Projects,
        }
    }
}

/// A repository as the organization keeps it after its project was handed over: what names
/// its Advanced Security rows and alerts (a copy of the whole list would be tens of megabytes
/// per organization in flight).
#[derive(Debug, Clone)]
pub struct RepositoryRef {
    pub id: String,
    pub name: String,
    pub project_id: String,
}

impl RepositoryRef {
    pub fn of(repository: &GitRepository) -> Self {
        RepositoryRef {
            id: repository.id.clone(),
            name: repository.name.clone(),
            project_id: repository.project.id.clone(),
        }
    }
}

/// Whether one resource kind (named by its table) of a project could be read.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub table: &'static str,
    /// `read`, `not_evaluated` (403) or `not_available` (404).
    pub status: &'static str,
    pub reason: Option<String>,
}

impl Coverage {
    pub fn new(table: &'static str, status: &'static str, reason: Option<String>) -> Self {
        Coverage {
            table,
            status,
            reason,
        }
    }
}

/// GitHub Advanced Security for Azure DevOps in one organization: enablement per repository id
/// and the alerts of enabled repositories; not available where the deployment has none
/// (Azure DevOps Server, a 404), not evaluated where the identity may not read it.
pub type AdvancedSecurity = Outcome<std::collections::HashMap<String, RepoAdvancedSecurity>>;

/// Advanced Security of one repository.
#[derive(Debug)]
pub struct RepoAdvancedSecurity {
    pub code_security: bool,
    pub secret_protection: bool,
    pub block_pushes: bool,
    /// How many of its alerts are open (the alerts themselves were handed over as
    /// [`OrganizationPart::Alerts`]), or why they could not be read (403 = not evaluated).
    pub alerts: Result<AlertTally, String>,
}

/// Alerts read of one repository: how many are open (state `active`).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlertTally {
    pub open: usize,
}

impl AlertTally {
    pub fn add(&mut self, alerts: &[Parsed<crate::ado::models::Alert>]) {
        let open = alerts
            .iter()
            .filter(|a| {
                a.item
                    .state
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("active"))
            })
            .count();
        self.open = self.open.saturating_add(open);
    }
}

/// Advanced Security alerts of one repository, with the names its rows carry.
#[derive(Debug)]
pub struct RepositoryAlerts {
    pub project_id: String,
    pub project: String,
    pub repository_id: String,
    pub repository: String,
    pub alerts: Vec<Parsed<crate::ado::models::Alert>>,
}

/// What the crawl hands over as soon as it is read, so memory holds what is in flight rather
/// than whole organizations. The parts of one organization come in order, ending with
/// [`Complete`](OrganizationPart::Complete) or [`Failed`](OrganizationPart::Failed); parts of
/// different organizations interleave.
#[derive(Debug)]
pub enum OrganizationPart {
    /// One project's branch policies and resources: an inventory whose
    /// [`scope`](OrganizationInventory::scope) is [`InventoryScope::Projects`].
    Project(Box<OrganizationInventory>),
    /// Advanced Security alerts of some repositories of the organization.
    Alerts {
        connector: String,
        organization: String,
        alerts: Vec<RepositoryAlerts>,
    },
    /// The organization is read: its organization-wide resources (scope
    /// [`InventoryScope::Organization`]); its projects came before.
    Complete(Box<OrganizationInventory>),
    /// The organization could not be read: what came before must be dropped, so no rule ever
    /// sees a project whose policies are missing and mistakes it for unprotected.
    Failed {
        connector: String,
        organization: String,
        error: CrawlError,
    },
}

/// Parts handed over but not yet written, across the organizations in flight.
const PARTS_IN_FLIGHT: usize = 8;

impl OrganizationPart {
    /// The (connector, organization) the part belongs to.
    pub fn organization(&self) -> (&str, &str) {
        match self {
            OrganizationPart::Project(org) | OrganizationPart::Complete(org) => {
                (&org.connector, &org.organization)
            }
            OrganizationPart::Alerts {
                connector,
                organization,
                ..
            }
            | OrganizationPart::Failed {
                connector,
                organization,
                ..
            } => (connector, organization),
        }
    }
}

/// Which rows an [`OrganizationInventory`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryScope {
    /// Projects' resources only (`policies`, `libraries`); no organization-wide rows.
    Projects,
    /// The organization-wide resources and lists (and any projects' resources it holds).
    Organization,
}

/// What the collectors read in one project, by area (each area's struct lives with its
/// collector), and whether each resource kind could be read.
#[derive(Debug)]
pub struct ProjectLibrary {
    pub project_id: String,
    pub project: String,
    pub library: library::LibraryResources,
    pub pipelines: pipelines::PipelineResources,
    pub agents: agents::AgentResources,
    pub controls: controls::ControlResources,
    /// Whether each resource kind of the project could be read.
    pub coverage: Vec<Coverage>,
    /// Only what is looked up across projects (see [`split_shared`](Self::split_shared)):
    /// no row of the project's own comes from it.
    pub shared_only: bool,
}

impl ProjectLibrary {
    /// Moves out what the tables look up across projects, so the rest of the project can be
    /// written before the organization is complete: its service connections (a connection
    /// shared by several projects is written once, under the project that owns it) with their
    /// checks and pipeline permissions.
    pub fn split_shared(&mut self) -> ProjectLibrary {
        let is_shared = |kind: &str| kind == "endpoint";
        let (shared_checks, own_checks) = std::mem::take(&mut self.controls.checks)
            .into_iter()
            .partition(|c| {
                c.item
                    .resource
                    .resource_type
                    .eq_ignore_ascii_case("endpoint")
            });
        self.controls.checks = own_checks;
        let permissions = std::mem::take(&mut self.controls.resource_permissions);
        let (shared_permissions, own_permissions) = permissions
            .into_iter()
            .partition(|((kind, _), _)| is_shared(kind));
        self.controls.resource_permissions = own_permissions;
        ProjectLibrary {
            project_id: self.project_id.clone(),
            project: self.project.clone(),
            library: library::LibraryResources {
                service_connections: std::mem::take(&mut self.library.service_connections),
                variable_groups: Vec::new(),
                open: library::OpenToAllPipelines {
                    service_connections: std::mem::take(&mut self.library.open.service_connections),
                    ..Default::default()
                },
            },
            pipelines: pipelines::PipelineResources {
                pipelines: Vec::new(),
                settings: Outcome::NotAvailable(String::new()),
            },
            agents: agents::AgentResources {
                agent_queues: Vec::new(),
                secure_files: Vec::new(),
                environments: Vec::new(),
                deployment_groups: Vec::new(),
            },
            controls: controls::ControlResources {
                checks: shared_checks,
                environment_permissions: Default::default(),
                resource_permissions: shared_permissions,
            },
            coverage: Vec::new(),
            shared_only: true,
        }
    }

    /// Comma-separated ids of the pipelines authorized one by one on a resource, when its
    /// permissions were read (detailed mode).
    pub fn authorized_pipeline_ids(&self, kind: &'static str, id: &str) -> Option<String> {
        self.controls
            .resource_permissions
            .get(&(kind, id.to_string()))
            .and_then(|p| p.as_ref().ok())
            .map(pipeline_ids)
    }
}

/// The ids of the pipelines authorized one by one, comma-separated.
pub fn pipeline_ids(permissions: &crate::ado::models::PipelinePermissions) -> String {
    permissions
        .authorized_pipelines()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// One organization security policy (undocumented API, see ../shared/ado-api README §4.9).
#[derive(Debug)]
pub struct OrganizationPolicy {
    /// e.g. `Policy.AllowAnonymousAccess`.
    pub name: &'static str,
    /// The value, or why it could not be read.
    pub value: Outcome<Parsed<Option<bool>>>,
}

/// The branch policies of one project.
#[derive(Debug)]
pub struct ProjectPolicies {
    pub project_id: String,
    pub project: String,
    pub policies: Vec<Parsed<PolicyConfiguration>>,
}

/// A part of the estate that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct CrawlError {
    pub connector: String,
    pub organization: Option<String>,
    pub kind: String,
    pub status: Option<u16>,
    /// The request that failed, when one did.
    pub url: Option<String>,
    pub message: String,
}

impl CrawlError {
    fn new(connector: &str, organization: Option<&str>, error: &AdoError) -> Self {
        CrawlError {
            connector: connector.to_string(),
            organization: organization.map(str::to_string),
            kind: error.kind().to_string(),
            status: error.status(),
            url: Some(error.url().to_string()),
            message: error.to_string(),
        }
    }
}

/// Hears how the crawl advances (for a progress bar); every method has a no-op default.
pub trait CrawlProgress: Send + Sync {
    /// A connector's organizations are known.
    fn organizations_found(&self, _connector: &str, _count: usize) {}
    /// One organization is done, crawled or failed.
    fn organization_done(&self, _connector: &str, _organization: &str, _crawled: bool) {}
    /// The crawl's request and project counters, to show them as they change.
    fn watch_requests(&self, _stats: Arc<ApiStats>, _projects: Arc<ProjectCounter>) {}
}

/// Projects listed and projects done so far, across organizations.
#[derive(Debug, Default)]
pub struct ProjectCounter {
    pub found: std::sync::atomic::AtomicUsize,
    pub done: std::sync::atomic::AtomicUsize,
}

/// Progress nobody watches.
pub struct NoProgress;

impl CrawlProgress for NoProgress {}

/// Crawls every connector and hands each organization's parts to `each` as they are read
/// (each project, each page of alerts, then the organization-wide rest, or its failure), so the
/// caller can write them and let them go: memory holds the parts in flight, not the estate.
/// With `shard`, only the organizations it owns. Organizations of a connector are crawled concurrently; the client's limiter keeps each
/// (identity, organization) pair inside its budget. An error from `each` stops the crawl.
pub async fn crawl_each<E>(
    connectors: &[Connector],
    limits: &Limits,
    shard: Option<crate::shard::Shard>,
    stats: Arc<ApiStats>,
    progress: &dyn CrawlProgress,
    mut each: impl FnMut(OrganizationPart) -> Result<(), E>,
) -> Result<Vec<CrawlError>, E> {
    // What could not be read; everything else went to `each`.
    let mut errors: Vec<CrawlError> = Vec::new();
    let projects = Arc::new(ProjectCounter::default());
    progress.watch_requests(stats.clone(), projects.clone());
    for connector in connectors {
        let client = match AdoClient::new(
            &connector.name,
            &connector.credential,
            limits,
            stats.clone(),
        ) {
            Ok(c) => c,
            Err(e) => {
                errors.push(CrawlError {
                    connector: connector.name.clone(),
                    organization: None,
                    kind: "client".into(),
                    status: None,
                    url: None,
                    message: format!(
                        "connector '{}': cannot build HTTP client: {e}",
                        connector.name
                    ),
                });
                continue;
            }
        };
        let organizations = match discovery::organizations(&client, connector).await {
            // A shard crawls only the organizations it owns.
            Ok(orgs) => orgs
                .into_iter()
                .filter(|o| shard.is_none_or(|s| s.owns(&connector.name, &o.name)))
                .collect::<Vec<_>>(),
            Err(e) => {
                tracing::error!(connector = %connector.name, "organization discovery failed: {e}");
                errors.push(CrawlError::new(&connector.name, None, &e));
                continue;
            }
        };
        tracing::info!(
            connector = %connector.name,
            organizations = organizations.len(),
            "crawling organizations"
        );
        progress.organizations_found(&connector.name, organizations.len());
        // At most `max_organizations` in flight; each hands its parts over as they are read,
        // through a channel of a few parts, so the crawl waits for the writer, never the reverse.
        let (sender, mut receiver) = tokio::sync::mpsc::channel(PARTS_IN_FLIGHT);
        // Dropped once every organization is started, so the channel closes after the last part.
        let mut sender = Some(sender);
        let mut tasks = JoinSet::new();
        let mut waiting = organizations.into_iter();
        let projects_in_flight = limits.max_concurrency;
        let spawn = |tasks: &mut JoinSet<_>,
                     parts: &tokio::sync::mpsc::Sender<OrganizationPart>,
                     org: discovery::OrganizationRef| {
            let client = client.clone();
            let connector = connector.clone();
            let projects = projects.clone();
            let parts = parts.clone();
            tasks.spawn(async move {
                let result = organization::organization(
                    &client,
                    &connector,
                    &org,
                    &projects,
                    projects_in_flight,
                    &parts,
                )
                .await;
                let last = match result {
                    Ok(mut inventory) => {
                        inventory.api_version = client.negotiated_api_version();
                        OrganizationPart::Complete(Box::new(inventory))
                    }
                    Err(e) => OrganizationPart::Failed {
                        connector: connector.name.clone(),
                        organization: org.name.clone(),
                        error: CrawlError::new(&connector.name, Some(&org.name), &e),
                    },
                };
                // The receiver is gone only when the crawl stopped.
                let _ = parts.send(last).await;
            });
        };
        if let Some(parts) = &sender {
            for org in waiting.by_ref().take(limits.max_organizations.max(1)) {
                spawn(&mut tasks, parts, org);
            }
        }
        if waiting.len() == 0 {
            sender = None;
        }
        loop {
            let part = tokio::select! {
                biased;
                part = receiver.recv() => part,
                joined = tasks.join_next(), if !tasks.is_empty() => {
                    if let (Some(parts), Some(org)) = (&sender, waiting.next()) {
                        spawn(&mut tasks, parts, org);
                    }
                    if waiting.len() == 0 {
                        sender = None;
                    }
                    if let Some(Err(join_error)) = joined {
                        errors.push(CrawlError {
                            connector: connector.name.clone(),
                            organization: None,
                            kind: "internal".into(),
                            status: None,
                            url: None,
                            message: format!("an organization's crawl task failed: {join_error}"),
                        });
                    }
                    continue;
                }
            };
            // Every task is done and its parts are read: the channel is drained.
            let Some(part) = part else { break };
            match &part {
                OrganizationPart::Complete(inventory) => {
                    progress.organization_done(&inventory.connector, &inventory.organization, true);
                    tracing::info!(
                        connector = %inventory.connector,
                        organization = %inventory.organization,
                        projects = inventory.projects.len(),
                        repositories = inventory.repository_refs.len(),
                        "organization crawled"
                    );
                }
                OrganizationPart::Failed {
                    organization,
                    error,
                    ..
                } => {
                    progress.organization_done(&connector.name, organization, false);
                    tracing::error!(connector = %connector.name, organization = %organization, "{}", error.message);
                    errors.push(error.clone());
                }
                _ => {}
            }
            each(part)?;
        }
    }
    Ok(errors)
}
