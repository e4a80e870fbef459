//! Unattended operation: every exit code of `ado-posture run`, driven against the simulator,
//! the lock, signals, retention, config checking and the logs a scheduler keeps.

use crate::common;

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// Files of a table's partitions, sorted, as relative paths.
fn table_files(out: &Path, table: &str) -> Vec<String> {
    let mut files: Vec<String> = parquet_files_under(&out.join("dataset").join(table))
        .iter()
        .map(|p| p.strip_prefix(out).unwrap().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn exit_3_when_one_organization_fails_and_the_others_are_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    let config = write_config(
        tmp.path(),
        &sim.url,
        r#"["sim-org-00", "no-such-org", "sim-org-01"]"#,
        "E2E_PAT",
    );
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("not crawled: organization 'no-such-org'"),
        "{stdout}"
    );
    let manifest = manifest(&out.join("dataset"));
    assert_eq!(manifest["status"], "partial");
    assert_eq!(manifest["tables"]["organizations"]["rows"], 2);
    let failed: Vec<_> = manifest["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["organization"], "no-such-org");
    assert_eq!(failed[0]["http_status"], 404);
    assert_eq!(manifest["tables"]["crawl_errors"]["rows"], 1);
}

#[test]
fn exit_3_when_an_organization_keeps_failing_after_retries() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "3", "--broken-org", "sim-org-02"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("not crawled: organization 'sim-org-02': HTTP 500"),
        "{stdout}"
    );
    let manifest = manifest(&out.join("dataset"));
    assert_eq!(manifest["tables"]["organizations"]["rows"], 2);
    assert_eq!(manifest["tables"]["crawl_errors"]["rows"], 1);
    // Retried up to the bound (6 attempts), then given up.
    assert_eq!(
        manifest["api"]["core/projects"]["retries"]
            .as_u64()
            .unwrap(),
        5,
        "{}",
        manifest["api"]
    );
}

/// An organization that fails after its projects and alerts were handed over to the writer
/// leaves nothing in the snapshot: its spooled files go with it.
#[test]
fn an_organization_failing_late_leaves_none_of_its_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&[
        "--organizations",
        "3",
        "--broken-route",
        "sim-org-02/distributedtask/pools",
    ]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("not crawled: organization 'sim-org-02': HTTP 500"),
        "{stdout}"
    );
    let dataset = out.join("dataset");
    let manifest = manifest(&dataset);
    assert_eq!(manifest["tables"]["organizations"]["rows"], 2);
    // Its branch policies (handed over with each project) were read, then dropped.
    assert!(
        manifest["api"]["policy/configurations"]["calls"]
            .as_u64()
            .unwrap()
            > 0
    );
    for table in ["projects", "branch_policies", "advsec_alerts", "checks"] {
        let mut organizations = std::collections::BTreeSet::new();
        for file in table_files(&out, table) {
            let reader = parquet::file::reader::SerializedFileReader::new(
                std::fs::File::open(out.join(&file)).unwrap(),
            )
            .unwrap();
            for row in parquet::file::reader::FileReader::get_row_iter(&reader, None).unwrap() {
                let row = row.unwrap();
                for (name, field) in row.get_column_iter() {
                    if name == "organization" {
                        organizations.insert(field.to_string());
                    }
                }
            }
        }
        assert!(
            !organizations.is_empty() && !organizations.iter().any(|o| o.contains("sim-org-02")),
            "{table}: {organizations:?}"
        );
    }
    let version = std::fs::canonicalize(&dataset).unwrap();
    assert!(!version.join("_spool").exists(), "the spool was committed");
}

#[test]
fn exit_5_with_findings_at_or_above_fail_on() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &["--fail-on", "high"]);
    assert_eq!(output.status.code(), Some(5), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("--fail-on high"));
    // The snapshot and reports are there all the same.
    assert_eq!(table_files(&out, "findings").len(), 1);
    assert!(
        out.join("reports")
            .join(today())
            .join("report.html")
            .exists()
    );
}

