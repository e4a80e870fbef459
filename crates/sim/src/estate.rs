//! Generates a deterministic estate from a seed and sizes, with misconfigurations injected at
//! known rates, and computes its ground truth (counts and the findings a correct crawl + rule
//! engine must report).

use std::collections::BTreeMap;

use serde::Serialize;

/// Policy type ids (see ../shared/ado-api/README.md §4.1).
pub const MIN_REVIEWERS_TYPE: &str = "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd";
pub const BUILD_TYPE: &str = "0609b952-1397-4640-95ec-e00a01b2c241";
pub const COMMENTS_TYPE: &str = "c6a1889d-b943-4856-b76f-9e46bb6b0df2";
pub const WORK_ITEMS_TYPE: &str = "40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e";
pub const MERGE_STRATEGY_TYPE: &str = "fa4e907d-c16b-4a4c-9dfa-4916e5d171ab";

/// A small, stable PRNG (SplitMix64). Hand-written on purpose: the estate for a seed must stay
/// the same across dependency upgrades, which `rand` does not promise for its generators.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// How big the estate is.
#[derive(Debug, Clone, Serialize)]
pub struct EstateSizes {
    pub organizations: usize,
    pub projects_per_organization: usize,
    pub repositories_per_project: usize,
}

impl Default for EstateSizes {
    fn default() -> Self {
        EstateSizes {
            organizations: 3,
            projects_per_organization: 6,
            repositories_per_project: 5,
        }
    }
}

/// What the generator does to a repository's default-branch protection, with its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    ExactTwoReviewers,
    PrefixThreeReviewers,
    DefaultBranchKind,
    OneReviewer,
    CreatorVoteCounts,
    DisabledPolicy,
    NonBlockingPolicy,
    OtherBranchOnly,
    NoPolicy,
}

const PROTECTION_WEIGHTS: &[(Protection, u64)] = &[
    (Protection::ExactTwoReviewers, 30),
    (Protection::PrefixThreeReviewers, 8),
    (Protection::DefaultBranchKind, 5),
    (Protection::OneReviewer, 10),
    (Protection::CreatorVoteCounts, 10),
    (Protection::DisabledPolicy, 6),
    (Protection::NonBlockingPolicy, 6),
    (Protection::OtherBranchOnly, 5),
    (Protection::NoPolicy, 20),
];

/// Percent of projects with a project-wide minimum-reviewers policy on refs/heads/main.
const PROJECT_WIDE_POLICY_PERCENT: u64 = 25;
const EMPTY_REPO_PERCENT: u64 = 5;
const DISABLED_REPO_PERCENT: u64 = 4;
const MASTER_BRANCH_PERCENT: u64 = 15;
const BUILD_POLICY_PERCENT: u64 = 30;

#[derive(Debug, Clone)]
pub struct SimOrganization {
    pub id: String,
    pub name: String,
    pub projects: Vec<SimProject>,
    pub repositories: Vec<SimRepository>,
    /// Advanced Security of each repository (same order as `repositories`).
    pub advsec: Vec<super::advsec::SimAdvSec>,
    /// Agent pools (organization-wide).
    pub pools: Vec<super::agents::SimPool>,
    /// Organization policies, extra branch policies per repository, checks and environment
    /// permissions per project.
    pub controls: super::controls::OrganizationControls,
    /// The organization's pipeline settings (in force in every project when on).
    pub pipeline_settings: super::pipelines::SimGeneralSettings,
    /// Users, groups, memberships and access control lists.
    pub identity: super::identity::OrganizationIdentity,
}

#[derive(Debug, Clone)]
pub struct SimProject {
    pub id: String,
    pub name: String,
    pub visibility: &'static str,
    pub revision: u64,
    /// Whether a project-wide minimum-reviewers policy covers refs/heads/main.
    pub project_wide_policy: bool,
    /// Derived from the flags above and the repositories' protection by `rebuild_policies`.
    pub policies: Vec<SimPolicy>,
    /// Service connections and variable groups.
    pub library: super::library::Library,
    /// Build definitions and pipeline general settings.
    pub pipelines: super::pipelines::ProjectPipelines,
    /// Agent queues, secure files and environments.
    pub agents: super::agents::ProjectAgents,
}

