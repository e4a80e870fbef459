//! Simulated agent pools (organization), agent queues, secure files, environments and
//! deployment groups (project), with which queues and secure files are open to every pipeline.
//! Generated from their own random streams (deployment groups from one of their own, so adding
//! them left every other resource as it was).

use super::estate::SplitMix64;

#[derive(Debug, Clone)]
pub struct SimPool {
    pub id: u64,
    pub name: String,
    pub is_hosted: bool,
}

impl SimPool {
    /// `autoProvision`: hosted pools are provisioned everywhere; self-hosted ones by id.
    pub fn auto_provision(&self) -> bool {
        self.is_hosted || self.id % 2 == 1
    }
}

#[derive(Debug, Clone)]
pub struct SimQueue {
    pub id: u64,
    /// Index into the organization's pools.
    pub pool: usize,
    pub open_to_all: bool,
}

#[derive(Debug, Clone)]
pub struct SimSecureFile {
    pub id: String,
    pub name: String,
    pub open_to_all: bool,
}

#[derive(Debug, Clone)]
pub struct SimEnvironment {
    pub id: u64,
    pub name: String,
}

/// A deployment group and the deployment pool behind it.
#[derive(Debug, Clone)]
pub struct SimDeploymentGroup {
    pub id: u64,
    pub name: String,
    pub machine_count: u64,
    pub pool_id: u64,
}

/// The agent side of one project.
#[derive(Debug, Clone, Default)]
pub struct ProjectAgents {
    pub queues: Vec<SimQueue>,
    pub secure_files: Vec<SimSecureFile>,
    pub environments: Vec<SimEnvironment>,
    /// In name order, as the service pages them.
    pub deployment_groups: Vec<SimDeploymentGroup>,
}

/// Pools of an organization and the agent side of each of its projects.
pub fn generate(
    seed: u64,
    organization: usize,
    projects: usize,
) -> (Vec<SimPool>, Vec<ProjectAgents>) {
    let mut rng = SplitMix64::new(
        seed ^ 0x0A6E_0700_0000_0000 ^ (organization as u64).wrapping_mul(0x1656_67B1),
    );
    let mut pools = vec![
        SimPool {
            id: 9,
            name: "Azure Pipelines".into(),
            is_hosted: true,
        },
        SimPool {
            id: 1,
            name: "Default".into(),
            is_hosted: false,
        },
    ];
    for extra in 0..rng.below(3) {
        pools.push(SimPool {
            id: 20 + extra,
            name: format!("self-hosted-{extra}"),
            is_hosted: false,
        });
    }
    let mut next_queue = 1;
    let mut next_environment = 1;
    let mut groups_rng = SplitMix64::new(
        seed ^ 0x0DE9_1070_0000_0000 ^ (organization as u64).wrapping_mul(0x2545_F491),
    );
    let mut next_group = 1;
    let agents = (0..projects)
        .map(|p| {
            let queues = (0..pools.len())
                .map(|pool| {
                    let queue = SimQueue {
                        id: next_queue,
                        pool,
                        open_to_all: rng.percent(50),
                    };
                    next_queue += 1;
                    queue
                })
                .collect();
            let secure_files = (0..rng.below(3))
                .map(|f| SimSecureFile {
                    id: rng.guid(),
                    name: format!("signing-{p:03}-{f}.pfx"),
                    open_to_all: rng.percent(30),
                })
                .collect();
            let environments = (0..rng.below(3))
                .map(|e| {
                    let environment = SimEnvironment {
                        id: next_environment,
                        name: ["production", "staging"][e as usize % 2].to_string(),
                    };
                    next_environment += 1;
                    environment
                })
                .collect();
            let deployment_groups = (0..groups_rng.below(4))
                .map(|k| {
                    let group = SimDeploymentGroup {
                        id: next_group,
                        name: format!("deploy-{p:03}-{k}"),
                        machine_count: groups_rng.below(5),
                        pool_id: 100 + next_group,
                    };
                    next_group += 1;
                    group
                })
                .collect();
            ProjectAgents {
                queues,
                secure_files,
                environments,
                deployment_groups,
            }
        })
        .collect();
    (pools, agents)
}
