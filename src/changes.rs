//! The change feed: what changed in the estate since the previous snapshot. For every table with
//! a [`Watch`] it compares the two snapshots by resource key (one portable SQL query per table,
//! generated from the declaration) and lists the resources added, removed, and each watched
//! attribute that changed with its value before and after.

use std::collections::BTreeMap;

use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::tables::findings::CHANGES;
use crate::tables::{ALL_TABLES, RowContext, TableBuilder, TableDef, TableError, Value, Watch};

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("change feed of {table}: {source}")]
    Query {
        table: &'static str,
        source: PolarsError,
    },
    #[error(transparent)]
    Table(#[from] TableError),
}

/// The `changes` rows between the `previous` snapshot (of `previous_date`) and the `current`
/// one, both as frames by table name; empty when there is no previous snapshot.
pub fn between(
    run_id: &str,
    previous: Option<(NaiveDate, &BTreeMap<String, LazyFrame>)>,
    current: &BTreeMap<String, LazyFrame>,
) -> Result<RecordBatch, ChangeError> {
    let mut builder = TableBuilder::new(&CHANGES);
    let Some((previous_date, previous)) = previous else {
        return Ok(builder.finish()?);
    };
    let days = previous_date.num_days_from_ce() - crate::rules::history::UNIX_EPOCH_DAYS_FROM_CE;
    for def in ALL_TABLES.iter() {
        let Some(watch) = def.watch else { continue };
        let (Some(cur), Some(prev)) = (current.get(def.name), previous.get(def.name)) else {
            continue;
        };
        let frame = compare_by_organization(def, &watch, cur, prev)?;
        let text = |name: &str| -> Result<Vec<Option<String>>, ChangeError> {
            let column = frame
                .column(name)
                .and_then(|c| c.cast(&DataType::String))
                .map_err(|source| ChangeError::Query {
                    table: def.name,
                    source,
                })?;
            let strings = column.str().map_err(|source| ChangeError::Query {
                table: def.name,
                source,
            })?;
            Ok((0..strings.len())
                .map(|i| strings.get(i).map(str::to_string))
                .collect())
        };
        let columns: Vec<Vec<Option<String>>> = [
            "connector",
            "organization",
            "resource_key",
            "resource_name",
            "project_id",
            "project",
            "change",
            "attribute",
            "before",
            "after",
        ]
        .iter()
        .map(|c| text(c))
        .collect::<Result<_, _>>()?;
        for row in 0..frame.height() {
            let cell = |c: usize| columns.get(c).and_then(|v| v.get(row)).cloned().flatten();
            let (connector, organization) =
                (cell(0).unwrap_or_default(), cell(1).unwrap_or_default());
            let ctx = RowContext {
                run_id,
                connector: &connector,
                organization: &organization,
                project: None,
            };
            let values = [2, 3, 4, 5, 6, 7, 8, 9].map(cell);
            builder.push(
                &ctx,
                &[
                    Value::Str(Some(def.name)),
                    Value::Str(Some(values[0].as_deref().unwrap_or_default())),
                    Value::Str(values[1].as_deref()),
                    Value::Str(values[2].as_deref()),
                    Value::Str(values[3].as_deref()),
                    Value::Str(Some(values[4].as_deref().unwrap_or_default())),
                    Value::Str(values[5].as_deref()),
                    Value::Str(values[6].as_deref()),
                    Value::Str(values[7].as_deref()),
                    Value::Date(Some(days)),
                ],
            )?;
        }
    }
    Ok(builder.finish()?)
}

/// One table's changes, sorted by resource key, change and attribute. The two snapshots are
/// compared one organization at a time (of either snapshot), so memory holds one
/// organization's rows of the table and the changes, not the estate.
fn compare_by_organization(
    def: &TableDef,
    watch: &Watch,
    current: &LazyFrame,
    previous: &LazyFrame,
) -> Result<DataFrame, ChangeError> {
    let query_error = |source| ChangeError::Query {
        table: def.name,
        source,
    };
    let organizations = concat(
        [current.clone(), previous.clone()]
            .map(|f| f.select([col("connector"), col("organization")])),
        UnionArgs::default(),
    )
    .and_then(|f| f.unique_stable(None, UniqueKeepStrategy::First).collect())
    .map_err(query_error)?;
    let connectors = organizations
        .column("connector")
        .and_then(|c| c.str().cloned());
    let names = organizations
        .column("organization")
        .and_then(|c| c.str().cloned());
    let (connectors, names) = (
        connectors.map_err(query_error)?,
        names.map_err(query_error)?,
    );
    let mut changes = Vec::new();
    for i in 0..organizations.height() {
        let (Some(connector), Some(organization)) = (connectors.get(i), names.get(i)) else {
            continue;
        };
        let only = |frame: &LazyFrame| {
            frame
                .clone()
                .filter(crate::tables::of_organization(connector, organization))
        };
        let mut ctx = polars::sql::SQLContext::new();
        ctx.register("cur", only(current));
        ctx.register("prev", only(previous));
        let found = ctx
            .execute(&change_query(def, watch))
            .and_then(|lf| lf.collect())
            .map_err(query_error)?;
        changes.push(found.lazy());
    }
    if changes.is_empty() {
        let mut ctx = polars::sql::SQLContext::new();
        ctx.register("cur", current.clone());
        ctx.register("prev", previous.clone());
        changes.push(
            ctx.execute(&change_query(def, watch))
                .map_err(query_error)?,
        );
    }
    concat(changes, UnionArgs::default())
        .and_then(|lf| {
            lf.sort(
                ["resource_key", "change", "attribute"],
                SortMultipleOptions::default().with_nulls_last(true),
            )
            .collect()
        })
        .map_err(query_error)
}

