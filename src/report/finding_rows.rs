//! The snapshot's findings as the reports list them, read one rule at a time.
//!
//! A large estate has hundreds of thousands of findings; the reports never hold them all. They
//! are read in report order (severity, rule, organization, project, resource name) one rule at a
//! time: the rules in severity and id order, each rule's rows sorted by Polars. findings.csv is
//! written chunk by chunk, and the HTML lists stop reading once they have their rows.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::ReportError;
use crate::tables::findings::FINDINGS;

/// Rows [`OrderedFindings::for_each_chunk`] hands over at a time.
const CHUNK_ROWS: usize = 4096;

/// One finding, with every column of the findings table (as text, in schema order). Serialized
/// as `{snapshot_date, values: {column: value}}` for the templates.
#[derive(Debug, Clone)]
pub struct FindingRow {
    pub snapshot_date: String,
    values: Vec<String>,
}

/// The findings table's column names, in schema order (the index into [`FindingRow`]).
pub fn finding_columns() -> &'static [&'static str] {
    static COLUMNS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| FINDINGS.all_columns().iter().map(|c| c.name).collect())
}

impl FindingRow {
    /// The value of a findings-table column ("" when null).
    pub fn get(&self, column: &str) -> &str {
        finding_columns()
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.values.get(i))
            .map(String::as_str)
            .unwrap_or_default()
    }
}

impl Serialize for FindingRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let values: BTreeMap<&str, &str> = finding_columns()
            .iter()
            .copied()
            .zip(self.values.iter().map(String::as_str))
            .collect();
        let mut state = serializer.serialize_struct("FindingRow", 2)?;
        state.serialize_field("snapshot_date", &self.snapshot_date)?;
        state.serialize_field("values", &values)?;
        state.end()
    }
}

/// The first rows of a list of findings, and how many it has.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingList {
    pub rows: Vec<FindingRow>,
    pub total: u64,
}

/// Position of a severity in report order; an unknown one after every known one.
pub fn severity_rank(severity: &str) -> u8 {
    crate::rules::Severity::parse(severity).map_or(4, crate::rules::Severity::rank)
}

/// The snapshot's findings partition, and its rules in report order.
#[derive(Clone)]
pub struct OrderedFindings {
    frame: LazyFrame,
    snapshot_date: String,
    /// Rule ids present in the partition, by severity then id.
    rules: Vec<String>,
}

impl std::fmt::Debug for OrderedFindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderedFindings")
            .field("snapshot_date", &self.snapshot_date)
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl OrderedFindings {
    pub fn new(frame: LazyFrame, snapshot_date: String) -> Result<Self, ReportError> {
        let df = frame
            .clone()
            .group_by([col("rule_id"), col("severity")])
            .agg([len()])
            .select([col("rule_id"), col("severity")])
            .collect()?;
        let ids = df.column("rule_id")?.str()?.clone();
        let severities = df.column("severity")?.str()?.clone();
        let mut rules: Vec<(u8, String)> = (0..df.height())
            .filter_map(|i| {
                Some((
                    severity_rank(severities.get(i).unwrap_or_default()),
                    ids.get(i)?.to_string(),
                ))
            })
            .collect();
        rules.sort();
        rules.dedup_by(|a, b| a.1 == b.1);
        Ok(OrderedFindings {
            frame,
            snapshot_date,
            rules: rules.into_iter().map(|(_, id)| id).collect(),
        })
    }

    /// Hands the rows matching `filter` to `each` in report order, at most [`CHUNK_ROWS`] of
    /// one rule at a time, until `each` returns false.
    pub fn for_each_chunk(
        &self,
        filter: Expr,
        mut each: impl FnMut(Vec<FindingRow>) -> Result<bool, ReportError>,
    ) -> Result<(), ReportError> {
        let columns = finding_columns();
        for rule in &self.rules {
            let df = self
                .frame
                .clone()
                .filter(col("rule_id").eq(lit(rule.clone())).and(filter.clone()))
                .select(
                    columns
                        .iter()
                        .map(|c| col(*c).cast(DataType::String))
                        .collect::<Vec<_>>(),
                )
                .sort_by_exprs(
                    [col("organization"), col("project"), col("resource_name")],
                    SortMultipleOptions::default().with_maintain_order(true),
                )
                .collect()?;
            if df.height() == 0 {
                continue;
            }
            let cols = columns
                .iter()
                .map(|c| Ok(df.column(c)?.str()?.clone()))
                .collect::<PolarsResult<Vec<_>>>()?;
            // A rule may match every repository of the estate: its rows go as owned strings a
            // slice at a time, not all at once (a 100,000-row rule was ~100 MB of them).
            for start in (0..df.height()).step_by(CHUNK_ROWS) {
                let end = df.height().min(start.saturating_add(CHUNK_ROWS));
                let rows = (start..end)
                    .map(|i| FindingRow {
                        snapshot_date: self.snapshot_date.clone(),
                        values: cols
                            .iter()
                            .map(|c| c.get(i).unwrap_or_default().to_string())
                            .collect(),
                    })
                    .collect();
                if !each(rows)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The first `max` rows matching `filter` in report order, and how many match.
    pub fn list(&self, filter: Expr, max: usize) -> Result<FindingList, ReportError> {
        let total = self
            .frame
            .clone()
            .filter(filter.clone())
            .select([len().cast(DataType::UInt64).alias("n")])
            .collect()?;
        let total = total.column("n")?.u64()?.get(0).unwrap_or(0);
        let mut rows = Vec::new();
        if max > 0 && total > 0 {
            self.for_each_chunk(filter, |chunk| {
                rows.extend(chunk.into_iter().take(max - rows.len()));
                Ok(rows.len() < max)
            })?;
        }
        Ok(FindingList { rows, total })
    }
}