#[derive(Debug, Clone)]
pub struct SimRepository {
    pub id: String,
    pub name: String,
    pub project_index: usize,
    pub default_branch: Option<String>,
    pub is_disabled: bool,
    pub size: u64,
    pub protection: Protection,
    /// A build-validation policy on the default branch, with its build definition id.
    pub build_policy: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct SimScope {
    pub repository_id: Option<String>,
    pub ref_name: Option<String>,
    /// As the API spells it (`Exact`, `exact`, `Prefix`, …); empty when the scope has none (a
    /// repository-wide scope: every branch of `repository_id`).
    pub match_kind: &'static str,
}

#[derive(Debug, Clone)]
pub struct SimPolicy {
    pub id: u64,
    pub type_id: &'static str,
    pub enabled: bool,
    pub blocking: bool,
    pub scopes: Vec<SimScope>,
    pub min_approvers: Option<u64>,
    pub creator_vote_counts: Option<bool>,
    pub reset_on_source_push: Option<bool>,
    pub build_definition_id: Option<u64>,
    /// Minimum-reviewers settings: `requireVoteOnEachIteration`, `blockLastPusherVote`,
    /// `allowDownvotes`.
    pub require_vote_on_each_iteration: Option<bool>,
    pub block_last_pusher_vote: Option<bool>,
    pub allow_downvotes: Option<bool>,
}

/// The whole simulated estate, as one identity sees it.
#[derive(Debug, Clone)]
pub struct Estate {
    pub seed: u64,
    pub sizes: EstateSizes,
    /// Days of drift since generation (see [`Estate::on_day`]).
    pub day: u64,
    pub user_id: String,
    pub user_name: String,
    pub organizations: Vec<SimOrganization>,
}

/// Text that real estates hold and reports must not trust: markup, CSV formulas, control bytes.
const HOSTILE_NAMES: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://x\",\"y\")",
    "ctl\u{7}\u{1b}[31m\tchars\r\n",
    "rtl\u{202e}txt.exe",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
];

/// Every this-many projects, one repository name is 100 kB long (after the hostile names).
const HUGE_NAME_EVERY: usize = 8;

impl Estate {
    /// The estate on day 0.
    pub fn generate(seed: u64, sizes: EstateSizes) -> Self {
        let mut rng = SplitMix64::new(seed);
        let user_id = rng.guid();
        let mut organizations = Vec::new();
        let mut hostile = HOSTILE_NAMES.iter().cycle();
        for o in 0..sizes.organizations {
            let org_id = rng.guid();
            let mut projects = Vec::new();
            let mut repositories = Vec::new();
            for p in 0..sizes.projects_per_organization {
                let visibility = match rng.below(10) {
                    0 => "public",
                    1 | 2 => "organization",
                    _ => "private",
                };
                // The first project of the estate is public, so every estate has one.
                let visibility = if o == 0 && p == 0 {
                    "public"
                } else {
                    visibility
                };
                projects.push(SimProject {
                    id: rng.guid(),
                    name: format!("project-{o:02}-{p:03}"),
                    visibility,
                    revision: 10 + rng.below(500),
                    project_wide_policy: rng.percent(PROJECT_WIDE_POLICY_PERCENT),
                    policies: Vec::new(),
                    library: Default::default(),
                    pipelines: Default::default(),
                    agents: Default::default(),
                });
                for r in 0..sizes.repositories_per_project {
                    let default_branch = if rng.percent(EMPTY_REPO_PERCENT) {
                        None
                    } else if rng.percent(MASTER_BRANCH_PERCENT) {
                        Some("refs/heads/master".to_string())
                    } else {
                        Some("refs/heads/main".to_string())
                    };
                    let mut repo = SimRepository {
                        id: rng.guid(),
                        name: format!("repo-{o:02}-{p:03}-{r:03}"),
                        project_index: p,
                        default_branch,
                        is_disabled: rng.percent(DISABLED_REPO_PERCENT),
                        size: rng.below(50_000_000),
                        protection: pick_protection(&mut rng),
                        build_policy: rng.percent(BUILD_POLICY_PERCENT).then(|| 1 + rng.below(50)),
                    };
                    // One repository per project carries a hostile name, and is left unprotected
                    // (on a branch no project-wide policy covers) so every report must show it.
                    if r == 1
                        && let Some(h) = hostile.next()
                    {
                        repo.name = format!("{h} {}", repo.name);
                        if (o * sizes.projects_per_organization + p) % HUGE_NAME_EVERY
                            == HUGE_NAME_EVERY - 1
                        {
                            repo.name.push_str(&"x".repeat(100 * 1024));
                        }
                        repo.default_branch = Some("refs/heads/master".to_string());
                        repo.is_disabled = false;
                        repo.protection = Protection::NoPolicy;
                    }
                    repositories.push(repo);
                }
            }
            let mut org = SimOrganization {
                id: org_id,
                name: format!("sim-org-{o:02}"),
                advsec: super::advsec::generate(seed, o, repositories.len()),
                pools: Vec::new(),
                controls: Default::default(),
                pipeline_settings: super::pipelines::generate_organization(seed, o),
                identity: Default::default(),
                projects,
                repositories,
            };
            let named: Vec<(String, String)> = org
                .projects
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect();
            org.identity = super::identity::generate(seed, o, &org.name, &org.id, &named);
            // One repository in every fifth project gets a list of its own.
            for (p, (project_id, _)) in named.iter().enumerate() {
                if p % 5 == 4
                    && let Some(repo) = org.repositories.iter().find(|r| r.project_index == p)
                {
                    super::identity::add_repository_acl(&mut org.identity, project_id, &repo.id);
                }
            }
            let project_ids: Vec<String> = org.projects.iter().map(|p| p.id.clone()).collect();
            for (project, library) in
                org.projects
                    .iter_mut()
                    .zip(super::library::generate(seed, o, &project_ids))
            {
                project.library = library;
            }
            let repos_by_project: Vec<Vec<usize>> = (0..org.projects.len())
                .map(|p| {
                    (0..org.repositories.len())
                        .filter(|r| org.repositories[*r].project_index == p)
                        .collect()
                })
                .collect();
            for (project, pipelines) in
                org.projects
                    .iter_mut()
                    .zip(super::pipelines::generate(seed, o, &repos_by_project))
            {
                project.pipelines = pipelines;
            }
            let (pools, agents) = super::agents::generate(seed, o, org.projects.len());
            org.pools = pools;
            for (project, agents) in org.projects.iter_mut().zip(agents) {
                project.agents = agents;
            }
            let resources: Vec<super::controls::ProtectedCounts> = org
                .projects
                .iter()
                .zip(&repos_by_project)
                .map(|(p, repos)| super::controls::ProtectedCounts {
                    endpoints: p.library.endpoints.len(),
                    environments: p.agents.environments.len(),
                    queues: p.agents.queues.len(),
                    variable_groups: p.library.variable_groups.len(),
                    secure_files: p.agents.secure_files.len(),
                    repositories: repos.len(),
                })
                .collect();
            org.controls = super::controls::generate(seed, o, org.repositories.len(), &resources);
            inject_fork_exposed_secure_file(&mut org);
            rebuild_policies(&mut org);
            organizations.push(org);
        }
        Estate {
            seed,
            sizes,
            day: 0,
            user_id,
            user_name: "Simulated Security Reader".to_string(),
            organizations,
        }
    }

