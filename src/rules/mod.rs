//! The recommendation engine: the rule catalog and its evaluation over one snapshot.
//!
//! A rule is one SQL file (`sql/rules/<id>.sql`) whose header comments hold its metadata and
//! whose query returns the failing resources (and, with `result = 'not_evaluated'`, those it
//! could not judge). Built-in rules are embedded at build time, so adding a rule is adding a
//! file; users' rules are the same files in a folder of their own. The engine runs each query
//! with Polars SQL over the snapshot's tables and the built-in views (`sql/views/`, e.g.
//! `default_branch_policies`, which resolves branch-policy scopes once for every rule), then
//! sets each finding against the previous snapshot (new, persisting, resolved, first seen) and
//! marks the exempt ones.

#[cfg(test)]
mod cases;
/// A table's frame of JSON rows, for tests (missing columns null).
#[cfg(test)]
pub(crate) use cases::frame as test_frame;
mod catalog;
mod evaluate;
pub mod exemptions;
pub mod history;
pub mod owners;
pub mod scope;

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use polars::prelude::LazyFrame;

pub use catalog::{
    Anchors, Rule, RuleError, Severity, View, builtin_rules, builtin_views, load_rules_dir,
    markdown, parse_rule, parse_view,
};
pub use evaluate::{Finding, FindingStatus, RULE_OUTPUT_COLUMNS, evaluate};
pub use exemptions::Exemption;
pub use owners::Owner;
pub use scope::RuleScope;

/// Everything the engine needs besides the snapshot's tables.
pub struct Assessment<'a> {
    pub rules: &'a [Rule],
    /// The snapshot's date.
    pub date: NaiveDate,
    /// The findings of the newest snapshot before `date` (empty for the first one).
    pub previous: &'a [Finding],
    /// (connector, organization) pairs the snapshot holds.
    pub crawled: &'a HashSet<(String, String)>,
    pub exemptions: &'a [Exemption],
    /// The resources scoped rules judge (`[[rule_scope]]`).
    pub scopes: &'a [RuleScope],
}

/// Evaluates the rules, sets the findings against the previous snapshot and applies the
/// exemptions: the rows of the findings table, and the rules that could not run. The job calls
/// it one organization at a time (tables, previous findings and `crawled` of that organization
/// only), so memory holds one organization's rows, not the estate's.
pub fn assess(
    tables: &BTreeMap<String, LazyFrame>,
    a: &Assessment<'_>,
) -> (Vec<Finding>, Vec<RuleError>) {
    let (mut current, errors) = evaluate(a.rules, tables, a.date);
    // Resources a scoped rule does not judge are left out today and yesterday alike, so they
    // are neither findings nor "resolved".
    current.retain(|f| scope::in_scope(a.scopes, f));
    let previous: Vec<Finding> = a
        .previous
        .iter()
        .filter(|f| scope::in_scope(a.scopes, f))
        .cloned()
        .collect();
    let mut findings = history::classify(current, &previous, a.crawled);
    exemptions::apply(&mut findings, a.exemptions, a.date);
    (findings, errors)
}

/// The previous findings of organizations this snapshot did not read (`a.crawled` lacks them):
/// carried over as not evaluated, never resolved, with their first-seen dates.
pub fn carry_over(previous: &[Finding], a: &Assessment<'_>) -> Vec<Finding> {
    let previous: Vec<Finding> = previous
        .iter()
        .filter(|f| scope::in_scope(a.scopes, f))
        .cloned()
        .collect();
    let mut findings = history::classify(Vec::new(), &previous, a.crawled);
    exemptions::apply(&mut findings, a.exemptions, a.date);
    findings
}
