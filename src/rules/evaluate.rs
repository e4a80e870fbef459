//! Runs the rules' SQL over one snapshot's tables and turns the rows into findings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use polars::sql::SQLContext;

use super::catalog::{Rule, RuleError, builtin_views};

/// The columns every rule query returns, in any order (extra columns are ignored). A rule may
/// also return `result`: `fail` (the default when the column is absent) or `not_evaluated`
/// (the data the rule needs could not be read; `details` says why).
pub const RULE_OUTPUT_COLUMNS: &[&str] = &[
    "connector",
    "organization",
    "project_id",
    "project",
    "resource_id",
    "resource_name",
    "details",
];

/// Where a finding stands against the previous snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// Failing now, not failing in the previous snapshot.
    New,
    /// Failing now and in the previous snapshot.
    Persisting,
    /// Failing in the previous snapshot, passing now.
    Resolved,
    /// The data the rule needs could not be read.
    NotEvaluated,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::New => "new",
            FindingStatus::Persisting => "persisting",
            FindingStatus::Resolved => "resolved",
            FindingStatus::NotEvaluated => "not_evaluated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "new" => FindingStatus::New,
            "persisting" => FindingStatus::Persisting,
            "resolved" => FindingStatus::Resolved,
            "not_evaluated" => FindingStatus::NotEvaluated,
            _ => return None,
        })
    }

    /// Failing now (new or persisting).
    pub fn is_failing(self) -> bool {
        matches!(self, FindingStatus::New | FindingStatus::Persisting)
    }
}

/// One (rule, resource) pair: failing a recommendation, not evaluated, or resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub finding_id: String,
    pub rule_id: String,
    pub severity: super::Severity,
    pub title: String,
    pub resource_kind: String,
    pub connector: String,
    pub organization: String,
    /// Empty for organization-level recommendations.
    pub project_id: String,
    pub project: String,
    pub resource_id: String,
    pub resource_name: String,
    pub status: FindingStatus,
    pub details: String,
    /// First snapshot it was failing in, without a break.
    pub first_seen: NaiveDate,
    /// (reason, last day) of the exemption covering it, if any.
    pub exemption: Option<(String, NaiveDate)>,
}

impl Finding {
    /// Failing now, not exempt: what counts, and what `--fail-on` looks at.
    pub fn is_open(&self) -> bool {
        self.status.is_failing() && self.exemption.is_none()
    }
}

/// Evaluates every rule over `tables` (name → the snapshot's rows) for the snapshot of `date`.
/// A rule that fails to run is returned as an error beside the others' findings, never
/// stopping them. Findings come out `new` (or `not_evaluated`) with `first_seen` = `date`;
/// [`super::history::classify`] sets them against the previous snapshot.
pub fn evaluate(
    rules: &[Rule],
    tables: &BTreeMap<String, LazyFrame>,
    date: NaiveDate,
) -> (Vec<Finding>, Vec<RuleError>) {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut tables = tables.clone();
    let (views, view_errors) = materialize_views(&tables);
    tables.extend(views);
    for e in view_errors {
        tracing::error!("{e}");
        errors.push(e);
    }
    for rule in rules {
        match run_rule(rule, &tables, date) {
            Ok(mut rows) => {
                tracing::debug!(rule = %rule.id, findings = rows.len(), "rule evaluated");
                findings.append(&mut rows);
            }
            Err(e) => {
                tracing::error!("{e}");
                errors.push(e);
            }
        }
    }
    // A resource both failing and not evaluated by one rule (e.g. two rows from two branches
    // of a query) is reported failing: what was read is enough to fail it.
    findings.sort_by(|a, b| {
        (&a.finding_id, a.status != FindingStatus::New)
            .cmp(&(&b.finding_id, b.status != FindingStatus::New))
    });
    findings.dedup_by(|a, b| a.finding_id == b.finding_id);
    (findings, errors)
}

/// Computes each built-in view once over the tables (and the views before it). A view that
/// fails is an error, and the rules reading it fail in turn; the other views still serve.
fn materialize_views(
    tables: &BTreeMap<String, LazyFrame>,
) -> (BTreeMap<String, LazyFrame>, Vec<RuleError>) {
    let mut ctx = SQLContext::new();
    for (name, frame) in tables {
        ctx.register(name, frame.clone());
    }
    let mut views = BTreeMap::new();
    let mut errors = Vec::new();
    let parsed = match builtin_views() {
        Ok(v) => v,
        Err(e) => return (views, vec![e]),
    };
    for view in parsed {
        match ctx.execute(&view.sql).and_then(|f| f.collect()) {
            Ok(df) => {
                let frame = df.lazy();
                ctx.register(&view.name, frame.clone());
                views.insert(view.name.clone(), frame);
            }
            Err(e) => errors.push(RuleError::Query {
                rule: format!("view {}", view.name),
                message: e.to_string(),
            }),
        }
    }
    (views, errors)
}

