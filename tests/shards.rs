//! A crawl split into shards (`run --shard K/N`, then `finalize --shards N`) against the
//! simulator: the assembled snapshot is the same, row for row, as one unsharded run, and a
//! shard that never committed is named, its organizations left out, and the exit code partial.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

/// Columns that differ between two runs of the same estate by construction: the run, the time
/// of the crawl, and the users' times, which the simulator serves relative to its clock (the
/// whole days derived from them are compared).
const PER_RUN_COLUMNS: &[&str] = &["run_id", "crawled_at", "date_created", "last_accessed_at"];

/// Every row of every table of the dataset's snapshot (but `runs`, one row per run), as text
/// without the per-run columns, sorted.
fn tables(dataset: &Path) -> BTreeMap<String, Vec<String>> {
    let mut tables = BTreeMap::new();
    for entry in std::fs::read_dir(dataset).unwrap() {
        let table = entry.unwrap().file_name().to_string_lossy().into_owned();
        if table.starts_with('_') || table == "runs" {
            continue;
        }
        let mut rows = Vec::new();
        for file in parquet_files_under(&dataset.join(&table)) {
            let reader = parquet::file::reader::SerializedFileReader::new(
                std::fs::File::open(&file).unwrap(),
            )
            .unwrap();
            for row in parquet::file::reader::FileReader::get_row_iter(&reader, None).unwrap() {
                let row = row.unwrap();
                let cells: Vec<String> = row
                    .get_column_iter()
                    .filter(|(name, _)| !PER_RUN_COLUMNS.contains(&name.as_str()))
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                rows.push(cells.join("|"));
            }
        }
        rows.sort();
        tables.insert(table, rows);
    }
    tables
}

fn shard(config: &Path, out: &Path, shard: &str) -> std::process::Output {
    run_config(config, out, &["--shard", shard, "--no-email"])
}

fn finalize(config: &Path, out: &Path, shards: &str) -> std::process::Output {
    run(
        &[
            "finalize",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shards",
            shards,
            "--no-email",
        ],
        &[("E2E_PAT", SIM_PAT)],
    )
}

#[test]
fn three_shards_and_finalize_give_the_unsharded_snapshot_row_for_row() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "5"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let single = tmp.path().join("single");
    let output = run_config(&config, &single, &["--no-email"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let sharded = tmp.path().join("sharded");
    // sim-org-01 is shard 1's, 00 and 04 shard 2's, 02 and 03 shard 3's (CRC-32 of "e2e\0name").
    for (k, organizations) in [("1/3", 1), ("2/3", 2), ("3/3", 2)] {
        let output = shard(&config, &sharded, k);
        let stdout = exited(&output, 0, "");
        assert!(
            stdout.contains(&format!("organizations: {organizations};")),
            "{k}: {stdout}"
        );
    }
    assert!(
        !sharded.join("dataset").exists(),
        "a shard writes only its own folder"
    );
    let output = finalize(&config, &sharded, "3");
    exited(&output, 0, "");

    let (expected, assembled) = (
        tables(&single.join("dataset")),
        tables(&sharded.join("dataset")),
    );
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        assembled.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &expected {
        assert_eq!(rows.len(), assembled[table].len(), "{table}: row count");
        let differing: Vec<(&String, &String)> = rows
            .iter()
            .zip(&assembled[table])
            .filter(|(a, b)| a != b)
            .take(1)
            .collect();
        assert!(differing.is_empty(), "{table}: rows differ: {differing:?}");
    }
    assert!(expected["findings"].len() > 100 && expected["repositories"].len() > 10);
    let manifest = manifest(&sharded.join("dataset"));
    let shards = manifest["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    assert!(
        shards
            .iter()
            .all(|s| s["status"] == "success" && s["run_id"].is_string())
    );
    assert_eq!(manifest["organizations"].as_array().unwrap().len(), 5);
    // The shards' requests, summed from their manifests.
    let calls = |m: &serde_json::Value| m["api_totals"]["calls"].as_u64().unwrap();
    let shard_calls: u64 = (1..=3)
        .map(|k| {
            calls(&crate::common::manifest(
                &sharded.join(format!("shards/{k}-of-3/dataset")),
            ))
        })
        .sum();
    assert!(shard_calls > 0);
    assert_eq!(calls(&manifest), shard_calls);
    assert!(
        sharded.join("reports").read_dir().unwrap().next().is_some(),
        "finalize writes the reports"
    );
}

#[test]
fn a_killed_shard_leaves_the_others_committed_and_finalize_says_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "5"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    // Shard 2 is killed while it writes (each staged file waits 2 s).
    let mut child = std::process::Command::new(BIN)
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shard",
            "2/3",
        ])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_LOG", "warn")
        .env("ADO_POSTURE_TEST_WRITE_DELAY_MS", "2000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for k in ["1/3", "3/3"] {
        let output = shard(&config, &out, k);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let output = finalize(&config, &out, "3");
    let stdout = exited(&output, 3, "");
    assert!(
        stdout.contains("not crawled: shard 2/3 committed no snapshot of"),
        "{stdout}"
    );
    let assembled = tables(&out.join("dataset"));
    let organizations: Vec<&str> = assembled["organizations"]
        .iter()
        .filter_map(|row| row.split('|').find_map(|c| c.strip_prefix("organization=")))
        .collect();
    assert_eq!(
        organizations,
        ["\"sim-org-01\"", "\"sim-org-02\"", "\"sim-org-03\""],
        "shards 1 and 3 are in the snapshot"
    );
    let manifest = manifest(&out.join("dataset"));
    assert_eq!(manifest["status"], "partial");
    let missing: Vec<&serde_json::Value> = manifest["shards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "missing")
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["shard"], "2/3");
    let errors = tables(&out.join("dataset"))["crawl_errors"].clone();
    assert!(
        errors.iter().any(|e| e.contains("missing_shard")),
        "{errors:?}"
    );
}

/// Shards that started before midnight (UTC) are finalized after it: with no --snapshot-date,
/// `finalize` takes the newest date a shard committed when that is yesterday, not today's empty one.
#[test]
fn finalize_after_midnight_takes_the_date_the_shards_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let yesterday = chrono::Utc::now()
        .date_naive()
        .pred_opt()
        .unwrap()
        .to_string();
    for k in ["1/2", "2/2"] {
        let output = run_config(
            &config,
            &out,
            &["--shard", k, "--no-email", "--snapshot-date", &yesterday],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let output = finalize(&config, &out, "2");
    let stdout = exited(&output, 0, "");
    assert!(
        stdout.contains(&format!("Finalizing the shards' snapshot of {yesterday}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("snapshot {yesterday}")),
        "{stdout}"
    );
}
