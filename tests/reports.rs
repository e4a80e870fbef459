//! Reports of a small fixed estate over two snapshots (snapshot tests with insta), and reports
//! of an estate full of hostile names.

use crate::common;

use std::path::Path;

use ado_posture_sim::{Estate, EstateSizes};
use chrono::NaiveDate;
use common::snapshot;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_of_a_small_fixed_estate_over_two_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = EstateSizes {
        organizations: 2,
        projects_per_organization: 2,
        repositories_per_project: 3,
    };
    let day1 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let day2 = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    snapshot(
        Estate::generate(11, sizes.clone()),
        tmp.path(),
        day1,
        "run-1",
    )
    .await;
    let second = snapshot(
        Estate::generate(11, sizes).on_day(3),
        tmp.path(),
        day2,
        "run-2",
    )
    .await;
    assert!(
        second.summary.new > 0 && second.summary.resolved > 0,
        "{:?}",
        second.summary
    );

    let reports = &second.reports;
    // The e-mail names the report's path, which is a temporary folder here.
    let tmp_path = tmp.path().display().to_string();
    // ...and crawl-health reasons name the simulator's port.
    let redact = |text: String| {
        let text = text
            .replace(&tmp_path, "[TMP]")
            .replace(&tmp_path.replace('/', "&#x2f;"), "[TMP]");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find("127.0.0.1:") {
            let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
            out.push_str(head);
            out.push_str("PORT");
            rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out.push_str(rest);
        out
    };
    insta::assert_snapshot!("report.html", redact(read(&reports.report_html)));
    insta::assert_snapshot!("email.html", redact(read(&reports.email_html)));
    insta::assert_snapshot!("findings.csv", read(&reports.findings_csv));
    insta::assert_snapshot!("recommendations.csv", read(&reports.recommendations_csv));
    insta::assert_snapshot!("summary.csv", read(&reports.summary_csv));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_neither_execute_nor_break_the_reports() {
    let tmp = tempfile::tempdir().unwrap();
    // 16 projects: every hostile name of the simulator, and two 100 kB repository names.
    let sizes = EstateSizes {
        organizations: 2,
        projects_per_organization: 8,
        repositories_per_project: 3,
    };
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let outcome = snapshot(Estate::generate(3, sizes), tmp.path(), date, "run-hostile").await;
    let dataset = ado_posture::dataset::Dataset::new(&outcome.dataset_dir);
    let files = dataset.partition_files("findings", date).unwrap();
    let findings = ado_posture::rules::history::read_findings(
        ado_posture::dataset::scan_files(&files).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = findings.iter().map(|f| f.resource_name.as_str()).collect();
    for hostile in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "=HYPERLINK(",
        "\u{202e}",
        "\u{1b}",
    ] {
        assert!(
            names.iter().any(|n| n.contains(hostile)),
            "the estate has no finding named with {hostile:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.len() > 100_000),
        "no 100 kB name among the findings"
    );

    for path in [&outcome.reports.report_html, &outcome.reports.email_html] {
        let html = read(path);
        let name = path.display();
        // Only the report's own inline script, and no markup from Azure DevOps.
        let own_scripts = if path == &outcome.reports.report_html {
            1
        } else {
            0
        };
        assert_eq!(html.matches("<script").count(), own_scripts, "{name}");
        assert!(!html.contains("<img"), "{name}");
        // The report lists every finding, hostile names escaped; the e-mail shows some of them
        // (new critical and high findings, changes), escaped wherever one is shown.
        assert!(!html.contains("<script>alert(1)"), "{name}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || path == &outcome.reports.email_html,
            "{name}"
        );
        // No control characters or bidi overrides reach the page; long names are clipped.
        assert!(
            !html
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{name}"
        );
        assert!(
            !html.contains(&"x".repeat(1000)),
            "{name}: a 100 kB name was not clipped"
        );
        assert!(html.len() < 1_000_000, "{name}: {} bytes", html.len());
    }

    // Every CSV cell a spreadsheet would evaluate is defused; the 100 kB name is kept whole.
    for path in [
        &outcome.reports.findings_csv,
        &outcome.reports.recommendations_csv,
        &outcome.reports.summary_csv,
    ] {
        let mut reader = csv::Reader::from_path(path).unwrap();
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{}: live formula cell {:?}",
                    path.display(),
                    &cell[..cell.len().min(60)]
                );
            }
        }
    }
    assert!(read(&outcome.reports.findings_csv).contains(&"x".repeat(100 * 1024)));
}

