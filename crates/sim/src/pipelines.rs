//! Simulated pipelines (build definitions) and pipeline general settings of a project.
//! Generated from their own random stream.

use super::estate::SplitMix64;

/// Fork settings of a pull-request trigger.
#[derive(Debug, Clone, Copy)]
pub struct SimForks {
    pub enabled: bool,
    pub allow_secrets: bool,
    pub allow_full_access_token: bool,
    /// `isCommentRequiredForPullRequest`: a team member must comment before a fork PR builds.
    pub comment_required: bool,
}

#[derive(Debug, Clone)]
pub struct SimPipeline {
    pub id: u64,
    pub name: String,
    /// 1 = classic designer, 2 = YAML.
    pub process_type: u8,
    /// Index of the project repository it builds.
    pub repository: Option<usize>,
    pub pull_request: Option<SimForks>,
    /// `projectCollection` or `project`.
    pub job_authorization_scope: &'static str,
    /// (name, is secret)
    pub variables: Vec<(String, bool)>,
    /// Its default queue is the self-hosted pool "Default" (else "Azure Pipelines").
    pub self_hosted: bool,
}

/// `_apis/build/generalsettings` of a project.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimGeneralSettings {
    pub enforce_job_auth_scope: bool,
    pub enforce_job_auth_scope_for_releases: bool,
    pub enforce_referenced_repo_scoped_token: bool,
    pub enforce_settable_var: bool,
    pub status_badges_are_private: bool,
    pub disable_classic_pipeline_creation: bool,
    pub fork_protection_enabled: bool,
    pub builds_enabled_for_forks: bool,
    pub enforce_job_auth_scope_for_forks: bool,
    pub enforce_no_access_to_secrets_from_forks: bool,
    pub enable_shell_tasks_args_sanitizing: bool,
    /// The separate toggles; `disable_classic_pipeline_creation` is served as both on.
    pub disable_classic_build_pipeline_creation: bool,
    pub disable_classic_release_pipeline_creation: bool,
    /// `isCommentRequiredForPullRequest` of the fork protection.
    pub is_comment_required_for_pull_request: bool,
}

impl SimGeneralSettings {
    /// Fork builds are not run at all.
    pub fn fork_builds_blocked(&self) -> bool {
        self.fork_protection_enabled && !self.builds_enabled_for_forks
    }
    pub fn forks_kept_from_secrets(&self) -> bool {
        self.fork_protection_enabled
            && (!self.builds_enabled_for_forks || self.enforce_no_access_to_secrets_from_forks)
    }
    pub fn forks_token_limited(&self) -> bool {
        self.fork_protection_enabled
            && (!self.builds_enabled_for_forks || self.enforce_job_auth_scope_for_forks)
    }
    pub fn forks_comment_required(&self) -> bool {
        self.fork_protection_enabled
            && (!self.builds_enabled_for_forks || self.is_comment_required_for_pull_request)
    }

    /// The settings in force in a project: each on when the project or the organization turns
    /// it on (the fork settings combined by what they guarantee).
    pub fn effective(&self, organization: &SimGeneralSettings) -> SimGeneralSettings {
        let (p, o) = (self, organization);
        let blocked = p.fork_builds_blocked() || o.fork_builds_blocked();
        SimGeneralSettings {
            enforce_job_auth_scope: p.enforce_job_auth_scope || o.enforce_job_auth_scope,
            enforce_job_auth_scope_for_releases: p.enforce_job_auth_scope_for_releases
                || o.enforce_job_auth_scope_for_releases,
            enforce_referenced_repo_scoped_token: p.enforce_referenced_repo_scoped_token
                || o.enforce_referenced_repo_scoped_token,
            enforce_settable_var: p.enforce_settable_var || o.enforce_settable_var,
            status_badges_are_private: p.status_badges_are_private || o.status_badges_are_private,
            disable_classic_pipeline_creation: false,
            fork_protection_enabled: p.fork_protection_enabled || o.fork_protection_enabled,
            builds_enabled_for_forks: !blocked,
            enforce_job_auth_scope_for_forks: p.forks_token_limited() || o.forks_token_limited(),
            enforce_no_access_to_secrets_from_forks: p.forks_kept_from_secrets()
                || o.forks_kept_from_secrets(),
            enable_shell_tasks_args_sanitizing: p.enable_shell_tasks_args_sanitizing
                || o.enable_shell_tasks_args_sanitizing,
            disable_classic_build_pipeline_creation: p.disable_classic_build_pipeline_creation
                || o.disable_classic_build_pipeline_creation,
            disable_classic_release_pipeline_creation: p.disable_classic_release_pipeline_creation
                || o.disable_classic_release_pipeline_creation,
            is_comment_required_for_pull_request: p.forks_comment_required()
                || o.forks_comment_required(),
        }
    }
}

