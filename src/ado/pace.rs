//! How fast to go: retry backoff, and the per-(identity, organization) pace that adapts to what
//! Azure DevOps says about its consumption limit.
//!
//! The service reports its view in headers (../shared/ado-api/README.md §2); [`Pace::observe`]
//! turns them into a minimum interval between the key's request starts, which [`Pace::wait`]
//! enforces across concurrent requests. This sits under the configured governor rate, never
//! above it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::route_costs::RouteCosts;

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
/// A request not answered after this long (the client's timeout is 120 s) failed without an
/// answer to observe: it no longer stands for the oldest request in flight.
const UNANSWERED: Duration = Duration::from_secs(150);
/// Bounds of a believable window, whatever `X-RateLimit-Reset` says.
const WINDOW_BOUNDS: (f64, f64) = (1.0, 3600.0);

/// The service's budget, learnt from its headers: `X-RateLimit-Limit` TSTUs per window and the
/// window from `X-RateLimit-Reset`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    limit: f64,
    window: Duration,
}

/// The service's last word on our usage: `used` TSTUs (limit − remaining) counting our
/// requests started up to `basis` (the answered request's start), of which `counted` were
/// still in the window then. Between two words the client extrapolates: each counted request
/// carries its share of `used` (in proportion to its endpoint's learnt cost) and leaves with its
/// start time plus the window, each later request adds its endpoint's cost.
#[derive(Debug, Clone, Copy)]
struct Report {
    used: f64,
    basis: Instant,
    at: Instant,
    counted: usize,
}

/// A request of this key, as the pace remembers it.
#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Instant,
    /// Its endpoint's id in [`KeyPace::routes`].
    endpoint: usize,
    /// Its share of the last report's usage, if that report counted it.
    share: f64,
}

