//! Exemptions from the config: a rule, a resource pattern, a reason and a last day. An exempt
//! finding stays in the data, marked, and out of the counts until its exemption expires.

use chrono::NaiveDate;
use wildmatch::WildMatch;

use super::evaluate::Finding;

/// One `[[exemption]]` of the config, validated.
#[derive(Debug, Clone)]
pub struct Exemption {
    /// Rule id, or a pattern such as `ADO-REPO-*`.
    pub rule: String,
    /// Pattern over `organization/project/resource` (`*` and `?` wildcards), where resource is
    /// the resource's name or id; organization-level findings match `organization/resource`.
    pub resource: String,
    pub reason: String,
    /// Last day the exemption applies; from the next day on the finding counts again.
    pub expires: NaiveDate,
}

impl Exemption {
    /// Whether the exemption covers the finding (whatever the date).
    pub fn covers(&self, f: &Finding) -> bool {
        if !WildMatch::new(&self.rule).matches(&f.rule_id) {
            return false;
        }
        let pattern = WildMatch::new(&self.resource);
        resource_paths(f).iter().any(|c| pattern.matches(c)) || pattern.matches(&f.finding_id)
    }
}

/// The paths a resource pattern is matched against: `organization/project/resource` by name
/// and by id (`organization/resource` for organization-level findings).
pub(crate) fn resource_paths(f: &Finding) -> [String; 2] {
    let org = &f.organization;
    if f.project.is_empty() {
        [
            format!("{org}/{}", f.resource_name),
            format!("{org}/{}", f.resource_id),
        ]
    } else {
        [
            format!("{org}/{}/{}", f.project, f.resource_name),
            format!("{org}/{}/{}", f.project, f.resource_id),
        ]
    }
}

/// Marks every failing or not-evaluated finding covered by an exemption that has not expired
/// on `date` (the snapshot's date). The first matching exemption wins.
pub fn apply(findings: &mut [Finding], exemptions: &[Exemption], date: NaiveDate) {
    for f in findings.iter_mut() {
        f.exemption = None;
        if f.status == super::FindingStatus::Resolved {
            continue;
        }
        if let Some(e) = exemptions.iter().find(|e| date <= e.expires && e.covers(f)) {
            f.exemption = Some((e.reason.clone(), e.expires));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{FindingStatus, Severity};

    fn finding(rule: &str, project: &str, name: &str) -> Finding {
        Finding {
            finding_id: format!("{rule}:c/contoso/{name}-id"),
            rule_id: rule.into(),
            severity: Severity::High,
            title: "t".into(),
            resource_kind: "repository".into(),
            connector: "c".into(),
            organization: "contoso".into(),
            project_id: "pid".into(),
            project: project.into(),
            resource_id: format!("{name}-id"),
            resource_name: name.into(),
            status: FindingStatus::Persisting,
            details: String::new(),
            first_seen: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            exemption: None,
        }
    }

    #[test]
    fn an_exemption_hides_its_finding_until_the_expiry_date_and_not_after() {
        let exemption = Exemption {
            rule: "ADO-REPO-002".into(),
            resource: "contoso/Legacy/*".into(),
            reason: "archived, read-only".into(),
            expires: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        };
        let mut findings = vec![
            finding("ADO-REPO-002", "Legacy", "old-repo"),
            finding("ADO-REPO-001", "Legacy", "old-repo"),
            finding("ADO-REPO-002", "Current", "new-repo"),
        ];
        for (date, hidden) in [
            ((2027, 3, 30), true),
            ((2027, 3, 31), true),
            ((2027, 4, 1), false),
        ] {
            let date = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
            apply(&mut findings, std::slice::from_ref(&exemption), date);
            assert_eq!(findings[0].exemption.is_some(), hidden, "{date}");
            assert_eq!(findings[0].is_open(), !hidden, "{date}");
            assert!(findings[1].exemption.is_none(), "other rule");
            assert!(findings[2].exemption.is_none(), "other project");
        }
    }

    #[test]
    fn resource_ids_and_rule_patterns_match_too() {
        let exemption = Exemption {
            rule: "ADO-REPO-*".into(),
            resource: "contoso/*/old-repo-id".into(),
            reason: "r".into(),
            expires: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        };
        assert!(exemption.covers(&finding("ADO-REPO-009", "Legacy", "old-repo")));
        assert!(!exemption.covers(&finding("ADO-PIPE-001", "Legacy", "old-repo")));
    }
}
