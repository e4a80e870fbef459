//! Reports built from the dataset (the same data analysts query): `findings.csv`,
//! `recommendations.csv`, `summary.csv`, a self-contained `report.html` and `email.html`.
//!
//! Everything in a finding came from Azure DevOps and is untrusted: the HTML templates
//! auto-escape it (after control characters are removed), and CSV cells that a spreadsheet
//! would run as a formula are defused.

mod csv_out;
mod data;
pub mod digests;
mod finding_rows;
mod html;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::PolarsError;

use crate::dataset::{Dataset, DatasetError};
use crate::rules::Rule;

pub use csv_out::defuse;
pub use data::{FindingCounts, ReportData, SeverityCounts};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("report: the dataset has no findings for {0}: run the job (or `evaluate`) first")]
    NoFindings(NaiveDate),
    #[error("report: the dataset at {0} has no snapshot yet: run the job first")]
    NoSnapshot(PathBuf),
    #[error("report: reading the dataset: {0}")]
    Read(#[from] PolarsError),
    #[error("report: writing {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// What the reports say about themselves.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub generated_at: DateTime<Utc>,
    /// Where readers find the full report (shown in the e-mail), e.g. an internal web share.
    pub report_url: Option<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            generated_at: Utc::now(),
            report_url: None,
        }
    }
}

/// Where the reports were written.
#[derive(Debug, Clone)]
pub struct ReportPaths {
    pub dir: PathBuf,
    pub findings_csv: PathBuf,
    pub recommendations_csv: PathBuf,
    pub summary_csv: PathBuf,
    pub report_html: PathBuf,
    pub email_html: PathBuf,
}

/// The headline figures of a snapshot, for the e-mail subject and the CLI.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub snapshot_date: NaiveDate,
    pub counts: SeverityCounts,
    pub new: u64,
    pub resolved: u64,
}

impl ReportSummary {
    /// The e-mail subject, e.g. `[ado-posture] 2026-11-22: 1 critical, 12 high, 3 medium, 0 low (5 new, 2 resolved)`.
    pub fn subject(&self, prefix: &str) -> String {
        format!(
            "{prefix} {}: {} critical, {} high, {} medium, {} low ({} new, {} resolved)",
            self.snapshot_date,
            self.counts.critical,
            self.counts.high,
            self.counts.medium,
            self.counts.low,
            self.new,
            self.resolved
        )
        .trim()
        .to_string()
    }
}

/// The folder of a snapshot's reports under an output folder.
pub fn reports_dir(out: &Path, date: NaiveDate) -> PathBuf {
    out.join("reports")
        .join(date.format("%Y-%m-%d").to_string())
}

/// Reads the snapshot of `date` from the dataset and writes every report into `out_dir`.
pub fn build(
    dataset: &Dataset,
    date: NaiveDate,
    rules: &[Rule],
    out_dir: &Path,
    options: &ReportOptions,
) -> Result<(ReportPaths, ReportSummary), ReportError> {
    let data = ReportData::read(dataset, date, rules)?;
    // Absolute, so the e-mail can say where the report is.
    let out_dir = &std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::Write {
        path: out_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let paths = ReportPaths {
        dir: out_dir.to_path_buf(),
        findings_csv: out_dir.join("findings.csv"),
        recommendations_csv: out_dir.join("recommendations.csv"),
        summary_csv: out_dir.join("summary.csv"),
        report_html: out_dir.join("report.html"),
        email_html: out_dir.join("email.html"),
    };
    // Each stage starts from the memory the last one freed, not on top of it.
    crate::allocator::release_free();
    csv_out::write_findings(&paths.findings_csv, &data)?;
    crate::allocator::release_free();
    csv_out::write_recommendations(&paths.recommendations_csv, &data)?;
    csv_out::write_summary(&paths.summary_csv, &data)?;
    if !data.owners.is_empty() {
        csv_out::write_owners(&out_dir.join("owners.csv"), &data)?;
    }
    html::write_report(&paths.report_html, &data, options)?;
    html::write_email(&paths.email_html, &data, options, &paths)?;
    let summary = ReportSummary {
        snapshot_date: date,
        counts: data.counts,
        new: data.new,
        resolved: data.resolved.total,
    };
    Ok((paths, summary))
}

/// Builds the reports of the newest snapshot in the dataset.
pub fn build_latest(
    dataset: &Dataset,
    rules: &[Rule],
    out: &Path,
    options: &ReportOptions,
) -> Result<(ReportPaths, ReportSummary), ReportError> {
    let Some(date) = dataset.snapshot_dates("findings")?.pop() else {
        return Err(ReportError::NoSnapshot(dataset.root().to_path_buf()));
    };
    build(dataset, date, rules, &reports_dir(out, date), options)
}

/// Removes the report folders (`out/reports/YYYY-MM-DD`) older than `cutoff`; returns how many.
pub fn prune_before(out: &Path, cutoff: NaiveDate) -> std::io::Result<usize> {
    let dir = out.join("reports");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let date = entry
            .file_name()
            .to_str()
            .and_then(|n| NaiveDate::parse_from_str(n, "%Y-%m-%d").ok());
        if date.is_some_and(|d| d < cutoff) {
            std::fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