/// The SQL that compares `cur` with `prev` for one table: resources added, removed, and one
/// branch per watched attribute for those that changed (nulls compared as values).
pub fn change_query(def: &TableDef, watch: &Watch) -> String {
    let mut identity = vec!["connector", "organization"];
    if def.project_scoped {
        identity.push("project_id");
    }
    for k in watch.key {
        if !identity.contains(k) {
            identity.push(k);
        }
    }
    let on = identity
        .iter()
        .map(|k| format!("c.{k} = p.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let key_parts: Vec<&str> = if watch.key.is_empty() {
        vec!["project_id"]
    } else {
        watch.key.to_vec()
    };
    let key = |side: &str| {
        key_parts
            .iter()
            .map(|k| format!("CAST({side}.{k} AS STRING)"))
            .collect::<Vec<_>>()
            .join(" || '/' || ")
    };
    let project = |side: &str| {
        if def.project_scoped {
            format!("{side}.project_id AS project_id, {side}.project AS project")
        } else {
            "CAST(NULL AS STRING) AS project_id, CAST(NULL AS STRING) AS project".to_string()
        }
    };
    let head = |side: &str| {
        format!(
            "SELECT {side}.connector AS connector, {side}.organization AS organization, {} AS resource_key, CAST({side}.{} AS STRING) AS resource_name, {}",
            key(side),
            watch.name,
            project(side)
        )
    };
    let none = "CAST(NULL AS STRING)";
    let mut branches = vec![
        format!(
            "{}, 'added' AS change, {none} AS attribute, {none} AS before, {none} AS after FROM cur c LEFT JOIN prev p ON {on} WHERE p.connector IS NULL",
            head("c")
        ),
        format!(
            "{}, 'removed' AS change, {none} AS attribute, {none} AS before, {none} AS after FROM prev p LEFT JOIN cur c ON {on} WHERE c.connector IS NULL",
            head("p")
        ),
    ];
    for a in watch.attributes {
        branches.push(format!(
            "{}, 'modified' AS change, '{a}' AS attribute, CAST(p.{a} AS STRING) AS before, CAST(c.{a} AS STRING) AS after FROM cur c JOIN prev p ON {on} WHERE (c.{a} IS NULL AND p.{a} IS NOT NULL) OR (c.{a} IS NOT NULL AND p.{a} IS NULL) OR c.{a} <> p.{a}",
            head("c")
        ));
    }
    branches.join("\nUNION ALL\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every watched column exists in its table, and no table watches its key.
    #[test]
    fn watched_columns_exist() {
        for def in ALL_TABLES.iter() {
            let Some(watch) = def.watch else { continue };
            let columns: Vec<&str> = def.all_columns().iter().map(|c| c.name).collect();
            for c in watch
                .key
                .iter()
                .chain(watch.attributes)
                .chain([&watch.name])
            {
                assert!(columns.contains(c), "{}: no column {c}", def.name);
            }
            for a in watch.attributes {
                assert!(!watch.key.contains(a), "{}: {a} is the key", def.name);
            }
        }
    }

    fn frame(def: &TableDef, rows: &[serde_json::Value]) -> LazyFrame {
        crate::rules::test_frame(def, rows)
    }

    /// A policy disabled, one added, one removed, and a project made public.
    #[test]
    fn added_removed_and_modified_resources_are_listed() {
        use crate::tables::inventory::{BRANCH_POLICIES, PROJECTS};
        let policy = |id: i64, enabled: bool, count: i64| serde_json::json!({ "project_id": "p", "project": "P", "policy_id": id, "scope_index": 0, "policy_type": "Minimum number of reviewers", "is_enabled": enabled, "is_blocking": true, "is_deleted": false, "min_approver_count": count });
        let project = |visibility: &str| serde_json::json!({ "project_id": "p", "project": "P", "visibility": visibility, "state": "wellFormed" });
        let mut previous = BTreeMap::new();
        previous.insert(
            "branch_policies".to_string(),
            frame(&BRANCH_POLICIES, &[policy(1, true, 2), policy(2, true, 2)]),
        );
        previous.insert(
            "projects".to_string(),
            frame(&PROJECTS, &[project("private")]),
        );
        let mut current = BTreeMap::new();
        current.insert(
            "branch_policies".to_string(),
            frame(&BRANCH_POLICIES, &[policy(1, false, 1), policy(3, true, 2)]),
        );
        current.insert(
            "projects".to_string(),
            frame(&PROJECTS, &[project("public")]),
        );
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let batch = between("run", Some((day, &previous)), &current).unwrap();
        let column = |name: &str| -> Vec<String> {
            let array = batch.column_by_name(name).unwrap();
            let strings = array
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap();
            strings
                .iter()
                .map(|s| s.unwrap_or("-").to_string())
                .collect()
        };
        let rows: Vec<String> = column("table_name")
            .iter()
            .zip(column("resource_key"))
            .zip(column("change"))
            .zip(column("attribute"))
            .zip(column("before"))
            .zip(column("after"))
            .map(|(((((t, k), c), a), b), f)| format!("{t} {k} {c} {a} {b} {f}"))
            .collect();
        assert_eq!(
            rows,
            [
                "projects p modified visibility private public",
                "branch_policies 1/0 modified is_enabled true false",
                "branch_policies 1/0 modified min_approver_count 2 1",
                "branch_policies 2/0 removed - - -",
                "branch_policies 3/0 added - - -",
            ]
        );
    }

    #[test]
    fn no_previous_snapshot_no_changes() {
        let batch = between("run", None, &BTreeMap::new()).unwrap();
        assert_eq!(batch.num_rows(), 0);
    }
}
