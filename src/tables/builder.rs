//! Builds Arrow record batches row by row against a [`TableDef`].

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::record_batch::RecordBatch;

use super::{ColumnType, TableDef};

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("table {table}: row has {got} values, the table has {expected} own columns")]
    Arity {
        table: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("table {table}: column {column} is {expected:?}, got another type")]
    Type {
        table: &'static str,
        column: &'static str,
        expected: ColumnType,
    },
    #[error("table {table}: column {column} may not be null")]
    Null {
        table: &'static str,
        column: &'static str,
    },
    #[error("table {table}: {source}")]
    Arrow {
        table: &'static str,
        source: arrow::error::ArrowError,
    },
}

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Str(Option<&'a str>),
    Int(Option<i64>),
    Bool(Option<bool>),
    /// Microseconds since the epoch, UTC.
    Timestamp(Option<i64>),
    /// Days since the epoch.
    Date(Option<i32>),
}

/// The context columns of a row.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub run_id: &'a str,
    pub connector: &'a str,
    pub organization: &'a str,
    /// (project_id, project) for project-scoped tables.
    pub project: Option<(&'a str, &'a str)>,
}

impl<'a> RowContext<'a> {
    /// The context of a finding's rows (the run's own tables carry project columns of their own).
    pub fn of_finding(run_id: &'a str, f: &'a crate::rules::Finding) -> Self {
        RowContext {
            run_id,
            connector: &f.connector,
            organization: &f.organization,
            project: None,
        }
    }

    /// The context of one project's rows.
    pub fn of_project(
        run_id: &'a str,
        org: &'a crate::crawl::OrganizationInventory,
        project: &'a crate::crawl::ProjectLibrary,
    ) -> Self {
        RowContext {
            run_id,
            connector: &org.connector,
            organization: &org.organization,
            project: Some((&project.project_id, &project.project)),
        }
    }
}

enum ColumnBuilder {
    Utf8(StringBuilder),
    Int64(Int64Builder),
    Boolean(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
}

/// Accumulates rows of one table.
pub struct TableBuilder {
    def: &'static TableDef,
    columns: Vec<(super::Column, ColumnBuilder)>,
    rows: usize,
}

impl TableBuilder {
    pub fn new(def: &'static TableDef) -> Self {
        let columns = def
            .all_columns()
            .into_iter()
            .map(|c| {
                let b = match c.column_type {
                    ColumnType::Utf8 => ColumnBuilder::Utf8(StringBuilder::new()),
                    ColumnType::Int64 => ColumnBuilder::Int64(Int64Builder::new()),
                    ColumnType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::new()),
                    ColumnType::TimestampUtc => ColumnBuilder::Timestamp(
                        TimestampMicrosecondBuilder::new().with_timezone("UTC"),
                    ),
                    ColumnType::Date => ColumnBuilder::Date(Date32Builder::new()),
                };
                (c, b)
            })
            .collect();
        TableBuilder {
            def,
            columns,
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row: the context, then the table's own columns in declaration order.
    /// On error nothing is appended.
    pub fn push(&mut self, ctx: &RowContext<'_>, values: &[Value<'_>]) -> Result<(), TableError> {
        let table = self.def.name;
        let mut cells = vec![
            Value::Str(Some(ctx.run_id)),
            Value::Str(Some(ctx.connector)),
            Value::Str(Some(ctx.organization)),
        ];
        if self.def.project_scoped {
            let (id, name) = ctx.project.unwrap_or_default();
            cells.push(Value::Str(ctx.project.map(|_| id)));
            cells.push(Value::Str(ctx.project.map(|_| name)));
        }
        if values.len() != self.def.columns.len() {
            return Err(TableError::Arity {
                table,
                got: values.len(),
                expected: self.def.columns.len(),
            });
        }
        cells.extend_from_slice(values);
        // Check the whole row first so that a bad row leaves the columns aligned.
        for ((column, _), cell) in self.columns.iter().zip(&cells) {
            let (matches, is_null) = match (column.column_type, cell) {
                (ColumnType::Utf8, Value::Str(v)) => (true, v.is_none()),
                (ColumnType::Int64, Value::Int(v)) => (true, v.is_none()),
                (ColumnType::Boolean, Value::Bool(v)) => (true, v.is_none()),
                (ColumnType::TimestampUtc, Value::Timestamp(v)) => (true, v.is_none()),
                (ColumnType::Date, Value::Date(v)) => (true, v.is_none()),
                _ => (false, false),
            };
            if !matches {
                return Err(TableError::Type {
                    table,
                    column: column.name,
                    expected: column.column_type,
                });
            }
            if is_null && !column.nullable {
                return Err(TableError::Null {
                    table,
                    column: column.name,
                });
            }
        }
        for ((_, builder), cell) in self.columns.iter_mut().zip(cells) {
            match (builder, cell) {
                (ColumnBuilder::Utf8(b), Value::Str(v)) => b.append_option(v),
                (ColumnBuilder::Int64(b), Value::Int(v)) => b.append_option(v),
                (ColumnBuilder::Boolean(b), Value::Bool(v)) => b.append_option(v),
                (ColumnBuilder::Timestamp(b), Value::Timestamp(v)) => b.append_option(v),
                (ColumnBuilder::Date(b), Value::Date(v)) => b.append_option(v),
                _ => unreachable!("types were checked above"),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Takes the rows so far as a record batch; the builder starts empty again.
    /// The batch with the table it belongs to, as the builders of [`super::ORGANIZATION_TABLES`]
    /// return it.
    pub fn done(&mut self) -> Result<(&'static TableDef, RecordBatch), TableError> {
        Ok((self.def, self.finish()?))
    }

    pub fn finish(&mut self) -> Result<RecordBatch, TableError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|(_, b)| -> ArrayRef {
                match b {
                    ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
                    ColumnBuilder::Int64(b) => Arc::new(b.finish()),
                    ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
                    ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
                    ColumnBuilder::Date(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.def.arrow_schema(), arrays).map_err(|source| TableError::Arrow {
            table: self.def.name,
            source,
        })
    }
}