    /// The same estate with exactly `alerts` Advanced Security alerts on every repository that
    /// has a feature on (benchmarks: 1,000,000 alerts on 100,000 repositories).
    pub fn with_alerts_per_repository(mut self, alerts: usize) -> Self {
        for org in &mut self.organizations {
            super::advsec::set_alerts_per_repository(&mut org.advsec, alerts);
        }
        self
    }

    /// The same estate `days` days later: each day one failing repository gets fixed (exact
    /// two-reviewer policy) and one passing repository loses its policy, so consecutive
    /// snapshots have new, persisting and resolved findings.
    pub fn on_day(mut self, days: u64) -> Self {
        for day in 1..=days {
            let mut rng = SplitMix64::new(self.seed ^ day.wrapping_mul(0xA24B_AED4_963E_E407));
            let o = rng.below(self.organizations.len() as u64) as usize;
            let Some(org) = self.organizations.get_mut(o) else {
                continue;
            };
            let failing: Vec<usize> = (0..org.repositories.len())
                .filter(|&i| org.repositories[i].protection != Protection::ExactTwoReviewers)
                .collect();
            let passing: Vec<usize> = (0..org.repositories.len())
                .filter(|&i| org.repositories[i].protection == Protection::ExactTwoReviewers)
                .collect();
            if !failing.is_empty() {
                let i = failing[rng.below(failing.len() as u64) as usize];
                org.repositories[i].protection = Protection::ExactTwoReviewers;
            }
            if !passing.is_empty() {
                let i = passing[rng.below(passing.len() as u64) as usize];
                org.repositories[i].protection = Protection::NoPolicy;
            }
            rebuild_policies(org);
        }
        self.day += days;
        self
    }

    pub fn organization(&self, name: &str) -> Option<&SimOrganization> {
        self.organizations
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
    }

