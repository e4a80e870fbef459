//! Simulated controls around the resources: organization policies, the extra branch policies of
//! each repository (comment resolution, work-item linking, merge strategy, vote reset), checks
//! and approvals on every protected resource type (service connections, environments, agent
//! queues, variable groups, secure files, repositories), and which environments are open to
//! every pipeline. Generated from their own random streams, so the rest of the estate stays as
//! it was.

use super::estate::SplitMix64;

/// Organization security policies (`_apis/OrganizationPolicy/Policies/{name}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimOrgPolicies {
    pub allow_public_projects: bool,
    pub disallow_oauth: bool,
    pub disallow_ssh: bool,
    pub log_audit_events: bool,
    pub disallow_guests: bool,
}

/// The policy names the simulator serves, as Azure DevOps names them.
pub const ORG_POLICY_NAMES: &[&str] = &[
    "Policy.AllowAnonymousAccess",
    "Policy.DisallowOAuthAuthentication",
    "Policy.DisallowSecureShell",
    "Policy.LogAuditEvents",
    "Policy.DisallowAadGuestUserAccess",
    "Policy.EnforceAADConditionalAccess",
];

impl SimOrgPolicies {
    /// The value of a policy by name.
    /// Whether the organization left this policy at its default, so its entry's `value`
    /// differs from its `effectiveValue` (the simulator leaves every other policy so).
    pub fn at_default(&self, name: &str) -> bool {
        ORG_POLICY_NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| i % 2 == usize::from(self.disallow_ssh))
    }

    pub fn value(&self, name: &str) -> Option<bool> {
        Some(match name {
            "Policy.AllowAnonymousAccess" => self.allow_public_projects,
            "Policy.DisallowOAuthAuthentication" => self.disallow_oauth,
            "Policy.DisallowSecureShell" => self.disallow_ssh,
            "Policy.LogAuditEvents" => self.log_audit_events,
            "Policy.DisallowAadGuestUserAccess" => self.disallow_guests,
            // Derived, not drawn: the random stream stays as it was.
            "Policy.EnforceAADConditionalAccess" => self.disallow_oauth != self.disallow_ssh,
            _ => return None,
        })
    }
}

/// Branch policies of a repository besides minimum reviewers and build validation, all on its
/// default branch (exact ref), enabled and blocking when present.
#[derive(Debug, Clone, Copy, Default)]
pub struct RepoExtras {
    pub comment_resolution: bool,
    pub work_item_linking: bool,
    pub merge_strategy: bool,
    /// `resetOnSourcePush` of its minimum-reviewers policy.
    pub reset_on_push: bool,
}

/// A check (or approval) configured on a protected resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    Approval,
    BranchControl,
    ExclusiveLock,
}

