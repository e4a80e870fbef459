//! The snapshot's findings as the reports list them, read one rule and organization at a time.
//!
//! A large estate has hundreds of thousands of findings; the reports never hold them all. They
//! are read in report order (severity, rule, organization, project, resource name) in chunks of
//! one rule's findings in one organization, each sorted by Polars. findings.csv is written chunk
//! by chunk, and the HTML lists stop reading once they have their rows.

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::ReportError;
use crate::tables::findings::FINDINGS;

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

/// Position of a severity in report order.
pub fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

/// The snapshot's findings partition, and its (rule, organization) pairs in report order.
#[derive(Clone)]
pub struct OrderedFindings {
    frame: LazyFrame,
    snapshot_date: String,
    /// (rule id, organization) pairs present in the partition, by severity, rule id and
    /// organization: each is one chunk, and the findings files are per organization, so a
    /// chunk's scan reads one file.
    chunks: Vec<(String, String)>,
}

impl std::fmt::Debug for OrderedFindings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderedFindings")
            .field("snapshot_date", &self.snapshot_date)
            .field("chunks", &self.chunks.len())
            .finish_non_exhaustive()
    }
}

impl OrderedFindings {
    pub fn new(frame: LazyFrame, snapshot_date: String) -> Result<Self, ReportError> {
        let df = frame
            .clone()
            .group_by([col("rule_id"), col("severity"), col("organization")])
            .agg([len()])
            .select([col("rule_id"), col("severity"), col("organization")])
            .collect()?;
        let ids = df.column("rule_id")?.str()?.clone();
        let severities = df.column("severity")?.str()?.clone();
        let organizations = df.column("organization")?.str()?.clone();
        let mut chunks: Vec<(u8, String, String)> = (0..df.height())
            .filter_map(|i| {
                Some((
                    severity_rank(severities.get(i).unwrap_or_default()),
                    ids.get(i)?.to_string(),
                    organizations.get(i)?.to_string(),
                ))
            })
            .collect();
        chunks.sort();
        chunks.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
        Ok(OrderedFindings {
            frame,
            snapshot_date,
            chunks: chunks.into_iter().map(|(_, id, org)| (id, org)).collect(),
        })
    }

    /// Hands the rows matching `filter` to `each`, one rule's rows of one organization at a
    /// time in report order, until `each` returns false.
    pub fn for_each_chunk(
        &self,
        filter: Expr,
        mut each: impl FnMut(Vec<FindingRow>) -> Result<bool, ReportError>,
    ) -> Result<(), ReportError> {
        let columns = finding_columns();
        for (rule, organization) in &self.chunks {
            let df = self
                .frame
                .clone()
                .filter(
                    col("rule_id")
                        .eq(lit(rule.clone()))
                        .and(col("organization").eq(lit(organization.clone())))
                        .and(filter.clone()),
                )
                .select(
                    columns
                        .iter()
                        .map(|c| col(*c).cast(DataType::String))
                        .collect::<Vec<_>>(),
                )
                .sort_by_exprs(
                    [col("project"), col("resource_name")],
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
            let rows = (0..df.height())
                .map(|i| FindingRow {
                    snapshot_date: self.snapshot_date.clone(),
                    values: cols
                        .iter()
                        .map(|c| c.get(i).unwrap_or_default().to_string())
                        .collect(),
                })
                .collect();
            if !each(rows)? {
                break;
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