    /// Counts and the findings a correct crawl and rule engine must produce.
    /// Counts, the findings a correct crawl and rule engine must produce, and the fewest calls
    /// a crawler needs when paged lists return at most `max_page_size` items.
    /// `alertsbatch`: whether the organization-wide Advanced Security alerts are served.
    pub fn ground_truth(
        &self,
        max_page_size: usize,
        server_mode: bool,
        alertsbatch: bool,
    ) -> GroundTruth {
        let page = max_page_size.max(1);
        let pages = |items: usize| items.div_ceil(page).max(1);
        let mut truth = GroundTruth {
            seed: self.seed,
            day: self.day,
            sizes: self.sizes.clone(),
            // Organization discovery: the caller's profile, then its accounts.
            minimal_calls: 2,
            ..Default::default()
        };
        for org in &self.organizations {
            // Connections other projects share with a project: it lists them too.
            let shared_with = |project: &SimProject| {
                org.projects
                    .iter()
                    .flat_map(|p| &p.library.endpoints)
                    .filter(|e| e.shared_with.contains(&project.id))
                    .count()
            };
            let policies: usize = org.projects.iter().map(|p| p.policies.len()).sum();
            let scopes: usize = org
                .projects
                .iter()
                .flat_map(|p| &p.policies)
                .map(|p| p.scopes.len().max(1))
                .sum();
            // The organization: projects (paged), one org-wide repository list, the agent
            // pools, then (cloud only) Advanced Security: the enablement and, when a repository
            // has a feature on, the alerts.
            truth.minimal_calls += pages(org.projects.len()) + 1 + 1;
            let enabled = || org.advsec.iter().filter(|a| a.enabled());
            // A repository whose alerts are refused costs its one refused call.
            let refused = enabled().filter(|a| a.alerts_forbidden).count();
            let alerts = if server_mode {
                0
            } else if enabled().next().is_none() {
                1
            } else if alertsbatch {
                // The summary, ⌈readable alerts / page⌉ of the organization-wide list, and one
                // call per repository it leaves out (those the identity may not read).
                let readable: usize = enabled()
                    .filter(|a| !a.alerts_forbidden)
                    .map(|a| a.alerts.len())
                    .sum();
                1 + 1 + pages(readable) + refused
            } else {
                // The refused summary, then every enabled repository's alerts.
                1 + 1
                    + refused
                    + enabled()
                        .filter(|a| !a.alerts_forbidden)
                        .map(|a| pages(a.alerts.len()))
                        .sum::<usize>()
            };
            truth.minimal_calls += alerts;
            let repositories_of = |project: &SimProject| {
                org.repositories
                    .iter()
                    .filter(|r| org.projects[r.project_index].id == project.id)
                    .count()
            };
            // Each project: policies, service connections, variable groups, pipelines (paged),
            // pipeline settings, queues, secure files, environments (paged), and the resources
            // authorized for all pipelines (one call per type: endpoint, variable group, queue,
            // secure file).
            truth.minimal_calls += org
                .projects
                .iter()
                .map(|p| {
                    pages(p.policies.len())
                        + 1
                        + pages(p.library.variable_groups.len())
                        + pages(p.pipelines.pipelines.len())
                        + 1
                        + 2
                        + pages(p.agents.environments.len())
                        + pages(p.agents.deployment_groups.len())
                        + 4
                        // Checks of every protected resource in one query (when there are
                        // any), then the permissions of each environment.
                        + usize::from(
                            p.library.endpoints.len()
                                + shared_with(p)
                                + p.agents.environments.len()
                                + p.agents.queues.len()
                                + p.library.variable_groups.len()
                                + p.agents.secure_files.len()
                                + repositories_of(p)
                                > 0,
                        )
                        + p.agents.environments.len()
                })
                .sum::<usize>()
                // The organization's security policies, one call each, and its pipeline
                // settings (one data-provider query).
                + super::controls::ORG_POLICY_NAMES.len()
                + usize::from(!server_mode);
            // Identities (cloud only): Graph users and groups, the entitlements (each paged),
            // one membership call per expanded group, and one access-control-list call per
            // namespace.
            let identity = if server_mode {
                super::identity::IdentityCounts::default()
            } else {
                org.identity.counts()
            };
            if !server_mode {
                truth.minimal_calls += pages(identity.graph_users)
                    + pages(identity.groups)
                    + pages(identity.entitlements)
                    + identity.expanded_groups
                    + 2;
            }
            truth.organizations.push(OrganizationTruth {
                name: org.name.clone(),
                id: org.id.clone(),
                projects: org.projects.len(),
                repositories: org.repositories.len(),
                identity,
                policies,
                policy_scope_rows: scopes,
                service_connections: org.projects.iter().map(|p| p.library.endpoints.len()).sum(),
                // Each connection in its own project and in each project it is shared with.
                service_connection_projects: org
                    .projects
                    .iter()
                    .map(|p| p.library.endpoints.len() + shared_with(p))
                    .sum(),
                service_connections_not_ready: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.library.endpoints)
                    .filter(|e| !e.is_ready())
                    .count(),
                service_connections_open_to_all: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.library.endpoints)
                    .filter(|e| e.open_to_all)
                    .count(),
                variable_groups: org
                    .projects
                    .iter()
                    .map(|p| p.library.variable_groups.len())
                    .sum(),
                variable_groups_open_to_all: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.library.variable_groups)
                    .filter(|g| g.open_to_all)
                    .count(),
                pipelines: org
                    .projects
                    .iter()
                    .map(|p| p.pipelines.pipelines.len())
                    .sum(),
                agent_pools: org.pools.len(),
                agent_queues: org.projects.iter().map(|p| p.agents.queues.len()).sum(),
                agent_queues_open_to_all: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.agents.queues)
                    .filter(|q| q.open_to_all)
                    .count(),
                secure_files: org
                    .projects
                    .iter()
                    .map(|p| p.agents.secure_files.len())
                    .sum(),
                secure_files_open_to_all: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.agents.secure_files)
                    .filter(|f| f.open_to_all)
                    .count(),
                environments: org
                    .projects
                    .iter()
                    .map(|p| p.agents.environments.len())
                    .sum(),
                deployment_groups: org
                    .projects
                    .iter()
                    .map(|p| p.agents.deployment_groups.len())
                    .sum(),
                classic_pipelines: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.pipelines.pipelines)
                    .filter(|p| p.process_type == 1)
                    .count(),
                fork_builds_with_secrets: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.pipelines.pipelines)
                    .filter(|p| p.pull_request.is_some_and(|f| f.enabled && f.allow_secrets))
                    .count(),
                advsec_enabled_repositories: org.advsec.iter().filter(|a| a.enabled()).count(),
                advsec_alerts: org
                    .advsec
                    .iter()
                    .filter(|a| a.enabled() && !a.alerts_forbidden)
                    .map(|a| a.alerts.len())
                    .sum(),
                advsec_alerts_forbidden_repositories: org
                    .advsec
                    .iter()
                    .filter(|a| a.enabled() && a.alerts_forbidden)
                    .count(),
                checks: org
                    .controls
                    .projects
                    .iter()
                    .map(|c| c.all_checks().count())
                    .sum(),
                environments_open_to_all: org
                    .controls
                    .projects
                    .iter()
                    .flat_map(|c| &c.environment_open)
                    .filter(|open| **open)
                    .count(),
                organization_policies: super::controls::ORG_POLICY_NAMES.len(),
                repositories_open_to_all: org
                    .controls
                    .repository_open
                    .iter()
                    .filter(|open| **open)
                    .count(),
                pipeline_permission_resources: org.repositories.len()
                    + org
                        .projects
                        .iter()
                        .map(|p| {
                            p.library.endpoints.len()
                                + shared_with(p)
                                + p.library.variable_groups.len()
                                + p.agents.secure_files.len()
                                + p.agents.queues.len()
                        })
                        .sum::<usize>(),
                secret_variables: org
                    .projects
                    .iter()
                    .flat_map(|p| &p.library.variable_groups)
                    .flat_map(|g| &g.variables)
                    .filter(|(_, secret)| *secret)
                    .count(),
            });
            for repo in &org.repositories {
                *truth
                    .injected
                    .entry(format!("{:?}", repo.protection))
                    .or_default() += 1;
            }
        }
        truth.expected_findings = super::expected::expected_findings(self, server_mode);
        truth
    }
}

