//! What a request to each endpoint costs in TSTUs, learnt from the service's usage reports.
//!
//! Azure DevOps reports one total (`X-RateLimit-Limit − X-RateLimit-Remaining`) for every
//! request in its window, and routes cost differently: a page of alerts costs several simple
//! GETs. An average cost misjudges the requests of a crawl that moves from one kind of route to
//! another, and the pace then leaves budget unused or overspends it. Each report is one linear
//! equation (the requests of each endpoint in the window times their costs equal the usage);
//! a Kalman filter over the endpoints' costs, with a small random walk so it can follow a
//! service whose costs drift, solves the equations as they come. Consecutive reports share most
//! of their requests, so the filter's covariance, not a per-report difference, tells which
//! endpoint a change belongs to.

use std::collections::HashMap;

/// Variance of a cost before any report names its endpoint: a few TSTU either way.
const PRIOR_VARIANCE: f64 = 16.0;
/// Variance added to every cost at each report, so old reports weigh less over time.
const DRIFT_VARIANCE: f64 = 1e-4;
/// Variance of a report, about 4 TSTU either way: `Remaining` is whole TSTUs, requests started
/// together reach the service in any order (so the answered one's report may count a few more or
/// fewer of them), and a request at the window's edge may be counted on one side by the service
/// and on the other by the client. (1 made the pace-model crawl in phases 1.11× the floor, 16
/// made it 1.07×, 64 1.08–1.11×.)
const REPORT_VARIANCE: f64 = 16.0;
/// No route is free: a request costs at least this, whatever the fit says.
const MIN_COST: f64 = 0.05;

/// The learnt cost of each endpoint of one (identity, organization).
#[derive(Debug, Default)]
pub struct RouteCosts {
    ids: HashMap<String, usize>,
    /// The estimate per endpoint id; `None` until a report counts one of its requests.
    costs: Vec<Option<f64>>,
    /// Covariance of the estimates, row-major, `costs.len()` squared.
    covariance: Vec<f64>,
}

impl RouteCosts {
    /// The id of an endpoint (a small number, stable for the run).
    pub fn id(&mut self, endpoint: &str) -> usize {
        if let Some(id) = self.ids.get(endpoint) {
            return *id;
        }
        let id = self.costs.len();
        let n = id + 1;
        let mut covariance = vec![0.0; n * n];
        for row in 0..id {
            covariance[row * n..row * n + id].copy_from_slice(&self.covariance[row * id..][..id]);
        }
        covariance[id * n + id] = PRIOR_VARIANCE;
        self.covariance = covariance;
        self.costs.push(None);
        self.ids.insert(endpoint.to_string(), id);
        id
    }

    /// How many endpoints have an id.
    pub fn len(&self) -> usize {
        self.costs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.costs.is_empty()
    }

    /// The estimated cost of a request to endpoint `id`, or `fallback` before any report
    /// counted one.
    pub fn cost(&self, id: usize, fallback: f64) -> f64 {
        self.costs
            .get(id)
            .copied()
            .flatten()
            .map_or(fallback, |c| c.max(MIN_COST))
    }

    /// What the requests counted in `counts` (per endpoint id) are estimated to cost together.
    pub fn total(&self, counts: &[f64], fallback: f64) -> f64 {
        counts
            .iter()
            .enumerate()
            .map(|(id, n)| n * self.cost(id, fallback))
            .sum()
    }

    /// Takes one report: the requests in `counts` (per endpoint id, indexed like the ids) cost
    /// `used` together. Endpoints counted for the first time start at this report's average.
    pub fn learn(&mut self, counts: &[f64], used: f64) {
        let n = self.costs.len();
        if counts.len() != n || !used.is_finite() {
            return;
        }
        let requests: f64 = counts.iter().sum();
        if requests <= 0.0 {
            return;
        }
        let average = used / requests;
        for (cost, count) in self.costs.iter_mut().zip(counts) {
            if cost.is_none() && *count > 0.0 {
                *cost = Some(average);
            }
        }
        let estimate: Vec<f64> = self.costs.iter().map(|c| c.unwrap_or(average)).collect();
        let predicted: f64 = estimate.iter().zip(counts).map(|(c, x)| c * x).sum();
        // P x, and the variance of the prediction plus the report's own.
        let px: Vec<f64> = (0..n)
            .map(|row| {
                let p = &self.covariance[row * n..(row + 1) * n];
                p.iter().zip(counts).map(|(p, x)| p * x).sum()
            })
            .collect();
        let variance = px.iter().zip(counts).map(|(p, x)| p * x).sum::<f64>() + REPORT_VARIANCE;
        if !(variance.is_finite() && variance > 0.0) {
            return;
        }
        let residual = used - predicted;
        for (id, cost) in self.costs.iter_mut().enumerate() {
            if let Some(cost) = cost {
                *cost += px[id] / variance * residual;
            }
        }
        for row in 0..n {
            for col in 0..n {
                self.covariance[row * n + col] -= px[row] * px[col] / variance;
            }
            self.covariance[row * n + row] += DRIFT_VARIANCE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows of a crawl whose mix of two routes changes: each report counts a different
    /// number of each.
    #[test]
    fn costs_per_route_are_found_from_totals_of_mixed_windows() {
        let mut costs = RouteCosts::default();
        let (list, alerts) = (costs.id("git/repositories"), costs.id("alert/alerts"));
        assert_eq!(costs.cost(alerts, 2.0), 2.0);
        for window in 0..40 {
            let alerts_in = (window % 7) as f64 * 5.0;
            let lists_in = 60.0 - alerts_in;
            let mut counts = vec![0.0; 2];
            counts[list] = lists_in;
            counts[alerts] = alerts_in;
            costs.learn(&counts, lists_in * 1.0 + alerts_in * 5.0);
        }
        assert!((costs.cost(list, 0.0) - 1.0).abs() < 0.05, "{costs:?}");
        assert!((costs.cost(alerts, 0.0) - 5.0).abs() < 0.05, "{costs:?}");
        assert!((costs.total(&[10.0, 2.0], 0.0) - 20.0).abs() < 0.5);
    }

    #[test]
    fn an_endpoint_first_counted_starts_at_the_reports_average() {
        let mut costs = RouteCosts::default();
        let a = costs.id("a");
        costs.learn(&[10.0], 30.0);
        assert!((costs.cost(a, 0.0) - 3.0).abs() < 1e-9);
        // A new endpoint is not known until counted.
        let b = costs.id("b");
        assert_eq!(costs.id("b"), b);
        assert_eq!(costs.cost(b, 7.0), 7.0);
        costs.learn(&[10.0, 0.0], 30.0);
        assert_eq!(costs.cost(b, 7.0), 7.0);
    }

    #[test]
    fn nonsense_reports_change_nothing() {
        let mut costs = RouteCosts::default();
        let a = costs.id("a");
        costs.learn(&[0.0], 5.0);
        costs.learn(&[1.0, 1.0], 5.0);
        costs.learn(&[1.0], f64::NAN);
        assert_eq!(costs.cost(a, 1.5), 1.5);
        // A fit that goes negative is floored.
        costs.learn(&[1.0], -100.0);
        assert!(costs.cost(a, 1.5) >= MIN_COST);
    }
}
