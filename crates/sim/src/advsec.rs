//! Simulated GitHub Advanced Security for Azure DevOps: per-repository enablement (code
//! security, secret protection, push protection) and alerts. Generated from its own random
//! stream. Not served in Azure DevOps Server mode.

use super::estate::SplitMix64;

/// One alert of a repository.
#[derive(Debug, Clone)]
pub struct SimAlert {
    pub id: u64,
    pub alert_type: &'static str,
    pub severity: &'static str,
    pub state: &'static str,
    pub title: String,
}

/// Advanced Security on one repository.
#[derive(Debug, Clone, Default)]
pub struct SimAdvSec {
    pub code_security: bool,
    pub secret_protection: bool,
    pub block_pushes: bool,
    pub alerts: Vec<SimAlert>,
    /// The identity may not read this repository's alerts (403).
    pub alerts_forbidden: bool,
}

impl SimAdvSec {
    pub fn enabled(&self) -> bool {
        self.code_security || self.secret_protection
    }

    /// Left out of the organization's enablement list (some repositories of a real estate are:
    /// the crawl must say "not evaluated", not "off"). Derived from the repository's position,
    /// never for an enabled repository.
    pub fn unlisted(&self, index: usize) -> bool {
        !self.enabled() && index % 7 == 3
    }
}

const ENABLED_PERCENT: u64 = 60;
const FORBIDDEN_PERCENT: u64 = 5;
const TYPES: &[&str] = &["secret", "code", "dependency"];
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "note"];
const STATES: &[&str] = &["active", "active", "active", "dismissed", "fixed"];

/// Gives every repository with a feature on exactly `alerts` alerts (ids from 1, types,
/// severities and states in turn), for benchmarks of large alert volumes.
pub fn set_alerts_per_repository(advsec: &mut [SimAdvSec], alerts: usize) {
    let mut next_alert = 1;
    for (r, repository) in advsec.iter_mut().enumerate() {
        if !repository.enabled() {
            continue;
        }
        repository.alerts = (0..alerts)
            .map(|a| {
                let alert = SimAlert {
                    id: next_alert,
                    alert_type: TYPES[a % TYPES.len()],
                    severity: SEVERITIES[(r + a) % SEVERITIES.len()],
                    state: STATES[(r + 2 * a) % STATES.len()],
                    title: format!("simulated finding {r}-{a}"),
                };
                next_alert += 1;
                alert
            })
            .collect();
    }
}

/// Advanced Security of each of an organization's repositories, in the same order.
pub fn generate(seed: u64, organization: usize, repositories: usize) -> Vec<SimAdvSec> {
    let mut rng = SplitMix64::new(
        seed ^ 0x00AD_5EC0_0000_0000 ^ (organization as u64).wrapping_mul(0x2545_F491),
    );
    let mut next_alert = 1;
    (0..repositories)
        .map(|r| {
            if !rng.percent(ENABLED_PERCENT) {
                return SimAdvSec::default();
            }
            let code_security = rng.percent(85);
            let secret_protection = !code_security || rng.percent(80);
            let alerts = (0..rng.below(6))
                .map(|a| {
                    let alert = SimAlert {
                        id: next_alert,
                        alert_type: TYPES[rng.below(TYPES.len() as u64) as usize],
                        severity: SEVERITIES[rng.below(SEVERITIES.len() as u64) as usize],
                        state: STATES[rng.below(STATES.len() as u64) as usize],
                        title: format!("simulated finding {r}-{a}"),
                    };
                    next_alert += 1;
                    alert
                })
                .collect();
            SimAdvSec {
                code_security,
                secret_protection,
                block_pushes: secret_protection && rng.percent(70),
                alerts,
                alerts_forbidden: rng.percent(FORBIDDEN_PERCENT),
            }
        })
        .collect()
}