fn run_rule(
    rule: &Rule,
    tables: &BTreeMap<String, LazyFrame>,
    date: NaiveDate,
) -> Result<Vec<Finding>, RuleError> {
    let query_error = |e: PolarsError| RuleError::Query {
        rule: rule.id.clone(),
        message: e.to_string(),
    };
    let mut ctx = SQLContext::new();
    for (name, frame) in tables {
        ctx.register(name, frame.clone());
    }
    let df = ctx
        .execute(&rule.sql)
        .and_then(|f| f.collect())
        .map_err(query_error)?;
    let text = |name: &str| -> Result<StringChunked, RuleError> {
        let column = df.column(name).map_err(query_error)?;
        let column = column.cast(&DataType::String).map_err(query_error)?;
        Ok(column.str().map_err(query_error)?.clone())
    };
    let columns = RULE_OUTPUT_COLUMNS
        .iter()
        .map(|c| text(c))
        .collect::<Result<Vec<_>, _>>()?;
    let result = match df.column("result") {
        Ok(_) => Some(text("result")?),
        Err(_) => None,
    };
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let cell = |c: usize| columns[c].get(i).unwrap_or_default().to_string();
        let status = match result.as_ref().and_then(|r| r.get(i)) {
            None | Some("fail") => FindingStatus::New,
            Some("not_evaluated") => FindingStatus::NotEvaluated,
            Some(other) => {
                return Err(RuleError::Query {
                    rule: rule.id.clone(),
                    message: format!(
                        "column `result` is '{other}'; it must be 'fail' or 'not_evaluated'"
                    ),
                });
            }
        };
        let (connector, organization, resource_id) = (cell(0), cell(1), cell(4));
        let finding_id = format!("{}:{connector}/{organization}/{resource_id}", rule.id);
        out.push(Finding {
            finding_id,
            rule_id: rule.id.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            resource_kind: rule.resource_kind.clone(),
            connector,
            organization,
            project_id: cell(2),
            project: cell(3),
            resource_id,
            resource_name: cell(5),
            status,
            details: cell(6),
            first_seen: date,
            exemption: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::builtin_rules;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    const MIN_REVIEWERS: &str = "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd";

    fn repositories(rows: &[(&str, &str, Option<&str>, bool)]) -> LazyFrame {
        let n = rows.len();
        df!(
            "connector" => vec!["c"; n],
            "organization" => vec!["o"; n],
            "project_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "project" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "repository_id" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "repository" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "default_branch" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "is_disabled" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
    }

    /// (project, repository scope, ref, match kind, min approvers, creator votes, enabled, blocking)
    type PolicyRow<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        i64,
        bool,
        bool,
        bool,
    );

    fn policies(rows: &[PolicyRow<'_>]) -> LazyFrame {
        let n = rows.len();
        df!(
            "connector" => vec!["c"; n],
            "organization" => vec!["o"; n],
            "project_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "policy_id" => (0..n as i64).collect::<Vec<_>>(),
            "policy_type_id" => vec![MIN_REVIEWERS; n],
            "policy_type" => vec!["Minimum number of reviewers"; n],
            "reset_on_source_push" => vec![true; n],
            "is_enabled" => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
            "is_blocking" => rows.iter().map(|r| r.7).collect::<Vec<_>>(),
            "is_deleted" => vec![false; n],
            "scope_repository_id" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            "scope_ref_name" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            "scope_match_kind" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            "min_approver_count" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            "creator_vote_counts" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        )
        .unwrap()
        .lazy()
    }

    /// An empty crawl_coverage table: every resource kind was read.
    fn no_coverage_gaps() -> LazyFrame {
        let empty = Vec::<&str>::new;
        df!(
            "connector" => empty(),
            "organization" => empty(),
            "project_id" => empty(),
            "project" => empty(),
            "resource_kind" => empty(),
            "status" => empty(),
            "reason" => empty(),
        )
        .unwrap()
        .lazy()
    }

    /// An empty advanced_security table (the views read it).
    fn no_advanced_security() -> LazyFrame {
        let text = Vec::<&str>::new;
        let flag = Vec::<bool>::new;
        df!(
            "connector" => text(),
            "organization" => text(),
            "project_id" => text(),
            "project" => text(),
            "repository_id" => text(),
            "repository" => text(),
            "status" => text(),
            "code_security_enabled" => flag(),
            "secret_protection_enabled" => flag(),
            "block_pushes" => flag(),
            "alerts_status" => text(),
            "alerts_reason" => text(),
        )
        .unwrap()
        .lazy()
    }

    fn failing(rule_id: &str, repos: LazyFrame, pols: LazyFrame) -> Vec<String> {
        let rules: Vec<Rule> = builtin_rules()
            .unwrap()
            .into_iter()
            .filter(|r| r.id == rule_id)
            .collect();
        let tables = BTreeMap::from([
            ("repositories".to_string(), repos),
            ("branch_policies".to_string(), pols),
            ("crawl_coverage".to_string(), no_coverage_gaps()),
            ("advanced_security".to_string(), no_advanced_security()),
        ]);
        let (findings, errors) = evaluate(&rules, &super::super::cases::complete(tables), day());
        assert!(errors.is_empty(), "{errors:?}");
        findings.into_iter().map(|f| f.resource_id).collect()
    }

    fn scope_cases() -> (LazyFrame, LazyFrame) {
        let main = Some("refs/heads/main");
        let repos = repositories(&[
            ("p1", "exact-ok", main, false),
            ("p1", "prefix-ok", main, false),
            ("p1", "other-branch", main, false),
            ("p1", "disabled-policy", main, false),
            ("p1", "advisory-policy", main, false),
            ("p1", "one-reviewer", main, false),
            ("p1", "creator-votes", main, false),
            ("p2", "project-wide-ok", main, false),
            (
                "p2",
                "project-wide-wrong-ref",
                Some("refs/heads/master"),
                false,
            ),
            (
                "p3",
                "default-branch-kind-ok",
                Some("refs/heads/dev"),
                false,
            ),
            ("p3", "empty", None, false),
            ("p3", "disabled-repo", main, true),
        ]);
        let pols = policies(&[
            ("p1", Some("exact-ok"), main, "Exact", 2, false, true, true),
            (
                "p1",
                Some("prefix-ok"),
                Some("refs/heads/"),
                "Prefix",
                3,
                false,
                true,
                true,
            ),
            (
                "p1",
                Some("other-branch"),
                Some("refs/heads/release"),
                "Exact",
                2,
                false,
                true,
                true,
            ),
            (
                "p1",
                Some("disabled-policy"),
                main,
                "Exact",
                2,
                false,
                false,
                true,
            ),
            (
                "p1",
                Some("advisory-policy"),
                main,
                "Exact",
                2,
                false,
                true,
                false,
            ),
            (
                "p1",
                Some("one-reviewer"),
                main,
                "Exact",
                1,
                false,
                true,
                true,
            ),
            (
                "p1",
                Some("creator-votes"),
                main,
                "Exact",
                2,
                true,
                true,
                true,
            ),
            ("p2", None, main, "Exact", 2, false, true, true),
            (
                "p3",
                Some("default-branch-kind-ok"),
                None,
                "DefaultBranch",
                2,
                false,
                true,
                true,
            ),
        ]);
        (repos, pols)
    }

    #[test]
    fn two_reviewers_rule_resolves_scopes_exactly() {
        let (repos, pols) = scope_cases();
        let mut got = failing("ADO-REPO-001", repos, pols);
        got.sort();
        assert_eq!(
            got,
            [
                "advisory-policy",
                "disabled-policy",
                "one-reviewer",
                "other-branch",
                "project-wide-wrong-ref"
            ]
        );
    }

    #[test]
    fn requestor_approval_rule_resolves_scopes_exactly() {
        let (repos, pols) = scope_cases();
        let mut got = failing("ADO-REPO-002", repos, pols);
        got.sort();
        // Only repositories a minimum-reviewers policy covers are judged: the others are
        // ADO-REPO-001's finding (one root cause, one finding).
        assert_eq!(got, ["creator-votes"]);
    }

    #[test]
    fn a_broken_rule_is_reported_and_the_others_run() {
        let mut rules: Vec<Rule> = builtin_rules()
            .unwrap()
            .into_iter()
            .filter(|r| r.id == "ADO-REPO-001" || r.id == "ADO-REPO-002")
            .collect();
        let mut broken = rules[0].clone();
        broken.id = "BROKEN".into();
        broken.sql = "SELECT nope FROM missing_table".into();
        rules.push(broken);
        let (repos, pols) = scope_cases();
        let tables = BTreeMap::from([
            ("repositories".to_string(), repos),
            ("branch_policies".to_string(), pols),
            ("crawl_coverage".to_string(), no_coverage_gaps()),
            ("advanced_security".to_string(), no_advanced_security()),
        ]);
        let (findings, errors) = evaluate(&rules, &super::super::cases::complete(tables), day());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("BROKEN"));
        assert!(!findings.is_empty());
    }
}
