//! How fast to go: retry backoff, and the per-(identity, organization) pace that adapts to what
//! Azure DevOps says about its consumption limit.
//!
//! The service reports its view in headers (../shared/ado-api/README.md §2); [`Pace::observe`]
//! turns them into a minimum interval between the key's request starts, which [`Pace::wait`]
//! enforces across concurrent requests. This sits under the configured governor rate, never
//! above it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

type Key = (String, String);

/// Retries: how many attempts, and how long to wait between them.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl RetryPolicy {
    /// Exponential backoff with jitter: about `base * 2^(attempt-1)`, between half and all of it.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let full = exp.min(self.cap);
        let half = full / 2;
        half + full.mul_f64(fastrand::f64() * 0.5)
    }
}

/// Bounds of the interval between a key's request starts after a delay or a 429.
const MIN_INTERVAL: Duration = Duration::from_millis(50);
const MAX_INTERVAL: Duration = Duration::from_secs(2);
/// Share of the budget the client lets itself spend in any window.
const BUDGET_SHARE: f64 = 0.95;
/// How long the client remembers its own requests before it knows the window (Azure DevOps:
/// five minutes).
const DEFAULT_HORIZON: Duration = Duration::from_secs(15 * 60);

/// The service's budget, learnt from its headers: `X-RateLimit-Limit` TSTUs per window, the
/// window from `X-RateLimit-Reset` (usage returns to zero one window after the last request),
/// and the TSTU cost of our requests from how much of the limit our own requests used.
#[derive(Debug, Clone, Copy)]
struct Budget {
    limit: f64,
    window: Duration,
    cost: f64,
}

#[derive(Debug, Default)]
struct KeyPace {
    /// Nothing starts before this (Retry-After).
    pause_until: Option<Instant>,
    /// Minimum time between two request starts, raised by delays and 429s, decaying after.
    interval: Duration,
    /// Start times of this key's requests inside the window (or the default horizon).
    sent: std::collections::VecDeque<Instant>,
    budget: Option<Budget>,
    resource: Option<String>,
}

impl KeyPace {
    fn horizon(&self) -> Duration {
        self.budget.map_or(DEFAULT_HORIZON, |b| b.window)
    }

    fn forget_before(&mut self, time: Instant) {
        let horizon = self.horizon();
        while self
            .sent
            .front()
            .is_some_and(|t| time.saturating_duration_since(*t) >= horizon)
        {
            self.sent.pop_front();
        }
    }
}

/// The adaptive pace of every key.
#[derive(Debug, Default)]
pub struct Pace {
    keys: Mutex<HashMap<Key, KeyPace>>,
}

fn header_f64(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}