#[derive(Debug, Default)]
struct KeyPace {
    /// Nothing starts before this (Retry-After).
    pause_until: Option<Instant>,
    /// Minimum time between two request starts, raised by delays and 429s, decaying after.
    interval: Duration,
    /// This key's requests started inside the window (or the default horizon), in order.
    sent: VecDeque<Sent>,
    /// Start times of requests not answered yet, oldest first: answers come back roughly in
    /// order, so the oldest stands for the one being answered.
    unanswered: VecDeque<Instant>,
    budget: Option<Budget>,
    report: Option<Report>,
    /// Average TSTU cost of our requests over recent reports, for endpoints no report has
    /// counted yet.
    cost: f64,
    /// The cost of each endpoint, learnt from the reports.
    routes: RouteCosts,
    /// The lowest usage the service reported: it sends no headers below some threshold under
    /// it, so an answer without headers says usage is at most this.
    lowest_reported: Option<f64>,
    /// What `X-RateLimit-Reset` has told about the window so far, in seconds: it is at least
    /// `lower` and at most `upper` (see [`KeyPace::learn_window`]).
    window_lower: f64,
    window_upper: f64,
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
            .is_some_and(|s| time.saturating_duration_since(s.at) >= horizon)
        {
            self.sent.pop_front();
        }
    }

    /// `X-RateLimit-Reset` is the epoch second, rounded up, when usage returns to zero if
    /// nothing more is spent: the answered request's charge plus the window. That charge lies
    /// between the request's start (`basis`) and its answer (`now`), so each answer bounds the
    /// window: above by `reset − basis`, below by `reset − 1 s − now`. Taking the tightest bounds
    /// over many answers (whose rounding falls differently) narrows the window to about a
    /// request's latency; the upper bound is used, as a longer window only slows the crawl.
    fn learn_window(&mut self, reset_in: f64, since_basis: f64) -> Duration {
        let upper = reset_in + since_basis;
        let lower = reset_in - 1.0;
        if self.budget.is_none() {
            (self.window_lower, self.window_upper) = (lower, upper);
        } else {
            self.window_lower = self.window_lower.max(lower);
            self.window_upper = self.window_upper.min(upper);
        }
        // Bounds that cross (a clock step, a server that rounds otherwise) resolve to the
        // longer, slower reading.
        let window = self
            .window_upper
            .max(self.window_lower)
            .clamp(WINDOW_BOUNDS.0, WINDOW_BOUNDS.1);
        Duration::from_secs_f64(window)
    }

    /// This key's requests still in the service's window at `time`.
    fn in_window(&self, time: Instant) -> impl Iterator<Item = &Sent> {
        let horizon = self.horizon();
        self.sent
            .iter()
            .skip_while(move |s| time.saturating_duration_since(s.at) >= horizon)
    }

    /// TSTUs the service counts at `time` for this key's requests started up to `until` (all,
    /// if `None`), if nothing else is sent: the last report's requests still in the window,
    /// each at its share of the report, plus ours started after it at their endpoints' costs.
    fn projected_usage(&self, time: Instant, until: Option<Instant>) -> f64 {
        let Some(report) = self.report else {
            return 0.0;
        };
        let ours: f64 = self
            .in_window(time)
            .take_while(|s| until.is_none_or(|until| s.at <= until))
            .map(|s| self.weight(s))
            .sum();
        // Usage that is not ours (another tool with the same identity) lasts at most a window.
        let others = if report.counted == 0 && time < report.at + self.horizon() {
            report.used
        } else {
            0.0
        };
        ours + others
    }

    /// What a request is estimated to cost.
    fn weight(&self, sent: &Sent) -> f64 {
        match self.report {
            Some(report) if sent.at <= report.basis => sent.share,
            _ => self.routes.cost(sent.endpoint, self.cost),
        }
    }

    /// The first `n` remembered requests, counted per endpoint id.
    fn counts_of_first(&self, n: usize) -> Vec<f64> {
        let mut counts = vec![0.0; self.routes.len()];
        for sent in self.sent.iter().take(n) {
            if let Some(count) = counts.get_mut(sent.endpoint) {
                *count += 1.0;
            }
        }
        counts
    }

    /// How many remembered requests started up to `basis`.
    fn started_until(&self, basis: Instant) -> usize {
        self.sent.iter().take_while(|s| s.at <= basis).count()
    }

    /// Takes the service's word on usage counting our requests started up to `basis` (those
    /// started at the same instant as the answered one included: the service charges a request
    /// when it starts work on it, before it answers). A `bound` is not a measurement: it does
    /// not teach the costs.
    fn report(&mut self, used: f64, basis: Instant, now: Instant, bound: bool) {
        let counted = self.started_until(basis);
        let counts = self.counts_of_first(counted);
        if counted > 0 && !bound {
            self.routes.learn(&counts, used);
            let cost = (used / counted as f64).max(1e-3);
            // About the last fifty reports (half a window when every answer carries them).
            self.cost = match self.report {
                None => cost,
                Some(_) => self.cost + (cost - self.cost) * 0.02,
            };
        }
        // Share the usage among the counted requests in proportion to their estimated costs.
        let estimated: f64 = self
            .sent
            .iter()
            .take(counted)
            .map(|s| self.routes.cost(s.endpoint, self.cost))
            .sum();
        let scale = if estimated > 0.0 {
            used / estimated
        } else {
            0.0
        };
        let (routes, fallback) = (&self.routes, self.cost);
        for sent in self.sent.iter_mut().take(counted) {
            sent.share = routes.cost(sent.endpoint, fallback) * scale;
        }
        self.report = Some(Report {
            used,
            basis,
            at: now,
            counted,
        });
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

fn epoch_now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

impl Pace {
    /// Reserves the key's next start time and waits for it: after any pause, `interval` after
    /// the previous start, and, once the budget is known, when the key's usage (the service's
    /// last report, extrapolated with our own requests) leaves room for one more under 95% of
    /// the budget. Call it only for a request about to be sent.
    pub async fn wait(&self, key: &Key, endpoint: &str) {
        let start = self.reserve(key, endpoint, Instant::now());
        let wait = start.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// The start time of a request asked for at `now` (the clock is a parameter so that tests
    /// can drive it).
    fn reserve(&self, key: &Key, endpoint: &str, now: Instant) -> Instant {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let pace = keys.entry(key.clone()).or_default();
        let endpoint = pace.routes.id(endpoint);
        let mut start = pace.pause_until.map_or(now, |until| until.max(now));
        if let Some(last) = pace.sent.back() {
            start = start.max(last.at + pace.interval);
        }
        // Forget only what the service has forgotten now: a report may still come that counts
        // requests which will have left the window by `start`.
        pace.forget_before(now);
        if let Some(budget) = pace.budget
            && pace.report.is_some()
        {
            let usage = pace.projected_usage(start, None);
            let cost = pace.routes.cost(endpoint, pace.cost);
            let room = budget.limit * BUDGET_SHARE - cost;
            if usage > room
                && let Some(mut leaving) = pace.in_window(start).next().map(|s| s.at)
            {
                // Wait until enough of our requests leave the window: the oldest go first, each
                // taking what it was estimated at.
                let mut left = usage;
                for sent in pace.in_window(start) {
                    left -= pace.weight(sent);
                    leaving = sent.at;
                    if left <= room {
                        break;
                    }
                }
                start = start.max(leaving + budget.window);
            } else if usage > room {
                // Only usage that is not ours: wait for its window to pass.
                if let Some(report) = pace.report {
                    start = start.max(report.at + budget.window);
                }
            }
        }
        pace.sent.push_back(Sent {
            at: start,
            endpoint,
            share: 0.0,
        });
        pace.unanswered.push_back(start);
        start
    }

    /// Adapts the key's pace to an answer; returns the delay the server reported, in seconds.
    ///
    /// - `Retry-After` pauses the key until then, whatever the status.
    /// - A delay (`X-RateLimit-Delay`) or a 429 doubles the interval between starts; clean
    ///   answers halve it.
    /// - `X-RateLimit-Limit`, `-Remaining` and `-Reset` teach the budget and the window, and
    ///   are the service's word on our usage (see [`Report`]).
    pub fn observe(&self, key: &Key, headers: &HeaderMap, status: StatusCode) -> f64 {
        self.observe_at(key, headers, status, Instant::now(), epoch_now())
    }

    /// [`Pace::observe`] at a given time: `now`, and the same moment in Unix seconds.
    fn observe_at(
        &self,
        key: &Key,
        headers: &HeaderMap,
        status: StatusCode,
        now: Instant,
        now_epoch: f64,
    ) -> f64 {
        let retry_after = header_f64(headers, "retry-after");
        let delay = header_f64(headers, "x-ratelimit-delay").unwrap_or(0.0);
        let remaining = header_f64(headers, "x-ratelimit-remaining");
        let limit = header_f64(headers, "x-ratelimit-limit").filter(|l| *l > 0.0);
        let reset_in = header_f64(headers, "x-ratelimit-reset").map(|epoch| epoch - now_epoch);
        let resource = headers
            .get("x-ratelimit-resource")
            .and_then(|v| v.to_str().ok())
            .map(crate::ado::error::sanitize_message);

        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let pace = keys.entry(key.clone()).or_default();
        // The request answered: the oldest unanswered one that may still be in flight.
        while pace
            .unanswered
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > UNANSWERED)
        {
            pace.unanswered.pop_front();
        }
        let basis = pace
            .unanswered
            .pop_front()
            .filter(|t| *t <= now)
            .unwrap_or(now);

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
            let since_basis = now.saturating_duration_since(basis).as_secs_f64();
            let window = pace.learn_window(reset_in, since_basis);
            pace.budget = Some(Budget { limit, window });
            pace.forget_before(now);
            let used = (limit - remaining).max(0.0);
            pace.lowest_reported = Some(pace.lowest_reported.map_or(used, |l| l.min(used)));
            if delay > 0.0 {
                // A delayed answer comes after later ones, so the oldest unanswered request is
                // not it; and it says "0 left" whatever the excess. Count everything sent so
                // far, and learn no cost from it.
                let latest = pace.sent.iter().rev().find(|s| s.at <= now).map(|s| s.at);
                pace.report(used, latest.unwrap_or(basis), now, true);
            } else {
                pace.report(used, basis, now, false);
            }
        } else if let Some(lowest) = pace.lowest_reported
            && status != StatusCode::TOO_MANY_REQUESTS
            && limit.is_none()
        {
            // No headers: the service counts less than it ever reported. Where our estimate is
            // higher (it costs recent requests at an average that may be too high), take that
            // bound instead.
            pace.forget_before(now);
            let usage = pace.projected_usage(now, Some(basis));
            if usage > lowest {
                pace.report(lowest, basis, now, true);
            }
            // Nor can our requests in the window cost more than that.
            let counts = pace.counts_of_first(pace.started_until(basis));
            let counted = counts.iter().sum::<f64>();
            if counted > 0.0 {
                pace.cost = pace.cost.min(lowest / counted);
                if pace.routes.total(&counts, pace.cost) > lowest {
                    pace.routes.learn(&counts, lowest);
                }
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

    /// Headers of a service that has `remaining` of `limit` TSTU left and returns to zero at
    /// `reset` (Unix seconds).
    fn limit_headers(limit: f64, remaining: f64, reset: f64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-ratelimit-limit", limit),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-reset", reset),
        ] {
            headers.insert(name, HeaderValue::from_str(&value.to_string()).unwrap());
        }
        headers
    }

    #[test]
    fn a_known_budget_holds_requests_until_our_own_leave_the_window() {
        let pace = Pace::default();
        let t0 = Instant::now();
        let epoch0 = 1_800_000_000.0;
        // Ten requests go out at once (nothing known yet) and are answered 10 ms later...
        for _ in 0..10 {
            assert_eq!(pace.reserve(&key(), "e", t0), t0);
        }
        // ...the last one says: 12 TSTU per window, 2 left, usage back to zero in 1 s.
        let answered = t0 + Duration::from_millis(10);
        for _ in 0..9 {
            pace.observe_at(&key(), &HeaderMap::new(), StatusCode::OK, answered, epoch0);
        }
        let headers = limit_headers(12.0, 2.0, epoch0 + 1.0);
        pace.observe_at(&key(), &headers, StatusCode::OK, answered, epoch0 + 0.01);
        // 95% of 12 = 11.4 TSTU per window at 1 TSTU each: one more now, the next when the
        // first ones leave the window (1 s after they started, as Reset says).
        assert_eq!(pace.reserve(&key(), "e", answered), answered);
        let next = pace.reserve(&key(), "e", answered);
        let expected = t0 + Duration::from_secs(1);
        assert!(next.max(expected) - next.min(expected) < Duration::from_micros(1));
    }

    #[test]
    fn the_window_is_narrowed_from_rounded_reset_times() {
        let pace = Pace::default();
        let t0 = Instant::now();
        let epoch0 = 1_800_000_000.25;
        let window = 10.0;
        // A request every 130 ms, answered 20 ms later; the service counts it 10 ms after it
        // starts and rounds Reset up to the second.
        for i in 0..100u32 {
            let start = t0 + Duration::from_millis(130) * i;
            pace.keys
                .lock()
                .unwrap()
                .entry(key())
                .or_default()
                .sent
                .clear();
            assert_eq!(pace.reserve(&key(), "e", start), start);
            let charged = 0.13 * i as f64 + 0.01;
            let reset = (epoch0 + charged + window).ceil();
            let answered = start + Duration::from_millis(20);
            let headers = limit_headers(1000.0, 900.0, reset);
            pace.observe_at(
                &key(),
                &headers,
                StatusCode::OK,
                answered,
                epoch0 + charged + 0.01,
            );
        }
        let learnt = pace.keys.lock().unwrap()[&key()].budget.unwrap().window;
        let error = learnt.as_secs_f64() - window;
        // Never shorter than the window (that would overspend), and within a latency of it.
        assert!((0.0..=0.03).contains(&error), "{learnt:?}");
    }

    #[test]
    fn concurrent_requests_of_a_key_are_spread_by_the_interval() {
        let pace = Pace::default();
        pace.keys.lock().unwrap().entry(key()).or_default().interval = Duration::from_millis(40);
        // (the interval spreads starts; it is not the budget)
        let t0 = Instant::now();
        let starts: Vec<Instant> = (0..5).map(|_| pace.reserve(&key(), "e", t0)).collect();
        assert_eq!(starts[4], t0 + Duration::from_millis(160));
    }

    /// What the service model in [`crawl_against`] did.
    #[derive(Debug)]
    struct Outcome {
        requests: usize,
        delayed: usize,
        blocked: usize,
        cost: f64,
        elapsed: f64,
    }

    /// A discrete-time crawl of `requests` requests by `concurrency` workers through one key's
    /// pace, against a model of Azure DevOps' consumption limit: `budget` TSTU per sliding
    /// `window` seconds, requests going in turn to the `routes` given (endpoint, cost), rate-limit headers only
    /// past `header_threshold` of the budget, Reset rounded up to the second, 500 ms delays past
    /// the budget and 429 past 1.5 times it, `latency` seconds from start to charge and answer.
    /// Time is simulated, so nothing here depends on the machine's speed.
    fn crawl_against(
        budget: f64,
        window: f64,
        routes: &[(&str, f64)],
        header_threshold: f64,
        requests: usize,
        concurrency: usize,
        latency: f64,
    ) -> Outcome {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let pace = Pace::default();
        let t0 = Instant::now();
        let epoch0 = 1_800_000_000.37;
        let at = |secs: f64| t0 + Duration::from_secs_f64(secs);
        // Events in time order: (time in µs, sequence, what, the request's cost, start).
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        enum What {
            Charge,
            Answer,
            Ready,
        }
        let micros = |secs: f64| (secs * 1e6).round() as u64;
        let mut events = BinaryHeap::new();
        let mut seq = 0u64;
        for _ in 0..concurrency {
            events.push(Reverse((0u64, seq, What::Ready, 0usize, 0u64)));
            seq += 1;
        }
        let mut spent: VecDeque<(f64, f64)> = VecDeque::new();
        let mut issued = 0;
        let mut answered_headers: HashMap<u64, (HeaderMap, StatusCode, f64)> = HashMap::new();
        let (mut delayed, mut blocked, mut cost_total, mut last) = (0, 0, 0.0, 0.0);
        let mut done = 0;
        while let Some(Reverse((time, id, what, cost_index, _))) = events.pop() {
            let now = time as f64 / 1e6;
            match what {
                What::Ready if issued < requests => {
                    issued += 1;
                    let start = pace.reserve(&key(), routes[issued % routes.len()].0, at(now));
                    let start = start.duration_since(t0).as_secs_f64();
                    seq += 1;
                    events.push(Reverse((
                        micros(start + latency),
                        seq,
                        What::Charge,
                        issued,
                        0,
                    )));
                }
                What::Ready => {}
                What::Charge => {
                    while spent.front().is_some_and(|(t, _)| now - t >= window) {
                        spent.pop_front();
                    }
                    let used: f64 = spent.iter().map(|(_, c)| c).sum();
                    let cost = routes[cost_index % routes.len()].1;
                    let mut headers = HeaderMap::new();
                    let mut answer = now + 0.001;
                    let status = if used >= budget * 1.5 {
                        blocked += 1;
                        headers.insert("retry-after", HeaderValue::from_static("1"));
                        StatusCode::TOO_MANY_REQUESTS
                    } else {
                        spent.push_back((now, cost));
                        cost_total += cost;
                        let after = used + cost;
                        if after > budget * header_threshold {
                            let reset = (epoch0 + now + window).ceil();
                            headers =
                                limit_headers(budget, (budget - after).max(0.0).floor(), reset);
                        }
                        if after > budget {
                            delayed += 1;
                            headers.insert("x-ratelimit-delay", HeaderValue::from_static("0.5"));
                            answer += 0.5;
                        }
                        StatusCode::OK
                    };
                    seq += 1;
                    answered_headers.insert(seq, (headers, status, now));
                    events.push(Reverse((micros(answer), seq, What::Answer, cost_index, 0)));
                }
                What::Answer => {
                    let (headers, status, _) = answered_headers.remove(&id).unwrap();
                    pace.observe_at(&key(), &headers, status, at(now), epoch0 + now);
                    done += 1;
                    last = now;
                    seq += 1;
                    events.push(Reverse((time, seq, What::Ready, 0, 0)));
                }
            }
        }
        assert_eq!(done, requests);
        Outcome {
            requests,
            delayed,
            blocked,
            cost: cost_total,
            elapsed: last,
        }
    }

    /// The pacing's goals: nothing blocked, at most 1% delayed, and a crawl no longer than
    /// 1.15 times the budget floor (the cost beyond the first window at the allowed rate).
    fn assert_goals(outcome: &Outcome, budget: f64, window: f64) {
        let floor = (outcome.cost - budget) / (budget / window);
        assert_eq!(outcome.blocked, 0, "{outcome:?}");
        assert!(
            outcome.delayed as f64 <= outcome.requests as f64 * 0.01,
            "{outcome:?}"
        );
        assert!(
            outcome.elapsed <= 1.15 * floor,
            "{:.3}x the floor: {outcome:?}",
            outcome.elapsed / floor
        );
    }

    /// Routes of a crawl and their costs: mostly simple GETs, some large lists and alerts.
    const CRAWL_ROUTES: [(&str, f64); 14] = [
        ("get", 1.0),
        ("list", 3.0),
        ("get", 1.0),
        ("get", 1.0),
        ("checks", 2.0),
        ("get", 1.0),
        ("list", 3.0),
        ("get", 1.0),
        ("alerts", 5.0),
        ("get", 1.0),
        ("checks", 2.0),
        ("list", 3.0),
        ("get", 1.0),
        ("get", 1.0),
    ];

    /// A crawl in phases, as the real one goes: per-project GETs, then lists and policies, a
    /// run of alerts, identity GETs, access control lists.
    fn phased_crawl() -> Vec<(&'static str, f64)> {
        let mut routes = vec![("projects", 1.0); 400];
        for _ in 0..300 {
            routes.extend([("git/repositories", 3.0), ("policy", 1.0)]);
        }
        routes.extend([("alerts", 5.0); 300]);
        routes.extend([("graph", 1.0); 700]);
        for _ in 0..250 {
            routes.extend([("acl", 2.0), ("memberships", 1.0)]);
        }
        routes.extend(CRAWL_ROUTES.iter().cycle().take(500));
        routes
    }

    #[test]
    fn headers_only_from_80_percent_with_costs_by_route_keep_the_goals() {
        let outcome = crawl_against(200.0, 10.0, &CRAWL_ROUTES, 0.8, 3_000, 8, 0.05);
        assert_goals(&outcome, 200.0, 10.0);
    }

    #[test]
    fn headers_from_half_the_budget_keep_the_goals() {
        let outcome = crawl_against(200.0, 10.0, &CRAWL_ROUTES, 0.5, 3_000, 8, 0.05);
        assert_goals(&outcome, 200.0, 10.0);
    }

    #[test]
    fn a_crawl_in_phases_of_different_costs_keeps_the_goals() {
        let routes = phased_crawl();
        for threshold in [0.8, 0.5] {
            let outcome = crawl_against(200.0, 10.0, &routes, threshold, routes.len(), 8, 0.05);
            eprintln!(
                "threshold {threshold}: {:.3}x the floor, {outcome:?}",
                outcome.elapsed / ((outcome.cost - 200.0) / 20.0)
            );
            assert_goals(&outcome, 200.0, 10.0);
        }
    }

    #[test]
    fn heavy_requests_in_a_row_are_not_blocked() {
        // Alerts after a run of cheap GETs: the cost learnt from the cheap ones is too low for
        // the requests in flight when the switch comes, and the service's reports must correct
        // it.
        let mut routes = vec![("get", 1.0); 300];
        routes.extend([("alerts", 5.0); 300]);
        let outcome = crawl_against(200.0, 10.0, &routes, 0.8, 3_000, 8, 0.01);
        assert_eq!(outcome.blocked, 0, "{outcome:?}");
        assert!(outcome.delayed * 100 <= outcome.requests, "{outcome:?}");
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
