//! SQL over the dataset with Polars: every table by name over all its snapshots (with a
//! `snapshot_date` column), and `latest_<table>` for its newest snapshot.

use polars::prelude::*;
use polars::sql::SQLContext;

use super::{Dataset, DatasetError};
use crate::tables::ALL_TABLES;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The SQL could not be run: a mistake in the query (exit 2).
    #[error("query: {message}")]
    Sql { message: String },
    #[error("query: {0}")]
    Polars(PolarsError),
    #[error("query: the dataset at {0} has no snapshot: run the job first")]
    Empty(std::path::PathBuf),
    #[error("query: there is no snapshot of {0}")]
    NoSnapshot(chrono::NaiveDate),
}

impl From<PolarsError> for QueryError {
    fn from(e: PolarsError) -> Self {
        QueryError::Polars(e)
    }
}

/// Which snapshots the plain table names read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Snapshots {
    /// Every table over all its snapshots, with `snapshot_date`; `latest_<table>` the newest.
    #[default]
    All,
    /// The plain names read the newest snapshot only (as the rules see it).
    Latest,
    /// The plain names read this snapshot only.
    On(chrono::NaiveDate),
}

/// A query's result: typed cells (JSON values) in column order, ready for any output format.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    /// Cells: null, booleans, numbers, strings; dates as `YYYY-MM-DD`, timestamps RFC 3339.
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// One scan over every file of a table, `snapshot_date` from the Hive partition folder.
fn scan_table(
    dataset: &Dataset,
    table: &str,
    dates: &[chrono::NaiveDate],
) -> Result<Option<LazyFrame>, QueryError> {
    let mut files = Vec::new();
    for date in dates {
        files.extend(dataset.partition_files(table, *date)?);
    }
    if files.is_empty() {
        return Ok(None);
    }
    let paths: Vec<PlRefPath> = files
        .iter()
        .map(|f| PlRefPath::try_from_path(f))
        .collect::<PolarsResult<_>>()?;
    let args = ScanArgsParquet {
        glob: false,
        hive_options: HiveOptions {
            enabled: Some(true),
            hive_start_idx: 0,
            schema: Some(std::sync::Arc::new(Schema::from_iter([Field::new(
                "snapshot_date".into(),
                DataType::Date,
            )]))),
            try_parse_dates: true,
        },
        ..Default::default()
    };
    Ok(Some(LazyFrame::scan_parquet_files(
        paths.into_iter().collect(),
        args,
    )?))
}

/// A SQL context with the dataset's tables (and the built-in views, over the newest
/// snapshot or the one asked for) registered.
pub fn context(dataset: &Dataset, snapshots: Snapshots) -> Result<SQLContext, QueryError> {
    let mut ctx = SQLContext::new();
    let mut any = false;
    for table in ALL_TABLES.iter() {
        let dates = dataset.snapshot_dates(table.name)?;
        let Some(all) = scan_table(dataset, table.name, &dates)? else {
            continue;
        };
        let Some(newest) = dates.last().copied() else {
            continue;
        };
        any = true;
        let on = |date: chrono::NaiveDate| {
            all.clone()
                .filter(col("snapshot_date").eq(lit(date).cast(DataType::Date)))
        };
        let latest = on(newest);
        let plain = match snapshots {
            Snapshots::All => all.clone(),
            Snapshots::Latest => latest.clone(),
            Snapshots::On(date) => {
                if !dates.contains(&date) {
                    return Err(QueryError::NoSnapshot(date));
                }
                on(date)
            }
        };
        ctx.register(table.name, plain);
        ctx.register(&format!("latest_{}", table.name), latest);
    }
    if !any {
        return Err(QueryError::Empty(dataset.root().to_path_buf()));
    }
    if snapshots != Snapshots::All {
        // The rules' shared views, as the rule engine builds them (over one snapshot,
        // materialized: a plan must not outlive the query that made it). Polars SQL registers a
        // query's aliased derived tables (`(SELECT …) c`) as tables of the context: those are
        // removed, so `c` in the user's query is the user's own alias.
        if let Ok(views) = crate::rules::builtin_views() {
            for view in views {
                let known = ctx.get_tables();
                let frame = ctx.execute(&view.sql).and_then(LazyFrame::collect);
                for name in ctx.get_tables() {
                    if !known.contains(&name) {
                        ctx.unregister(&name);
                    }
                }
                if let Ok(frame) = frame {
                    ctx.register(&view.name, frame.lazy());
                }
            }
        }
    }
    Ok(ctx)
}

/// The names a query may read: tables, `latest_` tables and views.
pub fn table_names(ctx: &SQLContext) -> Vec<String> {
    let mut names = ctx.get_tables();
    names.sort();
    names
}