impl Pace {
    /// Reserves the key's next start time and waits for it: after any pause, `interval` after
    /// the previous start, and, once the budget is known, when the key's own requests in the
    /// sliding window leave room for one more. Call it only for a request about to be sent.
    pub async fn wait(&self, key: &Key) {
        let start = {
            let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            let pace = keys.entry(key.clone()).or_default();
            let now = Instant::now();
            let mut start = pace.pause_until.map_or(now, |until| until.max(now));
            if let Some(last) = pace.sent.back() {
                start = start.max(*last + pace.interval);
            }
            pace.forget_before(start);
            if let Some(budget) = pace.budget {
                let allowed = ((budget.limit * BUDGET_SHARE) / budget.cost)
                    .floor()
                    .max(1.0) as usize;
                if pace.sent.len() >= allowed {
                    // Wait until enough of our own requests leave the window.
                    let oldest_to_expire = pace.sent[pace.sent.len() - allowed];
                    start = start.max(oldest_to_expire + budget.window);
                    pace.forget_before(start);
                }
            }
            pace.sent.push_back(start);
            start
        };
        let wait = start.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Adapts the key's pace to an answer; returns the delay the server reported, in seconds.
    ///
    /// - `Retry-After` pauses the key until then, whatever the status.
    /// - A delay (`X-RateLimit-Delay`) or a 429 doubles the interval between starts; clean
    ///   answers halve it.
    /// - `X-RateLimit-Limit`, `-Remaining` and `-Reset` teach the budget (see [`Budget`]).
    pub fn observe(&self, key: &Key, headers: &HeaderMap, status: StatusCode) -> f64 {
        let retry_after = header_f64(headers, "retry-after");
        let delay = header_f64(headers, "x-ratelimit-delay").unwrap_or(0.0);
        let remaining = header_f64(headers, "x-ratelimit-remaining");
        let limit = header_f64(headers, "x-ratelimit-limit").filter(|l| *l > 0.0);
        let now_epoch = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        let reset_in =
            header_f64(headers, "x-ratelimit-reset").map(|epoch| (epoch - now_epoch).max(1.0));
        let resource = headers
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok())
            .map(crate::ado::error::sanitize_message);

        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let pace = keys.entry(key.clone()).or_default();
        let now = Instant::now();
        if let Some(seconds) = retry_after {
            let until = now + Duration::from_secs_f64(seconds.min(3600.0));
            pace.pause_until = Some(pace.pause_until.map_or(until, |u| u.max(until)));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || delay > 0.0 {
            pace.interval = (pace.interval * 2).clamp(MIN_INTERVAL, MAX_INTERVAL);
        } else {
            pace.interval /= 2;
            if pace.interval < Duration::from_millis(1) {
                pace.interval = Duration::ZERO;
            }
        }
        if let (Some(limit), Some(remaining), Some(reset_in)) = (limit, remaining, reset_in) {
            // An answer that took long (or was delayed) shows less than a window to the reset,
            // and Reset comes in whole seconds: keep the longest seen, which errs on the slow
            // side by under a second (0.3% of Azure DevOps' five-minute window).
            let window = Duration::from_secs_f64(reset_in.min(3600.0));
            let window = pace.budget.map_or(window, |b| b.window.max(window));
            let horizon_start = now.checked_sub(window).unwrap_or(now);
            let ours = pace
                .sent
                .iter()
                .filter(|t| **t > horizon_start && **t <= now)
                .count();
            let used = (limit - remaining).max(0.0);
            // Requests still on their way are ours but not yet in `used`, so the ratio can only
            // underestimate; never assume less than 1 TSTU a request (slower, never over budget).
            let cost = if ours > 0 {
                (used / ours as f64).clamp(1.0, 100.0)
            } else {
                1.0
            };
            pace.budget = Some(Budget {
                limit,
                window,
                cost,
            });
        }
        if let Some(resource) = resource
            && pace.resource.as_deref() != Some(resource.as_str())
        {
            tracing::info!(
                organization = %key.1,
                resource = %resource,
                remaining = remaining.unwrap_or(-1.0),
                delay_s = delay,
                "Azure DevOps reports consumption-limit pressure; pacing requests to its budget"
            );
            pace.resource = Some(resource);
        }
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn key() -> Key {
        ("id".into(), "org".into())
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let policy = RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        for attempt in 1..=8 {
            let full =
                (Duration::from_millis(100) * 2u32.pow(attempt - 1)).min(Duration::from_secs(1));
            let d = policy.backoff(attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }

    fn interval(pace: &Pace) -> Duration {
        pace.keys.lock().unwrap()[&key()].interval
    }

    #[test]
    fn delay_headers_slow_down_and_clean_answers_recover() {
        let pace = Pace::default();
        let mut delayed = HeaderMap::new();
        delayed.insert("x-ratelimit-delay", HeaderValue::from_static("0.5"));
        assert_eq!(pace.observe(&key(), &delayed, StatusCode::OK), 0.5);
        pace.observe(&key(), &delayed, StatusCode::OK);
        assert_eq!(interval(&pace), MIN_INTERVAL * 2);
        pace.observe(&key(), &HeaderMap::new(), StatusCode::OK);
        assert!(interval(&pace) < MIN_INTERVAL * 2);
        for _ in 0..100 {
            pace.observe(&key(), &HeaderMap::new(), StatusCode::OK);
        }
        assert_eq!(interval(&pace), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_known_budget_holds_requests_until_our_own_leave_the_window() {
        let pace = Pace::default();
        // Ten requests go out at once (nothing known yet)...
        for _ in 0..10 {
            pace.wait(&key()).await;
        }
        // ...then the server says: 12 TSTU per window, 2 left, usage back to zero in 1 s.
        let reset = (chrono::Utc::now().timestamp() + 1).to_string();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("12"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("2"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_str(&reset).unwrap());
        pace.observe(&key(), &headers, StatusCode::OK);
        let budget = pace.keys.lock().unwrap()[&key()].budget.unwrap();
        assert!((budget.cost - 1.0).abs() < 1e-9, "{budget:?}");
        // 95% of 12 = 11 requests per window: one more now, the next when the first ones expire.
        let started = Instant::now();
        pace.wait(&key()).await;
        assert!(started.elapsed() < Duration::from_millis(100));
        pace.wait(&key()).await;
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn concurrent_requests_of_a_key_are_spread_by_the_interval() {
        let pace = std::sync::Arc::new(Pace::default());
        pace.keys.lock().unwrap().entry(key()).or_default().interval = Duration::from_millis(40);
        // (the interval spreads starts; it is not the budget)
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let pace = pace.clone();
            tasks.push(tokio::spawn(async move {
                pace.wait(&key()).await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        assert!(times[4].duration_since(started) >= Duration::from_millis(160));
    }

    #[test]
    fn retry_after_pauses_the_key_even_on_success() {
        let pace = Pace::default();
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        pace.observe(&key(), &headers, StatusCode::OK);
        let until = pace.keys.lock().unwrap()[&key()].pause_until.unwrap();
        assert!(until > Instant::now() + Duration::from_millis(1500));
    }
}
