//! The self-contained HTML report (no external scripts, fonts or stylesheets), rendered with
//! minijinja from `reports/report.html` with HTML auto-escaping on.

use std::path::Path;

use chrono::NaiveDate;
use minijinja::{Environment, context};

use super::{FindingRow, InventoryCounts, RecommendationRow, ReportError};

const TEMPLATE: &str = include_str!("../../reports/report.html");

#[derive(serde::Serialize)]
struct SeveritySection<'a> {
    severity: &'static str,
    recommendations: Vec<&'a RecommendationRow>,
    findings: Vec<&'a FindingRow>,
}

pub fn write_report(
    path: &Path,
    date: NaiveDate,
    findings: &[FindingRow],
    recommendations: &[RecommendationRow],
    inventory: &InventoryCounts,
) -> Result<(), ReportError> {
    let render_error = |e: minijinja::Error| ReportError::Write {
        path: path.to_path_buf(),
        message: format!("rendering the HTML template: {e:#}"),
    };
    let mut env = Environment::new();
    // The ".html" name turns minijinja's HTML auto-escaping on for every value.
    env.add_template("report.html", TEMPLATE)
        .map_err(render_error)?;
    let sections: Vec<SeveritySection<'_>> = ["high", "medium", "low"]
        .into_iter()
        .map(|severity| SeveritySection {
            severity,
            recommendations: recommendations
                .iter()
                .filter(|r| r.severity.as_str() == severity)
                .collect(),
            findings: findings.iter().filter(|f| f.severity == severity).collect(),
        })
        .collect();
    let html = env
        .get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                snapshot_date => date.to_string(),
                generated_at => chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
                tool_version => env!("CARGO_PKG_VERSION"),
                total => findings.len(),
                new_total => findings.iter().filter(|f| f.status == "new").count(),
                inventory => inventory,
                sections => sections,
            })
        })
        .map_err(render_error)?;
    std::fs::write(path, html).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
