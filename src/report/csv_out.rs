//! CSV reports. Cells are defused against spreadsheet formula injection.

use std::path::Path;

use super::{FindingRow, RecommendationRow, ReportError};

/// Prefixes a cell that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) with `'`,
/// as OWASP recommends for CSV injection.
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn write_rows<I, R>(path: &Path, header: &[&str], rows: I) -> Result<(), ReportError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let write_error = |e: csv::Error| ReportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_path(path).map_err(write_error)?;
    writer.write_record(header).map_err(write_error)?;
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|c| defuse(&c)).collect();
        writer.write_record(&cells).map_err(write_error)?;
    }
    writer.flush().map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub fn write_findings(path: &Path, rows: &[FindingRow]) -> Result<(), ReportError> {
    write_rows(
        path,
        &[
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
        ],
        rows.iter().map(|f| {
            [
                f.severity.clone(),
                f.rule_id.clone(),
                f.title.clone(),
                f.status.clone(),
                f.connector.clone(),
                f.organization.clone(),
                f.project.clone(),
                f.resource_kind.clone(),
                f.resource_name.clone(),
                f.resource_id.clone(),
                f.details.clone(),
                f.finding_id.clone(),
            ]
        }),
    )
}

pub fn write_recommendations(path: &Path, rows: &[RecommendationRow]) -> Result<(), ReportError> {
    write_rows(
        path,
        &[
            "rule_id",
            "severity",
            "title",
            "resource_kind",
            "affected",
            "new",
            "remediation",
            "references",
        ],
        rows.iter().map(|r| {
            [
                r.rule_id.clone(),
                r.severity.to_string(),
                r.title.clone(),
                r.resource_kind.clone(),
                r.affected.to_string(),
                r.new.to_string(),
                r.remediation.clone(),
                r.references.join(" | "),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_kept() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("+cmd"), "'+cmd");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("repo-01"), "repo-01");
        assert_eq!(defuse(""), "");
    }
}
