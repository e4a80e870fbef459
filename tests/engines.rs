//! Analysts' SQL everywhere: every query in sql/analyst/ and every rule in sql/rules/ gives the
//! same answer on `ado-posture query` (Polars), DuckDB and Spark SQL (local mode), over a dataset
//! with two snapshots of two organizations. Spark starts once for all queries
//! (tests/python/engines.py); it needs Java and pyspark, which `.ci/run` and `bash tests/run.sh`
//! install.

use crate::common;

use std::path::{Path, PathBuf};

use ado_posture_sim::{Estate, EstateSizes};
use chrono::NaiveDate;
use common::*;

fn sql_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("sql")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn every_analyst_query_and_rule_answers_the_same_on_polars_duckdb_and_spark() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = EstateSizes {
        organizations: 2,
        projects_per_organization: 4,
        repositories_per_project: 4,
    };
    let out = tmp.path().join("out");
    for (day, date, run) in [(0, (2026, 2, 1), "run-a"), (4, (2026, 2, 2), "run-b")] {
        let date = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
        snapshot(
            Estate::generate(21, sizes.clone()).on_day(day),
            &out,
            date,
            run,
        )
        .await;
    }

    // What `ado-posture query` answers, typed JSON rows in column order.
    let mut queries = Vec::new();
    let modes = [("analyst", "all"), ("rules", "latest")];
    for (folder, mode) in modes {
        for file in sql_files(folder) {
            let mut args = vec![
                "query",
                "--data",
                out.to_str().unwrap(),
                "--file",
                file.to_str().unwrap(),
                "--format",
                "json",
            ];
            if mode == "latest" {
                args.extend(["--snapshot", "latest"]);
            }
            let output = run(&args, &[]);
            let name = file.display().to_string();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{name}: {}",
                text(&output.stderr)
            );
            let rows: Vec<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_slice(&output.stdout).unwrap();
            let columns: Vec<String> = match rows.first() {
                Some(first) => first.keys().cloned().collect(),
                None => Vec::new(),
            };
            let values: Vec<Vec<serde_json::Value>> =
                rows.iter().map(|r| r.values().cloned().collect()).collect();
            queries.push(serde_json::json!({
                "file": name, "mode": mode, "columns": columns, "rows": values,
            }));
        }
    }
    assert!(queries.len() >= 60, "{} queries", queries.len());
    let expected = tmp.path().join("expected.json");
    std::fs::write(
        &expected,
        serde_json::to_vec(&serde_json::json!({ "queries": queries })).unwrap(),
    )
    .unwrap();

    let python = std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".into());
    let compared = std::process::Command::new(python)
        .arg(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/tests/python/engines.py"
        ))
        .arg(out.join("dataset"))
        .arg(&expected)
        .arg(concat!(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
            "/sql/views"
        ))
        .output()
        .unwrap();
    let report = text(&compared.stdout);
    assert!(
        compared.status.success(),
        "engines disagree (DuckDB and Spark from `bash tests/run.sh`; Spark needs Java): {report}\n{}",
        text(&compared.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    let engines = report["engines"].as_array().unwrap().len();
    assert_eq!(
        report["compared"].as_u64(),
        Some((queries.len() * engines) as u64)
    );
}