#[test]
fn exit_7_while_a_live_process_holds_the_lock_and_a_stale_lock_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lock_path = out.join(".ado-posture.lock");

    // A live holder: this test process, with an flock on the file like a running job's.
    let held = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .unwrap();
    std::fs::write(&lock_path, "pid=4242\nhost=nightly-1\n").unwrap();
    held.lock().unwrap();
    let output = run_config(&config, &out, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("another ado-posture run holds the lock") && stderr.contains("pid=4242"),
        "{stderr}"
    );
    assert!(
        table_files(&out, "findings").is_empty(),
        "a locked-out run wrote data"
    );
    held.unlock().unwrap();
    drop(held);

    // A stale lock: the file of a run that died (nobody holds the flock).
    std::fs::write(
        &lock_path,
        "pid=999999\nhost=nightly-1\nstarted=2026-01-01T02:15:00Z\n",
    )
    .unwrap();
    let output = run_config(&config, &out, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("took over the lock") && stderr.contains("pid=999999"),
        "{stderr}"
    );
    assert!(
        !lock_path.exists(),
        "the lock file is removed when the run ends"
    );
}

#[test]
fn sigterm_mid_crawl_exits_130_keeps_the_previous_snapshot_and_releases_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let fast = start_simulator(&["--organizations", "1"]);
    let config = write_config(tmp.path(), &fast.url, r#"["*"]"#, "E2E_PAT");
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    let before: Vec<String> = ["organizations", "repositories", "findings"]
        .iter()
        .flat_map(|t| table_files(&out, t))
        .collect();
    let manifests_before = std::fs::read_dir(out.join("dataset").join("_runs"))
        .unwrap()
        .count();

    // The same estate, each response 2 s slow: the crawl is surely in flight after 1 s.
    let slow = start_simulator(&["--organizations", "1", "--latency-ms", "2000"]);
    let config = write_config(tmp.path(), &slow.url, r#"["*"]"#, "E2E_PAT");
    let child = Command::new(BIN)
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock_path = out.join(".ado-posture.lock");
    let started = Instant::now();
    while !lock_path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1000));
    sigterm(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the run did not stop promptly"
    );

    let after: Vec<String> = ["organizations", "repositories", "findings"]
        .iter()
        .flat_map(|t| table_files(&out, t))
        .collect();
    assert_eq!(before, after, "the previous snapshot changed");
    assert_eq!(
        std::fs::read_dir(out.join("dataset").join("_runs"))
            .unwrap()
            .count(),
        manifests_before
    );
    assert_eq!(staged_files(&out), 0, "a half-written run is left behind");
    assert!(!lock_path.exists(), "the lock was not released");
}

#[test]
fn check_reports_three_mistakes_together_naming_each_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        r#"
[output]
dir = "/proc/ado-posture-cannot-write-here"

[limits]
requests_per_secnd = 10

[[connector]]
name = "contoso"
url = "https//dev.azure.com"
organizations = ["*"]
auth = { kind = "pat", token_env = "ADO_POSTURE_TEST_UNSET_PAT" }
"#,
    )
    .unwrap();
    let output = run(
        &["run", "--config", config.to_str().unwrap(), "--check"],
        &[],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for needle in [
        "unknown key `limits.requests_per_secnd`",
        "connector 'contoso': url = \"https//dev.azure.com\" is not a URL",
        "environment variable ADO_POSTURE_TEST_UNSET_PAT",
        "[output] dir: output folder /proc/ado-posture-cannot-write-here",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(stderr.contains("4 problem(s)"), "{stderr}");
}

#[test]
fn check_accepts_a_good_config_without_crawling() {
    let tmp = tempfile::tempdir().unwrap();
    // No simulator is running: --check must not make any request.
    let config = write_config(
        tmp.path(),
        "http://127.0.0.1:9",
        r#"["sim-org-00"]"#,
        "E2E_PAT",
    );
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &["--check"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with("config OK: 1 connector(s), 1 organization(s)"));
    assert!(!out.join("dataset").exists());
}

#[test]
fn retention_prunes_old_snapshots_and_reports_after_a_successful_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    // Make the snapshot look 400 days old, as if written long ago.
    let old = "2025-01-01";
    for table in [
        "organizations",
        "projects",
        "repositories",
        "branch_policies",
        "findings",
    ] {
        let dir = out.join("dataset").join(table);
        std::fs::rename(
            dir.join(format!("snapshot_date={}", today())),
            dir.join(format!("snapshot_date={old}")),
        )
        .unwrap();
    }
    std::fs::rename(
        out.join("reports").join(today()),
        out.join("reports").join(old),
    )
    .unwrap();

    let output = run_config(&config, &out, &["--retain-days", "30"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for table in ["organizations", "findings"] {
        let files = table_files(&out, table);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].contains(&today()), "{files:?}");
    }
    assert!(!out.join("reports").join(old).exists());
    assert!(out.join("reports").join(today()).exists());
}

