//! The recommendation engine: the rule catalog and its evaluation over one snapshot.
//!
//! A rule is one SQL file (`sql/rules/<id>.sql`) whose header comments hold its metadata and
//! whose query returns the failing resources. Built-in rules are embedded at build time, so
//! adding a rule is adding a file. The engine runs each query with Polars SQL over the
//! snapshot's tables and the built-in views (`sql/views/`, e.g. `default_branch_policies`,
//! which resolves branch-policy scopes once for every rule), and adds the rule's metadata to
//! every row.

mod catalog;
mod evaluate;

pub use catalog::{
    Rule, RuleError, Severity, View, builtin_rules, builtin_views, markdown, parse_rule, parse_view,
};
pub use evaluate::{Finding, RULE_OUTPUT_COLUMNS, evaluate};