/// Whether a scope covers a repository's default branch: match kinds are case-insensitive (the
/// CLI writes `exact`), and a scope naming a repository without a ref covers all its branches.
pub fn scope_covers(scope: &SimScope, repository_id: &str, branch: &str) -> bool {
    let repo_matches = scope
        .repository_id
        .as_deref()
        .is_none_or(|id| id.eq_ignore_ascii_case(repository_id));
    let whole_repository = scope.repository_id.is_some() && scope.ref_name.is_none();
    let ref_matches = match scope.match_kind.to_ascii_lowercase().as_str() {
        "exact" => scope.ref_name.as_deref() == Some(branch),
        "prefix" => scope
            .ref_name
            .as_deref()
            .is_some_and(|p| branch.starts_with(p)),
        "defaultbranch" => true,
        _ => false,
    };
    repo_matches && (ref_matches || whole_repository)
}

fn pick_protection(rng: &mut SplitMix64) -> Protection {
    let total: u64 = PROTECTION_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (protection, weight) in PROTECTION_WEIGHTS {
        if roll < *weight {
            return *protection;
        }
        roll -= weight;
    }
    Protection::NoPolicy
}

fn min_reviewers(
    next_id: &mut u64,
    repository_id: Option<&str>,
    ref_name: Option<&str>,
    match_kind: &'static str,
    min_approvers: u64,
    creator_vote_counts: bool,
) -> SimPolicy {
    let id = *next_id;
    *next_id += 1;
    SimPolicy {
        id,
        type_id: MIN_REVIEWERS_TYPE,
        enabled: true,
        blocking: true,
        scopes: vec![SimScope {
            repository_id: repository_id.map(str::to_string),
            ref_name: ref_name.map(str::to_string),
            match_kind,
        }],
        min_approvers: Some(min_approvers),
        creator_vote_counts: Some(creator_vote_counts),
        reset_on_source_push: Some(true),
        build_definition_id: None,
        require_vote_on_each_iteration: Some(false),
        block_last_pusher_vote: Some(false),
        allow_downvotes: Some(false),
    }
}

