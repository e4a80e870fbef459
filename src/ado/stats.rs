//! Per-endpoint request statistics, kept for the run manifest so each run shows its API cost.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Counters for one endpoint (a URL template such as `git/repositories`).
#[derive(Debug, Default, Clone, Serialize)]
pub struct EndpointStats {
    pub calls: u64,
    pub errors: u64,
    pub bytes: u64,
    pub total_latency_ms: u64,
    pub max_latency_ms: u64,
}

/// Thread-safe map of endpoint → counters.
#[derive(Debug, Default)]
pub struct ApiStats {
    endpoints: Mutex<BTreeMap<String, EndpointStats>>,
}

impl ApiStats {
    pub fn record(&self, endpoint: &str, bytes: u64, latency: Duration, failed: bool) {
        // A poisoned lock only means another thread panicked mid-update; the counters stay usable.
        let mut map = self
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map.entry(endpoint.to_string()).or_default();
        let ms = latency.as_millis() as u64;
        entry.calls += 1;
        entry.bytes += bytes;
        entry.total_latency_ms += ms;
        entry.max_latency_ms = entry.max_latency_ms.max(ms);
        if failed {
            entry.errors += 1;
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, EndpointStats> {
        self.endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}
