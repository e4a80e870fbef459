//! CSV reports: RFC 4180 (CRLF line ends, quoted as needed), UTF-8, stable column order.
//! Cells are defused against spreadsheet formula injection.

use std::path::Path;

use super::ReportError;
use super::data::{ReportData, open_findings};
use crate::tables::findings::FINDINGS;

/// Columns of recommendations.csv.
pub const RECOMMENDATION_COLUMNS: &[&str] = &[
    "rule_id",
    "severity",
    "title",
    "resource_kind",
    "affected",
    "new",
    "resolved",
    "description",
    "remediation",
    "references",
];

/// Columns of summary.csv: one row per organization, then one for all (`organization` = `*`).
pub const SUMMARY_COLUMNS: &[&str] = &[
    "snapshot_date",
    "organization",
    "projects",
    "repositories",
    "critical",
    "high",
    "medium",
    "low",
    "total",
    "new",
    "resolved",
];

/// Prefixes a cell that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) with `'`,
/// as OWASP recommends for CSV injection.
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn write_rows<I>(path: &Path, header: &[&str], rows: I) -> Result<(), ReportError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut writer = CsvFile::create(path, header)?;
    for row in rows {
        writer.write(&row)?;
    }
    writer.finish()
}

/// A CSV report being written: RFC 4180 with CRLF, every cell defused.
struct CsvFile<'a> {
    path: &'a Path,
    writer: csv::Writer<std::fs::File>,
}

impl<'a> CsvFile<'a> {
    fn create(path: &'a Path, header: &[&str]) -> Result<Self, ReportError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_path(path)
            .map_err(|e| write_error(path, e.to_string()))?;
        writer
            .write_record(header)
            .map_err(|e| write_error(path, e.to_string()))?;
        Ok(CsvFile { path, writer })
    }

    fn write<S: AsRef<str>>(&mut self, row: &[S]) -> Result<(), ReportError> {
        let cells: Vec<String> = row.iter().map(|c| defuse(c.as_ref())).collect();
        self.writer
            .write_record(&cells)
            .map_err(|e| write_error(self.path, e.to_string()))
    }

    fn finish(mut self) -> Result<(), ReportError> {
        self.writer
            .flush()
            .map_err(|e| write_error(self.path, e.to_string()))
    }
}

fn write_error(path: &Path, message: String) -> ReportError {
    ReportError::Write {
        path: path.to_path_buf(),
        message,
    }
}

/// findings.csv: `snapshot_date`, then every column of the findings table in schema order; the
/// open findings in report order, written one rule at a time.
pub fn write_findings(path: &Path, data: &ReportData) -> Result<(), ReportError> {
    let columns: Vec<&str> = FINDINGS.all_columns().iter().map(|c| c.name).collect();
    let mut header = vec!["snapshot_date"];
    header.extend(&columns);
    let mut writer = CsvFile::create(path, &header)?;
    data.findings.for_each_chunk(open_findings(), |rows| {
        for f in &rows {
            let row: Vec<&str> = std::iter::once(f.snapshot_date.as_str())
                .chain(columns.iter().map(|c| f.get(c)))
                .collect();
            writer.write(&row)?;
        }
        Ok(true)
    })?;
    writer.finish()
}

pub fn write_recommendations(path: &Path, data: &ReportData) -> Result<(), ReportError> {
    write_rows(
        path,
        RECOMMENDATION_COLUMNS,
        data.recommendations.iter().map(|r| {
            vec![
                r.rule_id.clone(),
                r.severity.to_string(),
                r.title.clone(),
                r.resource_kind.clone(),
                r.affected.to_string(),
                r.new.to_string(),
                r.resolved.to_string(),
                r.description.clone(),
                r.remediation.clone(),
                r.references.join(" | "),
            ]
        }),
    )
}

/// Columns of owners.csv: one row per `[[owner]]` with open findings.
pub const OWNER_COLUMNS: &[&str] = &[
    "snapshot_date",
    "owner",
    "owner_email",
    "critical",
    "high",
    "medium",
    "low",
    "open",
    "new",
];

/// owners.csv: the summary per owner (written when the snapshot has owned findings).
pub fn write_owners(path: &Path, data: &ReportData) -> Result<(), ReportError> {
    let date = data.snapshot_date.to_string();
    let rows = data.owners.iter().map(|o| {
        vec![
            date.clone(),
            o.owner.clone(),
            o.owner_email.clone(),
            o.counts.critical.to_string(),
            o.counts.high.to_string(),
            o.counts.medium.to_string(),
            o.counts.low.to_string(),
            o.counts.total.to_string(),
            o.new.to_string(),
        ]
    });
    write_rows(path, OWNER_COLUMNS, rows)
}

pub fn write_summary(path: &Path, data: &ReportData) -> Result<(), ReportError> {
    let date = data.snapshot_date.to_string();
    let row = |organization: &str,
               projects: u64,
               repositories: u64,
               c: &super::SeverityCounts,
               new: u64,
               resolved: u64| {
        vec![
            date.clone(),
            organization.to_string(),
            projects.to_string(),
            repositories.to_string(),
            c.critical.to_string(),
            c.high.to_string(),
            c.medium.to_string(),
            c.low.to_string(),
            c.total.to_string(),
            new.to_string(),
            resolved.to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = data
        .organizations
        .iter()
        .map(|o| {
            row(
                &o.organization,
                o.projects,
                o.repositories,
                &o.counts,
                o.new,
                o.resolved,
            )
        })
        .collect();
    rows.push(row(
        "*",
        data.inventory.projects,
        data.inventory.repositories,
        &data.counts,
        data.new,
        data.resolved.total,
    ));
    write_rows(path, SUMMARY_COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_kept() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("+cmd"), "'+cmd");
        assert_eq!(defuse("-1+1"), "'-1+1");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("\tx"), "'\tx");
        assert_eq!(defuse("\rx"), "'\rx");
        assert_eq!(defuse("repo-01"), "repo-01");
        assert_eq!(defuse(""), "");
    }
}