/// A toxic combination the rates alone may leave out: in the first project whose fork builds get
/// secrets and that has a secure file, that file is open to all pipelines (ADO-TOX-006). It
/// flips a flag, drawing nothing, so the rest of the estate is unchanged.
fn inject_fork_exposed_secure_file(org: &mut SimOrganization) {
    let organization = org.pipeline_settings;
    let exposed = org.projects.iter_mut().find(|p| {
        let e = p.pipelines.settings.effective(&organization);
        let secrets = p
            .pipelines
            .pipelines
            .iter()
            .filter_map(|x| x.pull_request)
            .any(|f| f.enabled && e.builds_enabled_for_forks && f.allow_secrets);
        secrets && !e.enforce_no_access_to_secrets_from_forks && !p.agents.secure_files.is_empty()
    });
    if let Some(file) = exposed.and_then(|p| p.agents.secure_files.first_mut()) {
        file.open_to_all = true;
    }
}

/// Derives every project's policy configurations from the project flags and the repositories'
/// protection, with ids numbered per organization in a stable order.
fn rebuild_policies(org: &mut SimOrganization) {
    let mut next_id = 1u64;
    for project in &mut org.projects {
        project.policies.clear();
        if project.project_wide_policy {
            project.policies.push(min_reviewers(
                &mut next_id,
                None,
                Some("refs/heads/main"),
                "Exact",
                2,
                false,
            ));
        }
    }
    for (index, repo) in org.repositories.iter().enumerate() {
        let extras = org
            .controls
            .repositories
            .get(index)
            .copied()
            .unwrap_or_default();
        let project = &mut org.projects[repo.project_index];
        let branch = repo.default_branch.as_deref().unwrap_or("refs/heads/main");
        let id = Some(repo.id.as_str());
        // Stable ids per repository and kind, as the service keeps them: a policy added or
        // removed one day leaves every other policy's id as it was.
        let base = 1_000_000 + index as u64 * 16;
        next_id = base;
        let next = &mut next_id;
        let policy = match repo.protection {
            Protection::ExactTwoReviewers => {
                Some(min_reviewers(next, id, Some(branch), "Exact", 2, false))
            }
            Protection::PrefixThreeReviewers => Some(min_reviewers(
                next,
                id,
                Some("refs/heads/"),
                "Prefix",
                3,
                false,
            )),
            Protection::DefaultBranchKind => {
                Some(min_reviewers(next, id, None, "DefaultBranch", 2, false))
            }
            Protection::OneReviewer => {
                Some(min_reviewers(next, id, Some(branch), "Exact", 1, false))
            }
            Protection::CreatorVoteCounts => {
                Some(min_reviewers(next, id, Some(branch), "Exact", 2, true))
            }
            Protection::DisabledPolicy => {
                let mut p = min_reviewers(next, id, Some(branch), "Exact", 2, false);
                p.enabled = false;
                Some(p)
            }
            Protection::NonBlockingPolicy => {
                let mut p = min_reviewers(next, id, Some(branch), "Exact", 2, false);
                p.blocking = false;
                Some(p)
            }
            Protection::OtherBranchOnly => Some(min_reviewers(
                next,
                id,
                Some("refs/heads/release"),
                "Exact",
                2,
                false,
            )),
            Protection::NoPolicy => None,
        };
        project.policies.extend(policy.map(|mut p| {
            // What real estates hold besides the portal's spelling: the CLI's lower-case match
            // kinds, and repository-wide scopes without a ref.
            for scope in &mut p.scopes {
                match (scope.match_kind, index % 4) {
                    ("Exact", 1) if scope.ref_name.as_deref() == Some(branch) => {
                        scope.match_kind = "";
                        scope.ref_name = None;
                    }
                    ("Exact", 2) => scope.match_kind = "exact",
                    ("Prefix", 1 | 3) => scope.match_kind = "prefix",
                    _ => {}
                }
            }
            SimPolicy {
                reset_on_source_push: Some(extras.reset_on_push),
                require_vote_on_each_iteration: Some(!extras.reset_on_push && index % 3 == 0),
                block_last_pusher_vote: Some(index % 5 != 2),
                allow_downvotes: Some(index % 7 == 4),
                ..p
            }
        }));
        next_id = base + 1;
        for (present, type_id) in [
            (extras.comment_resolution, COMMENTS_TYPE),
            (extras.work_item_linking, WORK_ITEMS_TYPE),
            (extras.merge_strategy, MERGE_STRATEGY_TYPE),
        ] {
            if present {
                project.policies.push(SimPolicy {
                    id: next_id,
                    type_id,
                    enabled: true,
                    blocking: true,
                    scopes: vec![SimScope {
                        repository_id: Some(repo.id.clone()),
                        ref_name: Some(branch.to_string()),
                        match_kind: "Exact",
                    }],
                    min_approvers: None,
                    creator_vote_counts: None,
                    reset_on_source_push: None,
                    build_definition_id: None,
                    require_vote_on_each_iteration: None,
                    block_last_pusher_vote: None,
                    allow_downvotes: None,
                });
                next_id += 1;
            }
        }
        if let Some(definition) = repo.build_policy {
            let policy_id = base + 8;
            project.policies.push(SimPolicy {
                id: policy_id,
                type_id: BUILD_TYPE,
                enabled: true,
                blocking: true,
                scopes: vec![SimScope {
                    repository_id: Some(repo.id.clone()),
                    ref_name: Some(branch.to_string()),
                    match_kind: "Exact",
                }],
                min_approvers: None,
                creator_vote_counts: None,
                reset_on_source_push: None,
                build_definition_id: Some(definition),
                require_vote_on_each_iteration: None,
                block_last_pusher_vote: None,
                allow_downvotes: None,
            });
        }
    }
}

