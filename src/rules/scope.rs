//! `[[rule_scope]]`: the resources a rule judges. Some recommendations only matter for some
//! resources (approvals on production environments and connections): a scope names them by
//! pattern, and the rule's findings about other resources are left out of the snapshot (they are
//! not judged: neither failing nor passing, and not "resolved" either).

use wildmatch::WildMatch;

use super::Finding;

/// The resources one rule (or rule pattern) judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleScope {
    /// Rule id, or a pattern such as `ADO-ENV-*`.
    pub rule: String,
    /// Patterns over `organization/project/resource` (name or id; organization-level findings
    /// `organization/resource`), `*` and `?` wildcards, case-insensitive.
    pub resources: Vec<String>,
}

impl RuleScope {
    fn names_rule(&self, rule_id: &str) -> bool {
        WildMatch::new(&self.rule).matches(rule_id)
    }

    fn judges(&self, f: &Finding) -> bool {
        let candidates = super::exemptions::resource_paths(f);
        self.resources.iter().any(|p| {
            let pattern = WildMatch::new(&p.to_lowercase());
            candidates
                .iter()
                .any(|c| pattern.matches(&c.to_lowercase()))
        })
    }
}

/// Whether a finding is about a resource its rule judges: true when no scope names the rule,
/// else when one of the scopes naming it matches the resource.
pub fn in_scope(scopes: &[RuleScope], f: &Finding) -> bool {
    let mut naming = scopes
        .iter()
        .filter(|s| s.names_rule(&f.rule_id))
        .peekable();
    naming.peek().is_none() || naming.any(|s| s.judges(f))
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
            resource_kind: "environment".into(),
            connector: "c".into(),
            organization: "contoso".into(),
            project_id: "p-id".into(),
            project: project.into(),
            resource_id: format!("{name}-id"),
            resource_name: name.into(),
            status: FindingStatus::New,
            details: String::new(),
            first_seen: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            exemption: None,
        }
    }

    #[test]
    fn a_scoped_rule_judges_only_matching_resources_and_others_are_unaffected() {
        let scopes = vec![RuleScope {
            rule: "ADO-ENV-*".into(),
            resources: vec!["*/*/prod*".into(), "*/Payments/*".into()],
        }];
        assert!(in_scope(
            &scopes,
            &finding("ADO-ENV-002", "Web", "Production")
        ));
        assert!(in_scope(
            &scopes,
            &finding("ADO-ENV-002", "payments", "test")
        ));
        assert!(!in_scope(
            &scopes,
            &finding("ADO-ENV-002", "Web", "staging")
        ));
        assert!(in_scope(&scopes, &finding("ADO-SC-004", "Web", "staging")));
    }
}
