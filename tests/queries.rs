//! The analysts' queries in sql/analyst/ give the same answers on `ado-posture query` (Polars)
//! and on DuckDB, over a dataset with two snapshots.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ado_posture::sim::{Estate, EstateSizes};
use chrono::NaiveDate;
use common::*;

fn analyst_queries() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sql")
        .join("analyst");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn every_analyst_query_answers_the_same_on_polars_and_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = EstateSizes {
        organizations: 2,
        projects_per_organization: 4,
        repositories_per_project: 4,
    };
    let out = tmp.path().join("out");
    snapshot(
        Estate::generate(21, sizes.clone()),
        &out,
        NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        "run-a",
    )
    .await;
    snapshot(
        Estate::generate(21, sizes).on_day(4),
        &out,
        NaiveDate::from_ymd_opt(2026, 2, 2).unwrap(),
        "run-b",
    )
    .await;

    let files = analyst_queries();
    assert!(
        files.len() >= 10,
        "sql/analyst/ holds {} queries",
        files.len()
    );
    for file in &files {
        let first = std::fs::read_to_string(file).unwrap();
        assert!(
            first.starts_with("-- "),
            "{}: open with a comment saying what it answers",
            file.display()
        );
    }

    let python = std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".into());
    let tables: Vec<&str> = ado_posture::tables::ALL_TABLES
        .iter()
        .map(|t| t.name)
        .collect();
    let duck = Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/duckdb_query.py"
        ))
        .arg(out.join("dataset"))
        .arg(tables.join(","))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        duck.status.success(),
        "DuckDB (from `bash tests/run.sh`): {}",
        text(&duck.stderr)
    );
    let duck: serde_json::Value = serde_json::from_slice(&duck.stdout).unwrap();

    let mut non_empty = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        let output = run(
            &[
                "query",
                "--data",
                out.to_str().unwrap(),
                "--file",
                file.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        let polars: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // Rows as column → text maps (order of rows compared sorted: ties may order differently).
        let rows =
            |value: &serde_json::Value| -> Vec<std::collections::BTreeMap<String, Option<String>>> {
                let mut rows: Vec<_> = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| {
                        row.as_object()
                            .unwrap()
                            .iter()
                            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
                            .collect()
                    })
                    .collect();
                rows.sort();
                rows
            };
        let (ours, theirs) = (rows(&polars), rows(&duck[name]));
        assert_eq!(ours, theirs, "{name}: Polars and DuckDB disagree");
        non_empty += usize::from(!ours.is_empty());
    }
    assert!(
        non_empty >= files.len() - 2,
        "too many queries answered nothing on the test estate"
    );
}