/// One branch-policy row (a policy's scope) as the change feed compares it: its watched
/// attributes as the server serves them (see `policy_json`).
fn policy_row(p: &SimPolicy, s: &SimScope) -> BTreeMap<&'static str, Option<String>> {
    let text = |v: Option<String>| v;
    let reviewers = p.min_approvers.is_some();
    let flag = |b: Option<bool>| reviewers.then(|| b.unwrap_or(false).to_string());
    let ranged = !s.match_kind.is_empty();
    BTreeMap::from([
        ("is_enabled", Some(p.enabled.to_string())),
        ("is_blocking", Some(p.blocking.to_string())),
        ("is_deleted", Some("false".to_string())),
        ("scope_repository_id", text(s.repository_id.clone())),
        (
            "scope_ref_name",
            ranged.then(|| s.ref_name.clone()).flatten(),
        ),
        ("scope_match_kind", ranged.then(|| s.match_kind.to_string())),
        ("min_approver_count", p.min_approvers.map(|n| n.to_string())),
        ("creator_vote_counts", flag(p.creator_vote_counts)),
        ("reset_on_source_push", flag(p.reset_on_source_push)),
        ("block_last_pusher_vote", flag(p.block_last_pusher_vote)),
        ("allow_downvotes", flag(p.allow_downvotes)),
    ])
}

