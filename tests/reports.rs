//! Reports of a small fixed estate over two snapshots (snapshot tests with insta), and reports
//! of an estate full of hostile names.

mod common;

use std::path::Path;

use ado_posture::sim::{Estate, EstateSizes};
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
    let names: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.resource_name.as_str())
        .collect();
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
        // The report lists every finding; the e-mail only the first new high ones, which may not
        // include a hostile name: where one is shown, it is escaped.
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || (path == &outcome.reports.email_html && !html.contains("alert(1)")),
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