/// The organization's pipeline settings, from their own random stream (so the projects' stay
/// as they were).
pub fn generate_organization(seed: u64, organization: usize) -> SimGeneralSettings {
    let mut rng = SplitMix64::new(
        seed ^ 0x0126_5E77_0000_0000 ^ (organization as u64).wrapping_mul(0x4F1B_BCDD),
    );
    let mut on = |percent| rng.percent(percent);
    SimGeneralSettings {
        // Never in the first organization, so its classic pipelines' own scope is what counts.
        enforce_job_auth_scope: organization % 2 == 1 && on(40),
        enforce_job_auth_scope_for_releases: on(40),
        enforce_referenced_repo_scoped_token: on(40),
        enforce_settable_var: on(40),
        status_badges_are_private: on(40),
        disable_classic_pipeline_creation: false,
        fork_protection_enabled: on(50),
        builds_enabled_for_forks: on(70),
        enforce_job_auth_scope_for_forks: on(50),
        enforce_no_access_to_secrets_from_forks: on(50),
        enable_shell_tasks_args_sanitizing: on(40),
        disable_classic_build_pipeline_creation: on(40),
        disable_classic_release_pipeline_creation: on(40),
        is_comment_required_for_pull_request: on(50),
    }
}

#[derive(Debug, Clone, Default)]
pub struct ProjectPipelines {
    pub pipelines: Vec<SimPipeline>,
    pub settings: SimGeneralSettings,
}

/// Variable name stems: some look like secrets (a plain-text one is a finding), some do not.
pub const VARIABLE_NAMES: &[&str] = &[
    "BUILD_CONFIGURATION",
    "DB_PASSWORD",
    "API_TOKEN",
    "DEPLOY_REGION",
    "CLIENT_SECRET",
    "FEATURE_FLAG",
];

/// Pipelines and settings of each project of an organization (definition ids per project).
pub fn generate(
    seed: u64,
    organization: usize,
    repositories_per_project: &[Vec<usize>],
) -> Vec<ProjectPipelines> {
    let mut rng = SplitMix64::new(
        seed ^ 0x0B01_1D00_0000_0000 ^ (organization as u64).wrapping_mul(0x632B_E59B),
    );
    repositories_per_project
        .iter()
        .enumerate()
        .map(|(project, repos)| {
            let mut on = |percent| rng.percent(percent);
            let settings = SimGeneralSettings {
                enforce_job_auth_scope: on(60),
                enforce_job_auth_scope_for_releases: on(50),
                enforce_referenced_repo_scoped_token: on(50),
                enforce_settable_var: on(60),
                status_badges_are_private: on(70),
                disable_classic_pipeline_creation: on(40),
                fork_protection_enabled: on(70),
                builds_enabled_for_forks: on(40),
                enforce_job_auth_scope_for_forks: on(70),
                enforce_no_access_to_secrets_from_forks: on(70),
                enable_shell_tasks_args_sanitizing: on(30),
                ..Default::default()
            };
            // Derived, not drawn, so the random stream (and the rest of the estate) is unchanged:
            // some projects leave classic release pipelines open while build ones are closed.
            let settings = SimGeneralSettings {
                disable_classic_build_pipeline_creation: settings.disable_classic_pipeline_creation,
                disable_classic_release_pipeline_creation: settings
                    .disable_classic_pipeline_creation
                    && project % 3 != 1,
                is_comment_required_for_pull_request: project % 2 == 0,
                ..settings
            };
            let count = rng.below(4);
            let pipelines = (0..count)
                .map(|i| {
                    let pull_request = rng.percent(50).then(|| SimForks {
                        enabled: rng.percent(50),
                        allow_secrets: rng.percent(25),
                        allow_full_access_token: rng.percent(20),
                        comment_required: rng.percent(50),
                    });
                    SimPipeline {
                        id: i + 1,
                        name: format!("pipeline-{i}"),
                        process_type: if rng.percent(30) { 1 } else { 2 },
                        repository: (!repos.is_empty())
                            .then(|| repos[rng.below(repos.len() as u64) as usize]),
                        pull_request,
                        job_authorization_scope: if rng.percent(50) {
                            "projectCollection"
                        } else {
                            "project"
                        },
                        variables: (0..rng.below(4))
                            .map(|v| {
                                let name =
                                    VARIABLE_NAMES[rng.below(VARIABLE_NAMES.len() as u64) as usize];
                                (format!("{name}_{v}"), rng.percent(40))
                            })
                            .collect(),
                        self_hosted: i % 2 == 1,
                    }
                })
                .collect();
            let mut pipelines: Vec<SimPipeline> = pipelines;
            // Every estate has a classic pipeline with a collection-wide token where the
            // project does not limit it (derived, no draw).
            if !settings.enforce_job_auth_scope
                && project % 2 == 0
                && let Some(first) = pipelines.first_mut()
            {
                first.process_type = 1;
                first.job_authorization_scope = "projectCollection";
            }
            ProjectPipelines {
                pipelines,
                settings,
            }
        })
        .collect()
}