impl Estate {
    /// Branch-policy rows by (organization, `policy_id/scope_index`).
    fn policy_rows(&self) -> BTreeMap<(String, String), BTreeMap<&'static str, Option<String>>> {
        let mut rows = BTreeMap::new();
        for org in &self.organizations {
            for p in org.projects.iter().flat_map(|project| &project.policies) {
                for (k, s) in p.scopes.iter().enumerate() {
                    rows.insert(
                        (org.name.clone(), format!("{}/{k}", p.id)),
                        policy_row(p, s),
                    );
                }
            }
        }
        rows
    }

    /// The branch-policy changes from `before` to this estate, as (organization, key, change,
    /// attribute): what the drift of [`Estate::on_day`] did, in the change feed's terms.
    pub fn policy_changes_since(
        &self,
        before: &Estate,
    ) -> std::collections::BTreeSet<(String, String, String, Option<String>)> {
        let (old, new) = (before.policy_rows(), self.policy_rows());
        let mut out = std::collections::BTreeSet::new();
        for (key, row) in &new {
            match old.get(key) {
                None => {
                    out.insert((key.0.clone(), key.1.clone(), "added".into(), None));
                }
                Some(was) => {
                    for (attribute, value) in row {
                        if was.get(attribute) != Some(value) {
                            out.insert((
                                key.0.clone(),
                                key.1.clone(),
                                "modified".into(),
                                Some(attribute.to_string()),
                            ));
                        }
                    }
                }
            }
        }
        for key in old.keys().filter(|k| !new.contains_key(*k)) {
            out.insert((key.0.clone(), key.1.clone(), "removed".into(), None));
        }
        out
    }
}

/// What the simulator knows about its estate, for tests to compare a crawl against.
#[derive(Debug, Default, Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub day: u64,
    pub sizes: EstateSizes,
    pub organizations: Vec<OrganizationTruth>,
    /// The fewest API calls that read the whole estate (with organization discovery).
    pub minimal_calls: usize,
    /// Repositories per injected default-branch protection.
    pub injected: std::collections::BTreeMap<String, usize>,
    /// Rule by rule, what the engine must report (see [`super::expected`]).
    pub expected_findings: Vec<super::expected::ExpectedFinding>,
}

#[derive(Debug, Serialize)]
pub struct OrganizationTruth {
    pub name: String,
    pub id: String,
    pub projects: usize,
    pub repositories: usize,
    /// Rows of the identity tables (0 on Azure DevOps Server, which has no Graph).
    pub identity: super::identity::IdentityCounts,
    /// Policy configurations of every type.
    pub policies: usize,
    /// Rows the branch_policies table must hold (one per scope entry).
    pub policy_scope_rows: usize,
    pub service_connections: usize,
    /// Connections that are not ready: listed only with `includeFailed=true`, in the inventory
    /// and judged like any other.
    pub service_connection_projects: usize,
    pub service_connections_not_ready: usize,
    pub service_connections_open_to_all: usize,
    pub variable_groups: usize,
    pub variable_groups_open_to_all: usize,
    pub secret_variables: usize,
    /// Checks and approvals on every protected resource type (service connections,
    /// environments, agent queues, variable groups, secure files, repositories).
    pub checks: usize,
    pub environments_open_to_all: usize,
    /// Organization security policies the crawler asks for (read or not).
    pub organization_policies: usize,
    /// Repositories open to every pipeline of their project.
    pub repositories_open_to_all: usize,
    /// Resources whose pipeline permissions a detailed crawl reads one by one (service
    /// connections, variable groups, secure files, queues, repositories): calls it adds.
    pub pipeline_permission_resources: usize,
    pub pipelines: usize,
    pub agent_pools: usize,
    pub agent_queues: usize,
    pub agent_queues_open_to_all: usize,
    pub secure_files: usize,
    pub secure_files_open_to_all: usize,
    pub deployment_groups: usize,
    pub environments: usize,
    pub classic_pipelines: usize,
    /// Pipelines building pull requests from forks with secrets available to them.
    pub fork_builds_with_secrets: usize,
    /// Repositories with code security or secret protection on.
    pub advsec_enabled_repositories: usize,
    /// Alerts of enabled repositories whose alerts the identity may read.
    pub advsec_alerts: usize,
    /// Enabled repositories whose alerts answer 403 (must be "not evaluated").
    pub advsec_alerts_forbidden_repositories: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_estate_and_every_injection_present() {
        let sizes = EstateSizes {
            organizations: 2,
            projects_per_organization: 10,
            repositories_per_project: 10,
        };
        let a = Estate::generate(7, sizes.clone()).ground_truth(100, false, true);
        let b = Estate::generate(7, sizes).ground_truth(100, false, true);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            a.injected.len(),
            PROTECTION_WEIGHTS.len(),
            "{:?}",
            a.injected
        );
        assert!(
            a.expected_findings
                .iter()
                .any(|f| f.rule_id == "ADO-REPO-001")
        );
        assert!(
            a.expected_findings
                .iter()
                .any(|f| f.rule_id == "ADO-REPO-002")
        );
    }

    #[test]
    fn guids_look_like_guids() {
        let g = SplitMix64::new(1).guid();
        assert_eq!(g.len(), 36);
        assert_eq!(g.matches('-').count(), 4);
    }
}
