//! Every built-in rule against hand-written resources, kept beside the rule:
//! `sql/rules/<ID>.cases.json` holds its cases, each a few rows of the tables it reads and what
//! the rule must say of each resource id (`pass`, `fail` or `not_evaluated`). One generic test
//! runs them all; a rule without a case file, or without a passing and a failing resource,
//! fails `every_rule_has_cases_with_a_pass_and_a_fail`.
//!
//! Rows name only the columns that matter: a missing column is null (the context columns
//! default to `c` / `o` / `run`, `project` to `project_id`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{FindingStatus, Rule, builtin_rules, evaluate};
use crate::tables::{ALL_TABLES, ColumnType, TableDef};

/// A rule's case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    rule: String,
    cases: Vec<RuleCase>,
}

/// One case: rows of some tables (every other table is empty) and the expected result per
/// resource id ("pass" means no finding).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleCase {
    /// What the case shows, and why.
    about: String,
    tables: BTreeMap<String, Vec<Json>>,
    expect: BTreeMap<String, String>,
}

/// Every built-in rule with its case file.
fn rules_with_cases() -> Vec<(Rule, CaseFile)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/rules");
    builtin_rules()
        .unwrap()
        .into_iter()
        .map(|rule| {
            let path = dir.join(format!("{}.cases.json", rule.id));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (every rule has its cases beside it)",
                    path.display()
                )
            });
            let file: CaseFile =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(file.rule, rule.id, "{}", path.display());
            (rule, file)
        })
        .collect()
}

/// Every table of the dataset as a frame of `tables`' rows (empty unless given).
fn frames(tables: &BTreeMap<String, Vec<Json>>) -> BTreeMap<String, LazyFrame> {
    for name in tables.keys() {
        assert!(
            ALL_TABLES.iter().any(|t| t.name == name),
            "a case names a table that does not exist: {name}"
        );
    }
    ALL_TABLES
        .iter()
        .map(|def| {
            let rows = tables.get(def.name).cloned().unwrap_or_default();
            (def.name.to_string(), frame(def, &rows))
        })
        .collect()
}

pub(crate) fn frame(def: &TableDef, rows: &[Json]) -> LazyFrame {
    let columns: Vec<Column> = def
        .all_columns()
        .iter()
        .map(|c| {
            let cell = |r: &Json| -> Json {
                match (r.get(c.name), c.name) {
                    (Some(v), _) => v.clone(),
                    (None, "connector") => json!("c"),
                    (None, "organization") => json!("o"),
                    (None, "run_id") => json!("run"),
                    (None, "project") => r.get("project_id").cloned().unwrap_or(Json::Null),
                    _ => Json::Null,
                }
            };
            let name = PlSmallStr::from(c.name);
            match c.column_type {
                ColumnType::Utf8 => Column::new(
                    name,
                    rows.iter()
                        .map(|r| cell(r).as_str().map(str::to_string))
                        .collect::<Vec<_>>(),
                ),
                ColumnType::Int64 | ColumnType::TimestampUtc => Column::new(
                    name,
                    rows.iter().map(|r| cell(r).as_i64()).collect::<Vec<_>>(),
                ),
                ColumnType::Boolean => Column::new(
                    name,
                    rows.iter().map(|r| cell(r).as_bool()).collect::<Vec<_>>(),
                ),
                ColumnType::Date => Column::new(
                    name,
                    rows.iter()
                        .map(|r| cell(r).as_i64().map(|d| d as i32))
                        .collect::<Vec<_>>(),
                ),
            }
        })
        .collect();
    DataFrame::new(rows.len(), columns).unwrap().lazy()
}

/// Every table of the dataset in `tables`: a missing table is added empty with its real schema,
/// and a hand-built one gets each column it lacks as nulls of the declared type.
pub(super) fn complete(mut tables: BTreeMap<String, LazyFrame>) -> BTreeMap<String, LazyFrame> {
    for def in ALL_TABLES.iter() {
        let Some(lf) = tables.remove(def.name) else {
            tables.insert(def.name.to_string(), frame(def, &[]));
            continue;
        };
        let mut lf = lf;
        let have = lf.collect_schema().unwrap();
        let missing: Vec<Expr> = def
            .all_columns()
            .iter()
            .filter(|c| !have.contains(c.name))
            .map(|c| {
                let dtype = match c.column_type {
                    ColumnType::Utf8 => DataType::String,
                    ColumnType::Int64 | ColumnType::TimestampUtc => DataType::Int64,
                    ColumnType::Boolean => DataType::Boolean,
                    ColumnType::Date => DataType::Int32,
                };
                lit(NULL).cast(dtype).alias(c.name)
            })
            .collect();
        tables.insert(def.name.to_string(), lf.with_columns(missing));
    }
    tables
}

/// What `rule` says of each resource id in `case` ("pass" when it has no finding).
fn outcome(rule: &Rule, case: &RuleCase) -> BTreeMap<String, &'static str> {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let (findings, errors) = evaluate(std::slice::from_ref(rule), &frames(&case.tables), day);
    assert!(errors.is_empty(), "{}: {errors:#?}", rule.id);
    findings
        .into_iter()
        .map(|f| {
            let result = match f.status {
                FindingStatus::NotEvaluated => "not_evaluated",
                _ => "fail",
            };
            (f.resource_id, result)
        })
        .collect()
}

#[test]
fn every_rule_passes_fails_and_is_not_evaluated_as_its_cases_say() {
    let mut wrong = Vec::new();
    for (rule, file) in rules_with_cases() {
        for (n, case) in file.cases.iter().enumerate() {
            let got = outcome(&rule, case);
            for (resource, wanted) in &case.expect {
                let actual = got.get(resource).copied().unwrap_or("pass");
                if actual != wanted {
                    wrong.push(format!(
                        "{} case {n} ({}): {resource} is {actual}, the case says {wanted}; all: {got:?}",
                        rule.id, case.about
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_rule_has_cases_with_a_pass_and_a_fail() {
    let rules = rules_with_cases();
    for (rule, file) in &rules {
        let results: Vec<&str> = file
            .cases
            .iter()
            .flat_map(|c| c.expect.values().map(String::as_str))
            .collect();
        for r in &results {
            assert!(
                ["pass", "fail", "not_evaluated"].contains(r),
                "{}: unknown result {r}",
                rule.id
            );
        }
        assert!(
            results.contains(&"pass") && results.contains(&"fail"),
            "{} needs a case with a passing and a failing resource",
            rule.id
        );
    }
    // No case file without its rule (a renamed or removed rule leaves none behind).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/rules");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(id) = name.strip_suffix(".cases.json") {
            assert!(rules.iter().any(|(r, _)| r.id == id), "{name} has no rule");
        }
    }
}
