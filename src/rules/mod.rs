//! The recommendation engine: the rule catalog and its evaluation over one snapshot.
//!
//! A rule is one SQL file (`sql/rules/<id>.sql`) whose header comments hold its metadata and
//! whose query returns the failing resources. Built-in rules are embedded at build time, so
//! adding a rule is adding a file. The engine runs each query with Polars SQL over the
//! snapshot's tables and adds the rule's metadata to every row.

mod catalog;
mod evaluate;

pub use catalog::{Rule, RuleError, Severity, builtin_rules, parse_rule};
pub use evaluate::{Finding, RULE_OUTPUT_COLUMNS, evaluate};
