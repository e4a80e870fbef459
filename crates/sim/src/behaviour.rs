//! How the simulated service misbehaves, like the real one: the global consumption limit
//! (TSTU cost per request over a sliding window per identity and organization, headers, delays,
//! then 429 TF400733) and injected faults (5xx with error bodies, connection resets, slow or
//! malformed bodies, a repeated continuation token).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::estate::SplitMix64;

/// The consumption limit the simulator enforces.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumptionLimit {
    /// TSTUs an identity may spend per organization in the window before delays start.
    pub budget: f64,
    /// Length of the sliding window (Azure DevOps: five minutes).
    #[serde(with = "seconds")]
    pub window: Duration,
    /// TSTU cost of a request (per route overrides below).
    pub cost: f64,
    /// Route (e.g. `git/repositories`) → cost, for routes that cost more than `cost`.
    pub route_costs: HashMap<String, f64>,
    /// Past `budget * block_factor`, requests are blocked (429) instead of delayed.
    pub block_factor: f64,
    /// How long a delayed request is held.
    #[serde(with = "seconds")]
    pub delay: Duration,
    /// Share of the budget used from which answers carry the `X-RateLimit-*` headers (Azure
    /// DevOps sends them only near or past the threshold: ../shared/ado-api/README.md §6).
    pub header_threshold: f64,
}

mod seconds {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl ConsumptionLimit {
    /// Azure DevOps' documented default: 200 TSTUs per five minutes, headers from 80% of it,
    /// heavy routes costing several simple GETs.
    pub fn azure_devops() -> Self {
        ConsumptionLimit {
            budget: 200.0,
            window: Duration::from_secs(300),
            cost: 1.0,
            route_costs: Self::default_route_costs(),
            block_factor: 1.5,
            delay: Duration::from_millis(500),
            header_threshold: 0.8,
        }
    }

    /// Routes that cost more than a simple GET, as on the real service: alert and large-list
    /// queries cost several times as much (Microsoft publishes no per-route figures; these are
    /// the model's assumption). The simulator's route is the two path segments after `_apis`.
    pub fn default_route_costs() -> HashMap<String, f64> {
        [
            // Advanced Security alerts: per repository and organization-wide.
            ("alert/repositories", 5.0),
            ("reporting/summary", 5.0),
            // Large lists: every repository, policy or definition of a project or organization.
            ("git/repositories", 3.0),
            ("policy/configurations", 3.0),
            ("build/definitions", 3.0),
            ("management/enablement", 3.0),
            // Queries over several resources at once.
            ("pipelines/checks", 2.0),
            ("build/authorizedresources", 2.0),
        ]
        .into_iter()
        .map(|(route, cost)| (route.to_string(), cost))
        .collect()
    }

