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
        .map(|repos| {
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
                    }
                })
                .collect();
            ProjectPipelines {
                pipelines,
                settings,
            }
        })
        .collect()
}
