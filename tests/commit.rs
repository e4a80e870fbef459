//! The commit protocol under crashes. The process is stopped (aborted: no destructor or cleanup
//! runs, as with SIGKILL) at every step of the commit in turn, for a new day and for a same-day
//! re-run. After each: every table reads with DuckDB, every date's tables all come from one run,
//! the previous snapshot is byte-identical when the new one did not commit, and the next run
//! succeeds and leaves nothing behind.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, SIM_PAT, files_under, start_simulator, text, write_config};

/// The steps of `VersionStore::commit` that have a crash point, in order.
const STEPS: [&str; 5] = ["staged", "linked", "finished", "switched", "collected"];
/// Steps after which the new version is the current one.
const COMMITTED_FROM: usize = 3;
const DAY_1: &str = "2026-11-20";
const DAY_2: &str = "2026-11-21";

fn python() -> String {
    std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// `ado-posture run` as of `date`, crashing at `crash` when given.
fn run_on(config: &Path, out: &Path, date: &str, crash: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--snapshot-date", date])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(step) = crash {
        command.env("ADO_POSTURE_TEST_CRASH_AT", step);
    }
    command.output().expect("run ado-posture")
}

/// What DuckDB reads in the dataset (tests/python/dataset_state.py).
fn reader_view(dataset: &Path) -> serde_json::Value {
    let output = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/python/dataset_state.py"
        ))
        .arg(dataset)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "DuckDB could not read {}: {}",
        dataset.display(),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("state JSON")
}

/// Every file a reader of the dataset sees, with its bytes.
fn contents(dataset: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dataset)
        .into_iter()
        .map(|f| {
            let name = f.strip_prefix(dataset).unwrap().display().to_string();
            (name, std::fs::read(&f).unwrap())
        })
        .collect()
}

/// The run each date's tables come from; fails unless every table has the date, all from one run.
fn one_run_per_date(view: &serde_json::Value, context: &str) -> BTreeMap<String, String> {
    let tables = view["tables"].as_object().unwrap();
    let mut runs: BTreeMap<String, String> = BTreeMap::new();
    let dates: std::collections::BTreeSet<&String> = tables
        .values()
        .flat_map(|t| t.as_object().unwrap().keys())
        .collect();
    for date in dates {
        for (table, partitions) in tables {
            let partition = &partitions[date.as_str()];
            let table_runs = partition["runs"].as_array().unwrap_or_else(|| {
                panic!("{context}: table {table} has no partition of {date}: {view}")
            });
            assert_eq!(
                table_runs.len(),
                1,
                "{context}: {table} {date}: {partition}"
            );
            let run = table_runs[0].as_str().unwrap().to_string();
            let first = runs.entry(date.clone()).or_insert_with(|| run.clone());
            assert_eq!(
                *first, run,
                "{context}: {table} of {date} is from another run"
            );
        }
    }
    runs
}

/// After a successful run: one current version and at most the one it replaced, no staging, no
/// stray links.
fn assert_nothing_left_behind(out: &Path, context: &str) {
    let versions: Vec<String> = std::fs::read_dir(out.join(".dataset-versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(versions.len() <= 2, "{context}: {versions:?}");
    assert!(
        versions.iter().all(|v| !v.ends_with(".staging")),
        "{context}: {versions:?}"
    );
    let strays: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".link"))
        .collect();
    assert!(strays.is_empty(), "{context}: {strays:?}");
}

#[test]
fn a_crash_at_any_commit_step_leaves_whole_snapshots_and_the_next_run_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2", "--projects", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let base = tmp.path().join("base");
    let first = run_on(&config, &base, DAY_1, None);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let base_runs = one_run_per_date(&reader_view(&base.join("dataset")), "base");

    for (scenario, date) in [("new-day", DAY_2), ("same-day", DAY_1)] {
        for (index, step) in STEPS.iter().enumerate() {
            let context = format!("{scenario}, crash when {step}");
            let out = tmp.path().join(format!("{scenario}-{step}"));
            let copied = Command::new("cp")
                .args(["-a", base.to_str().unwrap(), out.to_str().unwrap()])
                .status()
                .unwrap();
            assert!(copied.success());
            let dataset = out.join("dataset");
            let before = contents(&dataset);

            let crashed = run_on(&config, &out, date, Some(step));
            let stderr = text(&crashed.stderr);
            assert_eq!(
                crashed.status.code(),
                None,
                "{context}: not killed: {stderr}"
            );
            assert!(
                stderr.contains(&format!("test crash point: {step}")),
                "{context}: {stderr}"
            );

            let view = reader_view(&dataset);
            let runs = one_run_per_date(&view, &context);
            if index < COMMITTED_FROM {
                assert!(
                    before == contents(&dataset),
                    "{context}: the previous snapshot changed"
                );
                assert_eq!(runs, base_runs, "{context}");
            } else {
                assert_ne!(runs[date], base_runs[DAY_1], "{context}: not committed");
                if scenario == "same-day" {
                    // The replaced run's manifest went with its partitions.
                    assert_eq!(view["manifests"].as_array().unwrap().len(), 1, "{context}");
                } else {
                    assert_eq!(runs[DAY_1], base_runs[DAY_1], "{context}");
                }
            }

            let next = run_on(&config, &out, date, None);
            assert_eq!(
                next.status.code(),
                Some(0),
                "{context}: {}",
                text(&next.stderr)
            );
            let runs_after = one_run_per_date(&reader_view(&dataset), &context);
            assert_ne!(runs_after[date], base_runs[DAY_1], "{context}: next run");
            assert_nothing_left_behind(&out, &context);
        }
    }
}

/// A dataset written before the commit protocol (a plain `dataset/` folder) is taken over by
/// the next run, its snapshots kept.
#[test]
fn a_dataset_folder_of_an_older_version_is_taken_over_with_its_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "1", "--projects", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    assert_eq!(run_on(&config, &out, DAY_1, None).status.code(), Some(0));
    // Make it look like the old layout: the current version as a plain folder.
    let dataset = out.join("dataset");
    let target = std::fs::canonicalize(&dataset).unwrap();
    std::fs::remove_file(&dataset).unwrap();
    std::fs::rename(&target, &dataset).unwrap();
    std::fs::remove_dir_all(out.join(".dataset-versions")).unwrap();
    let before = one_run_per_date(&reader_view(&dataset), "old layout");

    let next = run_on(&config, &out, DAY_2, None);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stderr));
    assert!(
        std::fs::symlink_metadata(&dataset)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let after = one_run_per_date(&reader_view(&dataset), "taken over");
    assert_eq!(after[DAY_1], before[DAY_1]);
    assert!(after.contains_key(DAY_2));
    assert_nothing_left_behind(&out, "taken over");
}