#[test]
fn logs_are_json_lines_off_a_terminal_and_end_with_a_summary_that_agrees_with_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    let output = Command::new(BIN)
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("E2E_PAT", SIM_PAT)
        .env("RUST_LOG", "info")
        .env_remove("ADO_POSTURE_LOG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = text(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summary = lines.last().unwrap();
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .starts_with("summary: 2 organizations"),
        "{summary}"
    );
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["exit_reason"], "success");
    assert!(summary["api_calls"].as_u64().unwrap() > 0);
    assert!(
        !text(&output.stderr).contains(SIM_PAT),
        "the PAT leaked into the logs"
    );
    // The summary line and the manifest say the same thing: one count, two places.
    let manifest = manifest(&out.join("dataset"));
    let findings = &manifest["findings"];
    for severity in ["critical", "high", "medium", "low"] {
        assert_eq!(
            summary[severity], findings["by_severity"][severity],
            "{severity}: {summary} vs {findings}"
        );
    }
    let open: u64 = ["critical", "high", "medium", "low"]
        .iter()
        .map(|s| summary[*s].as_u64().unwrap())
        .sum();
    assert_eq!(open, findings["open"].as_u64().unwrap());
    assert!(open > 0, "the simulated estate has findings");
    assert_eq!(summary["new"], findings["new"]);
    assert_eq!(summary["resolved"], findings["resolved"]);
    assert_eq!(summary["api_calls"], manifest["api_totals"]["calls"]);
    assert_eq!(summary["api_retries"], manifest["api_totals"]["retries"]);
    assert_eq!(
        summary["organizations"].as_u64().unwrap(),
        manifest["organizations"].as_array().unwrap().len() as u64
    );
    for table in ["projects", "repositories"] {
        assert_eq!(
            summary[table], manifest["tables"][table]["rows"],
            "{table}: {summary}"
        );
    }
}

#[test]
fn sigkill_during_the_dataset_write_leaves_the_previous_snapshot_whole_and_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    let tables: Vec<&str> = ado_posture::tables::ALL_TABLES
        .iter()
        .map(|t| t.name)
        .collect();
    let before: Vec<String> = tables.iter().flat_map(|t| table_files(&out, t)).collect();
    let bytes_before: Vec<Vec<u8>> = before
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();

    // The same run again, slowed down after each table file it stages, killed mid-write.
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_TEST_WRITE_DELAY_MS", "400")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The next version is staged beside the current one (src/dataset/commit.rs).
    let staged_files = || staged_files(&out);
    let started = Instant::now();
    loop {
        let staged = staged_files();
        if staged >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never staged files"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Readers see exactly the previous snapshot: same files, same bytes, readable.
    let after: Vec<String> = tables.iter().flat_map(|t| table_files(&out, t)).collect();
    assert_eq!(before, after, "a partial partition became visible");
    for (file, bytes) in after.iter().zip(&bytes_before) {
        assert_eq!(
            &std::fs::read(out.join(file)).unwrap(),
            bytes,
            "{file} changed"
        );
        let frame = ado_posture::dataset::scan_files(&[out.join(file)])
            .unwrap()
            .collect();
        assert!(frame.is_ok(), "{file} is not readable");
    }
    // The next run clears what the killed one staged and commits normally.
    assert!(staged_files() >= 3);
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    assert_eq!(staged_files(), 0);
}

