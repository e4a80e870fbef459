//! Per-endpoint request statistics, kept for the run manifest so each run shows what it cost:
//! calls, retries, throttling (blocked = 429, delayed = server-reported delay), bytes, latency.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// What happened to one HTTP attempt, for the counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attempt {
    pub bytes: u64,
    pub latency: Duration,
    /// The attempt failed (any error, retried or not).
    pub failed: bool,
    /// It is a retry of an earlier attempt.
    pub retry: bool,
    /// The server blocked it (429).
    pub blocked: bool,
    /// Seconds the server says it delayed the request (`X-RateLimit-Delay`).
    pub delayed_seconds: f64,
}

/// Counters for one endpoint (a URL template such as `git/repositories`).
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EndpointStats {
    /// HTTP requests sent, retries included.
    pub calls: u64,
    pub retries: u64,
    /// Attempts that failed (and were retried, or gave up).
    pub errors: u64,
    /// 429 answers (TF400733: blocked by the consumption limit).
    pub blocked: u64,
    /// Sum of X-RateLimit-Delay the server reported.
    pub delayed_seconds: f64,
    pub bytes: u64,
    pub latency_ms_p50: u64,
    pub latency_ms_p95: u64,
    pub latency_ms_max: u64,
    #[serde(skip)]
    latencies_ms: Vec<u64>,
    /// Percentiles of requests made elsewhere (the shards `finalize` assembled), known only as
    /// each shard's: the largest of them is reported when it is larger.
    #[serde(skip)]
    absorbed_ms: [u64; 3],
}

/// Thread-safe map of endpoint → counters.
#[derive(Debug, Default)]
pub struct ApiStats {
    endpoints: Mutex<BTreeMap<String, EndpointStats>>,
}

impl ApiStats {
    pub fn record(&self, endpoint: &str, attempt: Attempt) {
        // A poisoned lock only means another thread panicked mid-update; the counters stay usable.
        let mut map = self
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map.entry(endpoint.to_string()).or_default();
        entry.calls += 1;
        entry.retries += u64::from(attempt.retry);
        entry.errors += u64::from(attempt.failed);
        entry.blocked += u64::from(attempt.blocked);
        entry.delayed_seconds += attempt.delayed_seconds;
        entry.bytes += attempt.bytes;
        entry.latencies_ms.push(attempt.latency.as_millis() as u64);
    }

    /// The counters, with latency percentiles computed.
    pub fn snapshot(&self) -> BTreeMap<String, EndpointStats> {
        let map = self
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.iter()
            .map(|(name, stats)| {
                let mut stats = stats.clone();
                let mut sorted = std::mem::take(&mut stats.latencies_ms);
                sorted.sort_unstable();
                let at = |q: f64| {
                    sorted
                        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
                        .copied()
                        .unwrap_or(0)
                };
                let [p50, p95, max] = stats.absorbed_ms;
                stats.latency_ms_p50 = at(0.5).max(p50);
                stats.latency_ms_p95 = at(0.95).max(p95);
                stats.latency_ms_max = sorted.last().copied().unwrap_or(0).max(max);
                (name.clone(), stats)
            })
            .collect()
    }

    /// Adds the statistics of requests another process made (a shard's manifest): counters
    /// summed; of the latency percentiles only each shard's is known, so the largest is kept.
    pub fn absorb(&self, endpoints: &BTreeMap<String, EndpointStats>) {
        let mut map = self
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (name, s) in endpoints {
            let entry = map.entry(name.clone()).or_default();
            entry.calls = entry.calls.saturating_add(s.calls);
            entry.retries = entry.retries.saturating_add(s.retries);
            entry.errors = entry.errors.saturating_add(s.errors);
            entry.blocked = entry.blocked.saturating_add(s.blocked);
            entry.delayed_seconds += s.delayed_seconds;
            entry.bytes = entry.bytes.saturating_add(s.bytes);
            let [p50, p95, max] = &mut entry.absorbed_ms;
            *p50 = (*p50).max(s.latency_ms_p50);
            *p95 = (*p95).max(s.latency_ms_p95);
            *max = (*max).max(s.latency_ms_max);
        }
    }

    /// Totals over every endpoint.
    pub fn totals(&self) -> EndpointStats {
        let mut total = EndpointStats::default();
        for s in self.snapshot().values() {
            total.calls += s.calls;
            total.retries += s.retries;
            total.errors += s.errors;
            total.blocked += s.blocked;
            total.delayed_seconds += s.delayed_seconds;
            total.bytes += s.bytes;
            total.latency_ms_max = total.latency_ms_max.max(s.latency_ms_max);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_totals() {
        let stats = ApiStats::default();
        for ms in 1..=100 {
            stats.record(
                "a",
                Attempt {
                    latency: Duration::from_millis(ms),
                    retry: ms > 98,
                    ..Default::default()
                },
            );
        }
        stats.record(
            "b",
            Attempt {
                blocked: true,
                failed: true,
                ..Default::default()
            },
        );
        let snap = stats.snapshot();
        assert_eq!(snap["a"].latency_ms_p50, 51);
        assert_eq!(snap["a"].latency_ms_p95, 95);
        assert_eq!(snap["a"].latency_ms_max, 100);
        let total = stats.totals();
        assert_eq!(
            (total.calls, total.retries, total.blocked, total.errors),
            (101, 2, 1, 1)
        );
    }

    /// `finalize` adds the shards' statistics: counters summed, each percentile the largest.
    #[test]
    fn absorbed_statistics_add_up() {
        let stats = ApiStats::default();
        stats.record(
            "a",
            Attempt {
                latency: Duration::from_millis(10),
                ..Default::default()
            },
        );
        let shard = |calls, p95| {
            let mut s = EndpointStats {
                calls,
                errors: 1,
                latency_ms_p50: 5,
                latency_ms_p95: p95,
                latency_ms_max: p95,
                ..Default::default()
            };
            s.bytes = calls * 100;
            BTreeMap::from([("a".to_string(), s)])
        };
        stats.absorb(&shard(3, 40));
        stats.absorb(&shard(4, 30));
        let a = &stats.snapshot()["a"];
        assert_eq!((a.calls, a.errors, a.bytes), (8, 2, 700));
        assert_eq!(
            (a.latency_ms_p50, a.latency_ms_p95, a.latency_ms_max),
            (10, 40, 40)
        );
        assert_eq!(stats.totals().calls, 8);
    }
}
