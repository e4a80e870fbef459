//! SQL over the dataset with Polars: every table by name over all its snapshots (with a
//! `snapshot_date` column), and `latest_<table>` for its newest snapshot.

use polars::prelude::*;
use polars::sql::SQLContext;

use super::{Dataset, DatasetError, scan_files};
use crate::tables::ALL_TABLES;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("query: {0}")]
    Polars(#[from] PolarsError),
    #[error("query: the dataset at {0} has no snapshot: run the job first")]
    Empty(std::path::PathBuf),
}

/// A query's result as text cells, ready for any output format.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    /// Cells as text; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

/// A SQL context with the dataset's tables registered.
pub fn context(dataset: &Dataset) -> Result<SQLContext, QueryError> {
    let ctx = SQLContext::new();
    let mut any = false;
    for table in ALL_TABLES {
        let dates = dataset.snapshot_dates(table.name)?;
        let mut frames = Vec::new();
        for date in &dates {
            let files = dataset.partition_files(table.name, *date)?;
            if files.is_empty() {
                continue;
            }
            frames.push(
                scan_files(&files)?
                    .with_column(lit(*date).cast(DataType::Date).alias("snapshot_date")),
            );
        }
        let Some(latest) = frames.last().cloned() else {
            continue;
        };
        any = true;
        let all = if frames.len() == 1 {
            latest.clone()
        } else {
            concat(frames, UnionArgs::default())?
        };
        ctx.register(table.name, all);
        ctx.register(&format!("latest_{}", table.name), latest);
    }
    if !any {
        return Err(QueryError::Empty(dataset.root().to_path_buf()));
    }
    Ok(ctx)
}

/// Runs one SQL statement over the dataset.
pub fn run(dataset: &Dataset, sql: &str) -> Result<QueryResult, QueryError> {
    let mut ctx = context(dataset)?;
    let df = ctx.execute(sql)?.collect()?;
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut cells = Vec::with_capacity(columns.len());
    for name in &columns {
        let column = df.column(name)?;
        let text = match column.dtype() {
            DataType::Boolean => {
                let values = column.bool()?.clone();
                (0..values.len())
                    .map(|i| values.get(i).map(|b| b.to_string()))
                    .collect::<Vec<_>>()
            }
            _ => {
                let as_text = column.cast(&DataType::String)?;
                let values = as_text.str()?.clone();
                (0..values.len())
                    .map(|i| values.get(i).map(str::to_string))
                    .collect()
            }
        };
        cells.push(text);
    }
    let rows = (0..df.height())
        .map(|i| cells.iter().map(|c| c[i].clone()).collect())
        .collect();
    Ok(QueryResult { columns, rows })
}

impl QueryResult {
    /// An aligned text table (NULL shown as `null`), with untrusted text's control characters
    /// replaced so a name cannot rewrite the terminal.
    pub fn to_table(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect()
        };
        let shown: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| c.as_deref().map_or("null".to_string(), clean))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                shown
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([name.chars().count()])
                    .max()
                    .unwrap_or(0)
                    .min(80)
            })
            .collect();
        let line = |cells: Vec<&str>| -> String {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| {
                    let c: String = c.chars().take(*w).collect();
                    format!("{c:<w$}")
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = line(self.columns.iter().map(String::as_str).collect());
        out.push('\n');
        out.push_str(&line(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
        ));
        out.push('\n');
        for r in &shown {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
            out.push('\n');
        }
        out.push_str(&format!("({} rows)\n", self.rows.len()));
        out
    }

    /// JSON: an array of objects, column name → text (or null).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        self.columns
                            .iter()
                            .zip(r)
                            .map(|(c, v)| {
                                (
                                    c.clone(),
                                    v.clone()
                                        .map_or(serde_json::Value::Null, serde_json::Value::String),
                                )
                            })
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}
