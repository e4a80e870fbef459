//! The dataset read by real analyst tools: pyarrow and DuckDB (installed by tests/run.sh).

use crate::common;

use std::process::Command;

use common::*;

/// The Python with pyarrow and duckdb: $ADO_POSTURE_PYTHON (set by tests/run.sh), else python3.
fn python() -> String {
    std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

#[test]
fn pyarrow_and_duckdb_read_every_table_with_its_hive_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let output = run(&["demo", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dataset = out.join("dataset");
    let manifest = manifest(&dataset);
    let script = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/python/read_dataset.py"
    );
    let result = Command::new(python())
        .arg(script)
        .arg(&dataset)
        .args(ado_posture::tables::ALL_TABLES.iter().map(|t| t.name))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; run the tests with `bash tests/run.sh`",
                python()
            )
        });
    assert!(
        result.status.success(),
        "read_dataset.py failed (pyarrow and duckdb come from `bash tests/run.sh`):\n{}\n{}",
        text(&result.stdout),
        text(&result.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&result.stdout).unwrap();
    let date = manifest["snapshot_date"].as_str().unwrap();
    for table in ado_posture::tables::ALL_TABLES.iter().map(|t| t.name) {
        let rows = &manifest["tables"][table]["rows"];
        assert!(
            rows.as_u64().is_some(),
            "the manifest has no row count for {table}"
        );
        for reader in ["pyarrow", "duckdb"] {
            assert_eq!(&read[reader][table]["rows"], rows, "{reader} {table}");
            // An empty table has no rows to carry the partition's date.
            let dates = if rows == 0 {
                serde_json::json!([])
            } else {
                serde_json::json!([date])
            };
            assert_eq!(
                read[reader][table]["snapshot_dates"], dates,
                "{reader} {table}"
            );
        }
    }
    assert_eq!(
        read["duckdb"]["findings"]["severities"],
        serde_json::json!(["critical", "high", "low", "medium"])
    );
    // Read as docs/dataset.md says, snapshot_date is a date and nullable integers stay integers.
    assert_eq!(
        read["types"],
        serde_json::json!({
            "pyarrow": { "snapshot_date": "date32[day]", "size_bytes": "int64" },
            "pandas": {
                "snapshot_date": "date32[day][pyarrow]",
                "size_bytes": "int64[pyarrow]",
                "max_snapshot_date": date,
            },
        })
    );
}
