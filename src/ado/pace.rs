//! How fast to go: retry backoff, and the per-(identity, organization) pace that adapts to what
//! Azure DevOps says about its consumption limit.
//!
//! The service reports its view in headers (../shared/ado-api/README.md §2): `Retry-After`
//! pauses the key until then (even on a 200); `X-RateLimit-Delay` or a low
//! `X-RateLimit-Remaining` doubles the spacing between the key's requests; clean answers shrink
//! it again slowly. This sits on top of the configured governor rate, never above it.

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

/// Spacing added when the service says it is delaying us, and its bounds.
const MIN_SPACING: Duration = Duration::from_millis(50);
const MAX_SPACING: Duration = Duration::from_secs(10);
/// Below this share of X-RateLimit-Limit left, slow down before delays start.
const LOW_REMAINING: f64 = 0.2;

#[derive(Debug, Default)]
struct KeyPace {
    pause_until: Option<Instant>,
    spacing: Duration,
    resource: Option<String>,
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
    /// Waits as long as the key's pause and spacing ask.
    pub async fn wait(&self, key: &Key) {
        let wait = {
            let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            keys.get(key).map_or(Duration::ZERO, |k| {
                let pause = k.pause_until.map_or(Duration::ZERO, |until| {
                    until.saturating_duration_since(Instant::now())
                });
                pause + k.spacing
            })
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Adapts the key's pace to an answer; returns the delay the server reported, in seconds.
    pub fn observe(&self, key: &Key, headers: &HeaderMap, status: StatusCode) -> f64 {
        let retry_after = header_f64(headers, "retry-after");
        let delay = header_f64(headers, "x-ratelimit-delay").unwrap_or(0.0);
        let remaining = header_f64(headers, "x-ratelimit-remaining");
        let limit = header_f64(headers, "x-ratelimit-limit");
        let resource = headers
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok())
            .map(crate::ado::error::sanitize_message);
        let low =
            matches!((remaining, limit), (Some(r), Some(l)) if l > 0.0 && r / l < LOW_REMAINING);
        let throttled = status == StatusCode::TOO_MANY_REQUESTS || delay > 0.0 || low;

        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let pace = keys.entry(key.clone()).or_default();
        if let Some(seconds) = retry_after {
            let until = Instant::now() + Duration::from_secs_f64(seconds.min(3600.0));
            pace.pause_until = Some(pace.pause_until.map_or(until, |u| u.max(until)));
        }
        if throttled {
            pace.spacing = (pace.spacing * 2).clamp(MIN_SPACING, MAX_SPACING);
        } else if !pace.spacing.is_zero() {
            // Recover slowly: an eighth less per clean answer.
            pace.spacing = pace.spacing.mul_f64(0.875);
            if pace.spacing < Duration::from_millis(5) {
                pace.spacing = Duration::ZERO;
            }
        }
        if let Some(resource) = resource
            && pace.resource.as_deref() != Some(resource.as_str())
        {
            tracing::info!(
                organization = %key.1,
                resource = %resource,
                remaining = remaining.unwrap_or(-1.0),
                delay_s = delay,
                "Azure DevOps reports consumption-limit pressure; slowing down"
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

    #[test]
    fn delay_headers_slow_down_and_clean_answers_recover() {
        let pace = Pace::default();
        let mut delayed = HeaderMap::new();
        delayed.insert("x-ratelimit-delay", HeaderValue::from_static("0.5"));
        delayed.insert(
            "x-ratelimit-resource",
            HeaderValue::from_static("ATCore/TSTU"),
        );
        assert_eq!(pace.observe(&key(), &delayed, StatusCode::OK), 0.5);
        pace.observe(&key(), &delayed, StatusCode::OK);
        let spacing = || pace.keys.lock().unwrap()[&key()].spacing;
        assert_eq!(spacing(), MIN_SPACING * 2);
        pace.observe(&key(), &HeaderMap::new(), StatusCode::OK);
        assert!(spacing() < MIN_SPACING * 2);
        for _ in 0..100 {
            pace.observe(&key(), &HeaderMap::new(), StatusCode::OK);
        }
        assert_eq!(spacing(), Duration::ZERO);
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

    #[test]
    fn low_remaining_budget_slows_down_before_delays_start() {
        let pace = Pace::default();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("200"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("10"));
        pace.observe(&key(), &headers, StatusCode::OK);
        assert_eq!(pace.keys.lock().unwrap()[&key()].spacing, MIN_SPACING);
    }
}
