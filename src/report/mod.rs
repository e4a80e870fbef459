//! Reports built from the dataset (the same data analysts query): `findings.csv`,
//! `recommendations.csv` and a self-contained `report.html`.
//!
//! Everything in a finding came from Azure DevOps and is untrusted: the HTML template
//! auto-escapes it, and CSV cells that a spreadsheet would run as a formula are defused.

mod csv_out;
mod html;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::dataset::{Dataset, DatasetError, scan_files};
use crate::rules::{Rule, Severity};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("report: the dataset has no findings for {0}: run the job (or `evaluate`) first")]
    NoFindings(NaiveDate),
    #[error("report: reading the dataset: {0}")]
    Read(#[from] PolarsError),
    #[error("report: writing {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// One row of findings.csv and of the HTML tables.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub severity: String,
    pub rule_id: String,
    pub title: String,
    pub status: String,
    pub connector: String,
    pub organization: String,
    pub project: String,
    pub resource_kind: String,
    pub resource_name: String,
    pub resource_id: String,
    pub details: String,
    pub finding_id: String,
}

/// One row of recommendations.csv: a rule and how many resources fail it.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationRow {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub resource_kind: String,
    pub affected: u64,
    pub new: u64,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
}

/// Where the reports were written.
#[derive(Debug, Clone)]
pub struct ReportPaths {
    pub dir: PathBuf,
    pub findings_csv: PathBuf,
    pub recommendations_csv: PathBuf,
    pub report_html: PathBuf,
}

/// Reads the snapshot's findings and inventory counts and writes every report into `out_dir`.
pub fn build(
    dataset: &Dataset,
    date: NaiveDate,
    rules: &[Rule],
    out_dir: &Path,
) -> Result<ReportPaths, ReportError> {
    let files = dataset.partition_files("findings", date)?;
    if files.is_empty() {
        return Err(ReportError::NoFindings(date));
    }
    let findings_frame = scan_files(&files)?;
    let findings = read_findings(findings_frame.clone())?;
    let recommendations = recommendations(findings_frame, rules)?;
    let inventory = InventoryCounts::read(dataset, date)?;

    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::Write {
        path: out_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let paths = ReportPaths {
        dir: out_dir.to_path_buf(),
        findings_csv: out_dir.join("findings.csv"),
        recommendations_csv: out_dir.join("recommendations.csv"),
        report_html: out_dir.join("report.html"),
    };
    csv_out::write_findings(&paths.findings_csv, &findings)?;
    csv_out::write_recommendations(&paths.recommendations_csv, &recommendations)?;
    html::write_report(
        &paths.report_html,
        date,
        &findings,
        &recommendations,
        &inventory,
    )?;
    Ok(paths)
}

/// Counts of the inventory in the snapshot, for the report's header.
#[derive(Debug, Default, Serialize)]
pub struct InventoryCounts {
    pub organizations: usize,
    pub projects: usize,
    pub repositories: usize,
}

impl InventoryCounts {
    fn read(dataset: &Dataset, date: NaiveDate) -> Result<Self, ReportError> {
        let count = |table: &str| -> Result<usize, ReportError> {
            let files = dataset.partition_files(table, date)?;
            if files.is_empty() {
                return Ok(0);
            }
            Ok(scan_files(&files)?.collect()?.height())
        };
        Ok(InventoryCounts {
            organizations: count("organizations")?,
            projects: count("projects")?,
            repositories: count("repositories")?,
        })
    }
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "high" => 0,
        "medium" => 1,
        "low" => 2,
        _ => 3,
    }
}

fn read_findings(frame: LazyFrame) -> Result<Vec<FindingRow>, ReportError> {
    const COLUMNS: [&str; 12] = [
        "severity",
        "rule_id",
        "title",
        "status",
        "connector",
        "organization",
        "project",
        "resource_kind",
        "resource_name",
        "resource_id",
        "details",
        "finding_id",
    ];
    let df = frame
        .select(
            COLUMNS
                .iter()
                .map(|c| col(*c).cast(DataType::String))
                .collect::<Vec<_>>(),
        )
        .collect()?;
    let columns = COLUMNS
        .iter()
        .map(|c| Ok(df.column(c)?.str()?.clone()))
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut rows: Vec<FindingRow> = (0..df.height())
        .map(|i| {
            let cell = |c: usize| columns[c].get(i).unwrap_or_default().to_string();
            FindingRow {
                severity: cell(0),
                rule_id: cell(1),
                title: cell(2),
                status: cell(3),
                connector: cell(4),
                organization: cell(5),
                project: cell(6),
                resource_kind: cell(7),
                resource_name: cell(8),
                resource_id: cell(9),
                details: cell(10),
                finding_id: cell(11),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            severity_rank(&a.severity),
            &a.rule_id,
            &a.organization,
            &a.project,
            &a.resource_name,
        )
            .cmp(&(
                severity_rank(&b.severity),
                &b.rule_id,
                &b.organization,
                &b.project,
                &b.resource_name,
            ))
    });
    Ok(rows)
}

/// One row per rule of the catalog (zero when nothing fails it), counted with Polars.
fn recommendations(
    findings: LazyFrame,
    rules: &[Rule],
) -> Result<Vec<RecommendationRow>, ReportError> {
    let counts = findings
        .group_by([col("rule_id")])
        .agg([
            len().cast(DataType::UInt64).alias("affected"),
            col("status")
                .eq(lit("new"))
                .cast(DataType::UInt64)
                .sum()
                .alias("new"),
        ])
        .collect()?;
    let ids = counts.column("rule_id")?.str()?.clone();
    let affected = counts.column("affected")?.u64()?.clone();
    let new = counts.column("new")?.u64()?.clone();
    let lookup = |rule_id: &str| -> (u64, u64) {
        (0..counts.height())
            .find(|&i| ids.get(i) == Some(rule_id))
            .map(|i| (affected.get(i).unwrap_or(0), new.get(i).unwrap_or(0)))
            .unwrap_or((0, 0))
    };
    let mut rows: Vec<RecommendationRow> = rules
        .iter()
        .map(|r| {
            let (affected, new) = lookup(&r.id);
            RecommendationRow {
                rule_id: r.id.clone(),
                severity: r.severity,
                title: r.title.clone(),
                resource_kind: r.resource_kind.clone(),
                affected,
                new,
                description: r.description.clone(),
                remediation: r.remediation.clone(),
                references: r.references.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.severity, std::cmp::Reverse(a.affected), &a.rule_id).cmp(&(
            b.severity,
            std::cmp::Reverse(b.affected),
            &b.rule_id,
        ))
    });
    Ok(rows)
}
