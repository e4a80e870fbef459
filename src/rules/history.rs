//! Findings against the previous snapshot: new, persisting, resolved, and first-seen dates.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::*;

use super::Severity;
use super::evaluate::{Finding, FindingStatus};

/// Sets each current finding's status and first-seen date from the previous snapshot's
/// findings, and adds a `resolved` row for every finding failing then and passing now.
///
/// `crawled` holds the (connector, organization) pairs this snapshot read. A finding of an
/// organization that was not read is not resolved: nothing says it was fixed, so it is carried
/// as `not_evaluated` with its first-seen date kept.
pub fn classify(
    current: Vec<Finding>,
    previous: &[Finding],
    crawled: &HashSet<(String, String)>,
) -> Vec<Finding> {
    let before: HashMap<&str, &Finding> = previous
        .iter()
        .map(|f| (f.finding_id.as_str(), f))
        .collect();
    let mut out = Vec::with_capacity(current.len());
    for mut f in current {
        if let Some(p) = before.get(f.finding_id.as_str())
            && p.status != FindingStatus::Resolved
        {
            f.first_seen = p.first_seen;
            if f.status == FindingStatus::New && p.status.is_failing() {
                f.status = FindingStatus::Persisting;
            }
        }
        out.push(f);
    }
    let now: HashSet<String> = out.iter().map(|f| f.finding_id.clone()).collect();
    for p in previous {
        if !p.status.is_failing() || now.contains(&p.finding_id) {
            continue;
        }
        let mut carried = p.clone();
        carried.exemption = None;
        if crawled.contains(&(p.connector.clone(), p.organization.clone())) {
            carried.status = FindingStatus::Resolved;
            carried.details = format!("passes now; it was failing since {}", p.first_seen);
        } else {
            carried.status = FindingStatus::NotEvaluated;
            carried.details =
                "the organization could not be crawled in this run; the finding is carried over"
                    .into();
        }
        out.push(carried);
    }
    out.sort_by(|a, b| a.finding_id.cmp(&b.finding_id));
    out
}

/// Reads findings rows (all columns of the findings table) back into [`Finding`]s.
pub fn read_findings(frame: LazyFrame) -> Result<Vec<Finding>, PolarsError> {
    let df = frame.collect()?;
    let text = |name: &str| -> Result<StringChunked, PolarsError> {
        Ok(df.column(name)?.cast(&DataType::String)?.str()?.clone())
    };
    let date = |name: &str| -> Result<Vec<Option<NaiveDate>>, PolarsError> {
        let days = df.column(name)?.cast(&DataType::Int32)?;
        let days = days.i32()?;
        Ok((0..days.len())
            .map(|i| {
                days.get(i)
                    .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d + UNIX_EPOCH_DAYS_FROM_CE))
            })
            .collect())
    };
    let names = [
        "finding_id",
        "rule_id",
        "severity",
        "title",
        "resource_kind",
        "connector",
        "organization",
        "project_id",
        "project",
        "resource_id",
        "resource_name",
        "status",
        "details",
        "exemption_reason",
    ];
    let cols = names
        .iter()
        .map(|n| text(n))
        .collect::<Result<Vec<_>, _>>()?;
    let first_seen = date("first_seen")?;
    let expires = date("exemption_expires")?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let cell = |c: usize| cols[c].get(i).unwrap_or_default().to_string();
        let (Some(severity), Some(status), Some(first_seen)) = (
            Severity::parse(&cell(2)),
            FindingStatus::parse(&cell(11)),
            first_seen[i],
        ) else {
            continue;
        };
        let exemption = cols[13]
            .get(i)
            .zip(expires[i])
            .map(|(r, d)| (r.to_string(), d));
        out.push(Finding {
            finding_id: cell(0),
            rule_id: cell(1),
            severity,
            title: cell(3),
            resource_kind: cell(4),
            connector: cell(5),
            organization: cell(6),
            project_id: cell(7),
            project: cell(8),
            resource_id: cell(9),
            resource_name: cell(10),
            status,
            details: cell(12),
            first_seen,
            exemption,
        });
    }
    Ok(out)
}

/// Days from 0001-01-01 (CE day 1) to 1970-01-01.
pub const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, org: &str, status: FindingStatus, first_seen: NaiveDate) -> Finding {
        Finding {
            finding_id: id.into(),
            rule_id: "R".into(),
            severity: Severity::High,
            title: "t".into(),
            resource_kind: "repository".into(),
            connector: "c".into(),
            organization: org.into(),
            project_id: "p".into(),
            project: "p".into(),
            resource_id: id.into(),
            resource_name: id.into(),
            status,
            details: String::new(),
            first_seen,
            exemption: None,
        }
    }

    #[test]
    fn new_persisting_resolved_and_carried() {
        let d1 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let d2 = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let previous = vec![
            finding("kept", "o", FindingStatus::New, d1),
            finding("fixed", "o", FindingStatus::Persisting, d1),
            finding("unread-org", "gone", FindingStatus::New, d1),
            finding("was-resolved", "o", FindingStatus::Resolved, d1),
        ];
        let current = vec![
            finding("kept", "o", FindingStatus::New, d2),
            finding("added", "o", FindingStatus::New, d2),
            finding("was-resolved", "o", FindingStatus::New, d2),
        ];
        let crawled = HashSet::from([("c".to_string(), "o".to_string())]);
        let out = classify(current, &previous, &crawled);
        let by_id: HashMap<&str, &Finding> =
            out.iter().map(|f| (f.finding_id.as_str(), f)).collect();
        assert_eq!(by_id["kept"].status, FindingStatus::Persisting);
        assert_eq!(by_id["kept"].first_seen, d1);
        assert_eq!(by_id["added"].status, FindingStatus::New);
        assert_eq!(by_id["added"].first_seen, d2);
        assert_eq!(by_id["fixed"].status, FindingStatus::Resolved);
        assert_eq!(by_id["unread-org"].status, FindingStatus::NotEvaluated);
        assert_eq!(by_id["was-resolved"].status, FindingStatus::New);
        assert_eq!(by_id["was-resolved"].first_seen, d2);
        assert_eq!(out.len(), 5);
    }
}