    pub fn cost_of(&self, route: &str) -> f64 {
        self.route_costs.get(route).copied().unwrap_or(self.cost)
    }
}

/// What the limit decides for one request.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Serve it; headers to add (empty while usage is low).
    Serve(Vec<(&'static str, String)>),
    /// Serve it after a delay, with these headers.
    Delay(Duration, Vec<(&'static str, String)>),
    /// Refuse it with 429; Retry-After seconds and headers.
    Block(u64, Vec<(&'static str, String)>),
}

/// What one (identity, organization) spent when, oldest first.
type Spending = VecDeque<(Instant, f64)>;

/// Usage per (identity, organization) over the sliding window.
#[derive(Debug, Default)]
pub struct Usage {
    spent: Mutex<HashMap<(String, String), Spending>>,
    pub delayed: std::sync::atomic::AtomicU64,
    pub blocked: std::sync::atomic::AtomicU64,
}

impl Usage {
    pub fn charge(
        &self,
        limit: &ConsumptionLimit,
        identity: &str,
        organization: &str,
        route: &str,
    ) -> Verdict {
        use std::sync::atomic::Ordering::Relaxed;
        let now = Instant::now();
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let entries = spent
            .entry((identity.to_string(), organization.to_string()))
            .or_default();
        while entries
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= limit.window)
        {
            entries.pop_front();
        }
        let used: f64 = entries.iter().map(|(_, c)| c).sum();
        // When usage returns to zero if nothing more is spent (this request included when it
        // is charged), in whole seconds rounded up.
        let reset_epoch = |entries: &Spending| {
            let reset = entries
                .back()
                .map_or(now, |(t, _)| *t + limit.window)
                .saturating_duration_since(now);
            (chrono::Utc::now().timestamp_millis() as f64 / 1000.0 + reset.as_secs_f64()).ceil()
                as i64
        };
        let headers = |remaining: f64, delay: Option<f64>, reset_epoch: i64| {
            let mut h = vec![
                ("X-RateLimit-Resource", "Core/TSTU (simulated)".to_string()),
                ("X-RateLimit-Limit", format!("{}", limit.budget.round())),
                (
                    "X-RateLimit-Remaining",
                    format!("{}", remaining.max(0.0).floor()),
                ),
                ("X-RateLimit-Reset", reset_epoch.to_string()),
            ];
            if let Some(d) = delay {
                h.push(("X-RateLimit-Delay", format!("{d:.3}")));
            }
            h
        };
        if used >= limit.budget * limit.block_factor {
            // Blocked until enough of the window has passed to fall back under the budget.
            let mut excess = used - limit.budget;
            let mut wait = Duration::ZERO;
            for (t, c) in entries.iter() {
                wait = (*t + limit.window).saturating_duration_since(now);
                excess -= c;
                if excess < 0.0 {
                    break;
                }
            }
            self.blocked.fetch_add(1, Relaxed);
            let mut h = headers(0.0, None, reset_epoch(entries));
            let retry_after = wait.as_secs().max(1);
            h.push(("Retry-After", retry_after.to_string()));
            return Verdict::Block(retry_after, h);
        }
        let cost = limit.cost_of(route);
        entries.push_back((now, cost));
        let after = used + cost;
        let reset_epoch = reset_epoch(entries);
        if after > limit.budget {
            self.delayed.fetch_add(1, Relaxed);
            let delay = Some(limit.delay.as_secs_f64());
            Verdict::Delay(limit.delay, headers(0.0, delay, reset_epoch))
        } else if after > limit.budget * limit.header_threshold {
            // Like the service, say how much is left only near the threshold.
            Verdict::Serve(headers(limit.budget - after, None, reset_epoch))
        } else {
            Verdict::Serve(Vec::new())
        }
    }
}

/// Faults injected at a rate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Faults {
    /// Share of requests (0..1) that fail once: 500, 503, a reset connection or malformed JSON.
    pub rate: f64,
    /// Share of requests whose body is sent slowly (it still arrives whole).
    pub slow_rate: f64,
    /// Organizations whose paged lists return the same continuation token forever.
    pub repeat_token_organizations: Vec<String>,
    /// Organizations that answer every request with 500, to test permanent failure.
    pub broken_organizations: Vec<String>,
    /// `organization/route` pairs (e.g. `sim-org-02/distributedtask/pools`) that answer every
    /// request with 500: the organization fails late, after its projects were read.
    pub broken_routes: Vec<String>,
    /// Routes (e.g. `serviceendpoint/endpoints`) that answer 403, as for an identity without
    /// the scope to read them.
    pub forbidden_routes: Vec<String>,
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    InternalError,
    Unavailable,
    ResetConnection,
    MalformedJson,
    SlowBody,
}

/// Draws faults deterministically from a seed (the n-th request draw is always the same).
#[derive(Debug)]
pub struct FaultDraw {
    seed: u64,
    counter: std::sync::atomic::AtomicU64,
    pub injected: std::sync::atomic::AtomicU64,
}

impl FaultDraw {
    pub fn new(seed: u64) -> Self {
        FaultDraw {
            seed,
            counter: Default::default(),
            injected: Default::default(),
        }
    }

    pub fn draw(&self, faults: &Faults) -> Option<Fault> {
        use std::sync::atomic::Ordering::Relaxed;
        if faults.rate <= 0.0 && faults.slow_rate <= 0.0 {
            return None;
        }
        let n = self.counter.fetch_add(1, Relaxed);
        let mut rng = SplitMix64::new(self.seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let roll = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let fault = if roll < faults.rate {
            Some(match rng.below(4) {
                0 => Fault::InternalError,
                1 => Fault::Unavailable,
                2 => Fault::ResetConnection,
                _ => Fault::MalformedJson,
            })
        } else if roll < faults.rate + faults.slow_rate {
            Some(Fault::SlowBody)
        } else {
            None
        };
        if fault.is_some_and(|f| f != Fault::SlowBody) {
            self.injected.fetch_add(1, Relaxed);
        }
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> ConsumptionLimit {
        ConsumptionLimit {
            budget: 10.0,
            window: Duration::from_secs(60),
            cost: 1.0,
            route_costs: HashMap::new(),
            block_factor: 1.5,
            delay: Duration::from_millis(10),
            header_threshold: 0.8,
        }
    }

    fn header<'a>(verdict: &'a Verdict, name: &str) -> Option<&'a str> {
        let headers = match verdict {
            Verdict::Serve(h) | Verdict::Delay(_, h) | Verdict::Block(_, h) => h,
        };
        headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn headers_then_delays_then_blocks() {
        let usage = Usage::default();
        let l = limit();
        let verdicts: Vec<Verdict> = (0..20)
            .map(|_| usage.charge(&l, "me", "org", "x"))
            .collect();
        assert!(matches!(&verdicts[0], Verdict::Serve(h) if h.is_empty()));
        // Silent up to 80% of the budget (8 of 10 TSTU), then how much is left.
        assert!(matches!(&verdicts[7], Verdict::Serve(h) if h.is_empty()));
        assert_eq!(header(&verdicts[8], "X-RateLimit-Remaining"), Some("1"));
        assert!(matches!(&verdicts[10], Verdict::Delay(..)));
        assert!(matches!(&verdicts[15], Verdict::Block(secs, _) if *secs >= 1));
        // Another organization has its own budget.
        assert!(matches!(usage.charge(&l, "me", "other", "x"), Verdict::Serve(h) if h.is_empty()));
    }

    #[test]
    fn the_header_threshold_is_configurable() {
        let usage = Usage::default();
        let l = ConsumptionLimit {
            header_threshold: 0.5,
            ..limit()
        };
        let verdicts: Vec<Verdict> = (0..6).map(|_| usage.charge(&l, "me", "org", "x")).collect();
        assert!(matches!(&verdicts[4], Verdict::Serve(h) if h.is_empty()));
        assert_eq!(header(&verdicts[5], "X-RateLimit-Remaining"), Some("4"));
    }

    #[test]
    fn routes_cost_their_own_price_and_reset_counts_the_request_just_charged() {
        let usage = Usage::default();
        let l = ConsumptionLimit {
            route_costs: ConsumptionLimit::default_route_costs(),
            ..limit()
        };
        assert_eq!(l.cost_of("alert/repositories"), 5.0);
        assert_eq!(l.cost_of("distributedtask/queues"), 1.0);
        let start = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        // 5 + 3 = 8 TSTU: silent; one more GET passes 80%.
        assert!(
            matches!(usage.charge(&l, "me", "org", "alert/repositories"), Verdict::Serve(h) if h.is_empty())
        );
        assert!(
            matches!(usage.charge(&l, "me", "org", "git/repositories"), Verdict::Serve(h) if h.is_empty())
        );
        let verdict = usage.charge(&l, "me", "org", "projects");
        assert_eq!(header(&verdict, "X-RateLimit-Remaining"), Some("1"));
        let reset: f64 = header(&verdict, "X-RateLimit-Reset")
            .unwrap()
            .parse()
            .unwrap();
        let end = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        // Usage returns to zero one window after the request just charged, rounded up.
        assert!(
            reset >= start + 60.0 && reset <= (end + 60.0).ceil(),
            "{reset}"
        );
        assert!(matches!(
            usage.charge(&l, "me", "org", "build/definitions"),
            Verdict::Delay(..)
        ));
    }

    #[test]
    fn faults_come_at_about_their_rate() {
        let draw = FaultDraw::new(7);
        let faults = Faults {
            rate: 0.05,
            ..Default::default()
        };
        let n = (0..10_000).filter(|_| draw.draw(&faults).is_some()).count();
        assert!((400..600).contains(&n), "{n}");
    }
}