/// Runs one SQL statement over the dataset.
pub fn run(dataset: &Dataset, sql: &str, snapshots: Snapshots) -> Result<QueryResult, QueryError> {
    let mut ctx = context(dataset, snapshots)?;
    let frame = ctx.execute(sql).map_err(|e| sql_error(&e, &ctx))?;
    let df = frame.collect().map_err(|e| sql_error(&e, &ctx))?;
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut rows = vec![Vec::with_capacity(columns.len()); df.height()];
    for name in &columns {
        let column = df.column(name)?.as_materialized_series().clone();
        for (i, row) in rows.iter_mut().enumerate() {
            row.push(json_value(&column.get(i)?));
        }
    }
    Ok(QueryResult { columns, rows })
}

/// The error of a query, said once (Polars repeats its context), naming the tables there are
/// when one is missing.
fn sql_error(error: &PolarsError, ctx: &SQLContext) -> QueryError {
    let text = error.to_string();
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) && !parts.contains(&part) {
            parts.push(part);
        }
    }
    let mut message = parts.join(": ");
    if message.contains("not found") && (message.contains("relation") || message.contains("table"))
    {
        message.push_str(&format!(
            "; the tables are: {}",
            table_names(ctx).join(", ")
        ));
    }
    QueryError::Sql { message }
}

/// A cell as JSON: typed where JSON has the type, text otherwise.
fn json_value(value: &AnyValue<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        AnyValue::Null => J::Null,
        AnyValue::Boolean(b) => J::Bool(*b),
        AnyValue::Int8(v) => J::from(*v),
        AnyValue::Int16(v) => J::from(*v),
        AnyValue::Int32(v) => J::from(*v),
        AnyValue::Int64(v) => J::from(*v),
        AnyValue::UInt8(v) => J::from(*v),
        AnyValue::UInt16(v) => J::from(*v),
        AnyValue::UInt32(v) => J::from(*v),
        AnyValue::UInt64(v) => J::from(*v),
        AnyValue::Float32(v) => {
            serde_json::Number::from_f64(f64::from(*v)).map_or(J::Null, J::Number)
        }
        AnyValue::Float64(v) => serde_json::Number::from_f64(*v).map_or(J::Null, J::Number),
        AnyValue::String(s) => J::String((*s).to_string()),
        AnyValue::StringOwned(s) => J::String(s.to_string()),
        AnyValue::Date(days) => chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            .map_or(J::Null, |d| J::String(d.to_string())),
        AnyValue::Datetime(v, unit, _) => {
            let micros = match unit {
                TimeUnit::Nanoseconds => v / 1_000,
                TimeUnit::Microseconds => *v,
                TimeUnit::Milliseconds => v.saturating_mul(1_000),
            };
            chrono::DateTime::from_timestamp_micros(micros).map_or(J::Null, |t| {
                J::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            })
        }
        other => J::String(other.to_string().trim_matches('"').to_string()),
    }
}

/// A cell as text (CSV, the table view); `None` is null.
pub fn cell_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
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
                    .map(|c| cell_text(c).map_or("null".to_string(), |t| clean(&t)))
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

    /// One JSON object per row, keys in column order, values typed.
    pub fn json_rows(&self) -> impl Iterator<Item = String> + '_ {
        self.rows.iter().map(|row| {
            let fields: Vec<String> = self
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{}:{}", serde_json::Value::String(c.clone()), v))
                .collect();
            format!("{{{}}}", fields.join(","))
        })
    }

    /// JSON: an array of objects (keys in column order, values typed).
    pub fn to_json(&self) -> String {
        let rows: Vec<String> = self.json_rows().map(|r| format!("  {r}")).collect();
        if rows.is_empty() {
            "[]".to_string()
        } else {
            format!("[\n{}\n]", rows.join(",\n"))
        }
    }
}

/// How `query` prints a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// RFC 4180, formula cells defused.
    Csv,
    /// An array of objects, keys in column order, values typed.
    Json,
    /// One object per line.
    Ndjson,
}

/// Writes a result in `format`.
pub fn write_result(
    result: &QueryResult,
    format: OutputFormat,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Table => write!(out, "{}", result.to_table())?,
        OutputFormat::Json => writeln!(out, "{}", result.to_json())?,
        OutputFormat::Ndjson => {
            for row in result.json_rows() {
                writeln!(out, "{row}")?;
            }
        }
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            writer.write_record(&result.columns)?;
            for row in &result.rows {
                writer.write_record(
                    row.iter()
                        .map(|c| crate::report::defuse(&cell_text(c).unwrap_or_default())),
                )?;
            }
            writer.flush()?;
        }
    }
    out.flush()
}