impl CheckKind {
    /// (type id, type name) as the checks API returns them.
    pub fn type_ref(self) -> (&'static str, &'static str) {
        match self {
            CheckKind::Approval => ("8c6f20a7-a545-4486-9777-f762fafe0d4d", "Approval"),
            CheckKind::BranchControl => ("fe1de3ee-a436-41b4-bb20-f6eb4cb879a7", "Task Check"),
            CheckKind::ExclusiveLock => ("2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", "ExclusiveLock"),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SimCheck {
    pub id: u64,
    pub kind: CheckKind,
}

impl SimCheck {
    /// An approval's `requesterCannotBeApprover` (derived from the id).
    pub fn requester_cannot_be_approver(&self) -> bool {
        !self.id.is_multiple_of(3)
    }
}

/// Controls of one project's protected resources, in the order of its lists.
#[derive(Debug, Clone, Default)]
pub struct ProjectControls {
    /// Checks of each service connection (same order as the project's endpoints).
    pub endpoint_checks: Vec<Vec<SimCheck>>,
    /// Checks of each environment.
    pub environment_checks: Vec<Vec<SimCheck>>,
    /// Checks of each agent queue.
    pub queue_checks: Vec<Vec<SimCheck>>,
    /// Checks of each variable group.
    pub variable_group_checks: Vec<Vec<SimCheck>>,
    /// Checks of each secure file.
    pub secure_file_checks: Vec<Vec<SimCheck>>,
    /// Checks of each repository of the project (organization order).
    pub repository_checks: Vec<Vec<SimCheck>>,
    /// Whether each environment is open to every pipeline.
    pub environment_open: Vec<bool>,
}

impl ProjectControls {
    /// Every check of the project, whatever resource it protects.
    pub fn all_checks(&self) -> impl Iterator<Item = &SimCheck> {
        [
            &self.endpoint_checks,
            &self.environment_checks,
            &self.queue_checks,
            &self.variable_group_checks,
            &self.secure_file_checks,
            &self.repository_checks,
        ]
        .into_iter()
        .flatten()
        .flatten()
    }
}

/// How many protected resources of each type a project has, in the order of its lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProtectedCounts {
    pub endpoints: usize,
    pub environments: usize,
    pub queues: usize,
    pub variable_groups: usize,
    pub secure_files: usize,
    pub repositories: usize,
}

/// Everything this module adds to one organization.
#[derive(Debug, Clone, Default)]
pub struct OrganizationControls {
    pub policies: SimOrgPolicies,
    pub repositories: Vec<RepoExtras>,
    pub projects: Vec<ProjectControls>,
    /// Whether each repository (organization order) is open to every pipeline of its project.
    pub repository_open: Vec<bool>,
}

/// Generates the controls of organization `organization` with `repositories` repositories and,
/// per project, its protected resources.
pub fn generate(
    seed: u64,
    organization: usize,
    repositories: usize,
    projects: &[ProtectedCounts],
) -> OrganizationControls {
    let mut rng = SplitMix64::new(
        seed ^ 0x0C07_7201_0000_0000 ^ (organization as u64).wrapping_mul(0x7F4A_7C15),
    );
    let policies = SimOrgPolicies {
        allow_public_projects: rng.percent(50),
        disallow_oauth: rng.percent(50),
        disallow_ssh: rng.percent(50),
        log_audit_events: rng.percent(50),
        disallow_guests: rng.percent(50),
    };
    let repository_count = repositories;
    let repositories = (0..repositories)
        .map(|_| RepoExtras {
            comment_resolution: rng.percent(50),
            work_item_linking: rng.percent(40),
            merge_strategy: rng.percent(40),
            reset_on_push: rng.percent(60),
        })
        .collect();
    let mut next_check = 1;
    let mut checks = |rng: &mut SplitMix64| -> Vec<SimCheck> {
        let kinds = [
            (CheckKind::Approval, 45),
            (CheckKind::BranchControl, 25),
            (CheckKind::ExclusiveLock, 15),
        ];
        kinds
            .iter()
            .filter(|(_, percent)| rng.percent(*percent))
            .map(|(kind, _)| {
                let check = SimCheck {
                    id: next_check,
                    kind: *kind,
                };
                next_check += 1;
                check
            })
            .collect()
    };
    let mut controls: Vec<ProjectControls> = projects
        .iter()
        .map(|counts| ProjectControls {
            endpoint_checks: (0..counts.endpoints).map(|_| checks(&mut rng)).collect(),
            environment_checks: (0..counts.environments).map(|_| checks(&mut rng)).collect(),
            environment_open: (0..counts.environments).map(|_| rng.percent(40)).collect(),
            ..Default::default()
        })
        .collect();
    let repository_open = (0..repository_count).map(|_| rng.percent(30)).collect();
    // Checks on the other protected types come from a stream of their own, so the draws above
    // (and the estates of earlier versions) stay as they were; their ids follow on.
    let mut more = SplitMix64::new(
        seed ^ 0x0C07_7202_0000_0000 ^ (organization as u64).wrapping_mul(0x5851_F42D),
    );
    for (project, counts) in controls.iter_mut().zip(projects) {
        project.queue_checks = (0..counts.queues).map(|_| checks(&mut more)).collect();
        project.variable_group_checks = (0..counts.variable_groups)
            .map(|_| checks(&mut more))
            .collect();
        project.secure_file_checks = (0..counts.secure_files)
            .map(|_| checks(&mut more))
            .collect();
        project.repository_checks = (0..counts.repositories)
            .map(|_| checks(&mut more))
            .collect();
    }
    let projects = controls;
    OrganizationControls {
        policies,
        repositories,
        projects,
        repository_open,
    }
}