/// Starts `ado-posture run` paused at `stage` for `ms` (ADO_POSTURE_TEST_PAUSE_AT: the thread
/// blocks there as heavy work does) and returns once it says it has reached it.
fn run_paused_at(
    config: &Path,
    out: &Path,
    stage: &str,
    ms: u64,
    extra_env: &[(&str, &str)],
) -> std::process::Child {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(BIN)
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_LOG", "info")
        .env("ADO_POSTURE_TEST_PAUSE_AT", format!("{stage}:{ms}"))
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mark = format!("test pause: {stage}");
    let mut seen = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains(&mark) => break,
            Some(Ok(line)) => seen.push(line),
            _ => panic!("the run never reached {stage}: {seen:?}"),
        }
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

/// SIGTERM while the run's thread is busy (rules before the commit, reports after it): exit
/// 130 at once, saying exactly what was committed, with the summary line.
#[test]
fn sigterm_during_rules_and_reports_exits_130_saying_what_was_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "1", "--projects", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    for (stage, committed) in [("rules", false), ("reports", true)] {
        let out = tmp.path().join(stage);
        let child = run_paused_at(&config, &out, stage, 60_000, &[]);
        let started = Instant::now();
        sigterm(&child);
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{stage}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{stage}: SIGTERM waited for the stage to end"
        );
        let dataset = out.join("dataset");
        let has_snapshot = dataset.join("organizations").is_dir();
        assert_eq!(has_snapshot, committed, "{stage}");
        assert!(
            !out.join(".ado-posture.lock").exists(),
            "{stage}: lock left"
        );
    }
}

/// `evaluate` (a writer) while a run holds the output folder: refused with exit 7, and the run
/// goes on unaffected.
#[test]
fn evaluate_during_a_live_run_is_refused_and_the_run_is_unaffected() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2", "--projects", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    let child = run_paused_at(&config, &out, "rules", 3_000, &[]);
    for command in [vec!["evaluate", "--data"], vec!["report", "--data"]] {
        let mut args = command.clone();
        args.push(out.to_str().unwrap());
        let refused = Command::new(BIN)
            .args(&args)
            .env("E2E_PAT", SIM_PAT)
            .output()
            .unwrap();
        assert_eq!(
            refused.status.code(),
            Some(7),
            "{command:?}: {}",
            text(&refused.stderr)
        );
        assert!(
            text(&refused.stderr).contains("holds the lock"),
            "{}",
            text(&refused.stderr)
        );
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let manifests = std::fs::read_dir(out.join("dataset").join("_runs"))
        .unwrap()
        .count();
    // Same day: the second run's manifest supersedes the first's; both organizations are there.
    assert_eq!(manifests, 1);
    let dataset = ado_posture::dataset::Dataset::new(out.join("dataset"));
    let date = dataset.snapshot_dates("organizations").unwrap()[0];
    let orgs =
        ado_posture::dataset::scan_files(&dataset.partition_files("organizations", date).unwrap())
            .unwrap()
            .collect()
            .unwrap();
    assert_eq!(orgs.height(), 2);
}

/// SIGTERM while the snapshot is being written (slowed after each staged file): exit 130,
/// nothing new committed, nothing staged left, the previous snapshot intact.
#[test]
fn sigterm_during_the_write_commits_nothing_and_leaves_nothing_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    let config = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let out = tmp.path().join("out");
    assert_eq!(run_config(&config, &out, &[]).status.code(), Some(0));
    let before: Vec<String> = ado_posture::tables::ALL_TABLES
        .iter()
        .flat_map(|t| table_files(&out, t.name))
        .collect();
    let child = Command::new(BIN)
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("E2E_PAT", SIM_PAT)
        .env("ADO_POSTURE_TEST_WRITE_DELAY_MS", "400")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staged = || staged_files(&out);
    let started = Instant::now();
    while staged() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing staged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    sigterm(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("nothing new committed"), "{stderr}");
    let after: Vec<String> = ado_posture::tables::ALL_TABLES
        .iter()
        .flat_map(|t| table_files(&out, t.name))
        .collect();
    assert_eq!(before, after);
    assert_eq!(staged(), 0, "a half-written run is left behind");
}