/// The report's header and the scheduler's summary line count what the dataset holds:
/// organizations, projects and repositories from the inventory tables (an organization-level
/// finding adds no project), open findings (failing, not exempt) by severity.
#[test]
fn report_header_and_summary_line_count_what_the_dataset_holds() {
    use ado_posture::dataset::{Dataset, scan_files};
    use common::{BIN, SIM_PAT, start_simulator, text, write_config};

    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2", "--projects", "3"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let output = std::process::Command::new(BIN)
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("E2E_PAT", SIM_PAT)
        .env("RUST_LOG", "info")
        .env_remove("ADO_POSTURE_LOG")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();

    // The dataset's own counts.
    let dataset = Dataset::new(out.join("dataset"));
    let date = dataset.snapshot_dates("findings").unwrap()[0];
    let frame = |table: &str| {
        scan_files(&dataset.partition_files(table, date).unwrap())
            .unwrap()
            .collect()
            .unwrap()
    };
    let rows = |table: &str| frame(table).height() as u64;
    let findings = frame("findings");
    let (status, exempt, severity) = (
        findings.column("status").unwrap().str().unwrap().clone(),
        findings.column("exempt").unwrap().bool().unwrap().clone(),
        findings.column("severity").unwrap().str().unwrap().clone(),
    );
    let open = |wanted: &str| {
        (0..findings.height())
            .filter(|&i| {
                matches!(status.get(i), Some("new" | "persisting"))
                    && exempt.get(i) != Some(true)
                    && (wanted.is_empty() || severity.get(i) == Some(wanted))
            })
            .count() as u64
    };
    let project = findings.column("project").unwrap().str().unwrap().clone();
    let organization_level = (0..findings.height())
        .filter(|&i| matches!(project.get(i), None | Some("")))
        .filter(|&i| matches!(status.get(i), Some("new" | "persisting")))
        .count();
    assert!(
        organization_level > 0,
        "the estate should have open organization-level findings"
    );

    for (field, expected) in [
        ("organizations", rows("organizations")),
        ("projects", rows("projects")),
        ("repositories", rows("repositories")),
        ("high", open("high")),
        ("medium", open("medium")),
        ("low", open("low")),
    ] {
        assert_eq!(
            summary[field].as_u64(),
            Some(expected),
            "summary line {field}: {summary}"
        );
    }

    let report = std::fs::read_to_string(
        out.join("reports")
            .join(date.to_string())
            .join("report.html"),
    )
    .unwrap();
    let number_before = |mark: &str| -> u64 {
        let end = report
            .find(mark)
            .unwrap_or_else(|| panic!("{mark} not in the report"));
        let digits: String = report[..end]
            .chars()
            .rev()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        digits.parse().unwrap()
    };
    assert_eq!(number_before(" organizations ·"), rows("organizations"));
    assert_eq!(number_before(" projects ·"), rows("projects"));
    assert_eq!(number_before(" repositories</p>"), rows("repositories"));
    assert_eq!(number_before("</b>open findings"), open(""));
    assert_eq!(number_before("</b>high</div>"), open("high"));
    assert_eq!(number_before("</b>medium</div>"), open("medium"));
    assert_eq!(number_before("</b>low</div>"), open("low"));
    // The manifest counts the same way.
    let manifest = common::manifest(&out.join("dataset"));
    assert_eq!(manifest["findings"]["open"].as_u64(), Some(open("")));
    assert_eq!(
        manifest["findings"]["by_severity"]["high"].as_u64(),
        Some(open("high"))
    );
}
