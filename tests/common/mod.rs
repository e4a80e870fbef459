//! Helpers shared by the end-to-end tests: run the real binary, start the simulator as its own
//! process on a free loopback port, write configs.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_ado-posture");
pub const SIM_PAT: &str = "e2e-test-pat";

/// A simulator process; killed on drop.
pub struct Simulator {
    child: Child,
    pub url: String,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `ado-posture simulate` on 127.0.0.1:0 with extra flags and reads the printed URL.
pub fn start_simulator(args: &[&str]) -> Simulator {
    let mut child = Command::new(BIN)
        .args(["simulate", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("ADO_POSTURE_SIM_PAT", SIM_PAT)
        .env("ADO_POSTURE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn simulator");
    let stdout = child.stdout.take().expect("simulator stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read simulator address");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("unexpected simulator banner: {line:?}"))
        .to_string();
    Simulator { child, url }
}

/// Writes a config with one connector pointing every host at the simulator.
pub fn write_config(dir: &Path, sim_url: &str, organizations: &str, pat_env: &str) -> PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[limits]
requests_per_second = 500
burst = 100
max_concurrency = 8
backoff_base_ms = 20

[[connector]]
name = "e2e"
url = "{sim_url}"
vssps_url = "{sim_url}"
advsec_url = "{sim_url}"
organizations = {organizations}
auth = {{ kind = "pat", token_env = "{pat_env}" }}
"#
    );
    std::fs::write(&path, text).expect("write config");
    path
}

pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env("ADO_POSTURE_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run ado-posture")
}

/// Asserts that a run exited with `code` (the message shows `context`, stdout and stderr);
/// its stdout.
pub fn exited(output: &Output, code: i32, context: &str) -> String {
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{context}{stdout}{}",
        text(&output.stderr)
    );
    stdout
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The single run manifest in a dataset.
pub fn manifest(dataset: &Path) -> serde_json::Value {
    let runs: Vec<PathBuf> = std::fs::read_dir(dataset.join("_runs"))
        .expect("_runs folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    serde_json::from_slice(&std::fs::read(&runs[0]).expect("read manifest"))
        .expect("parse manifest")
}

/// Every file under a folder, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found
}

/// Every `.parquet` file under a folder.
pub fn parquet_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect()
}

/// `ado-posture run --config CONFIG --out OUT [extra…]` with the simulator's PAT in `E2E_PAT`.
pub fn run_config(config: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, &[("E2E_PAT", SIM_PAT)])
}

/// Runs the whole job in-process against an in-process simulator serving `estate`, as of
/// `date`, with a fixed run id and generation time (for tests that compare output).
pub async fn snapshot(
    estate: ado_posture_sim::Estate,
    out: &Path,
    date: chrono::NaiveDate,
    run_id: &str,
) -> ado_posture::job::JobOutcome {
    use ado_posture::config::{Limits, ResolvedConfig};
    use ado_posture::job::{self, JobOptions};
    use ado_posture_sim::{SimServer, SimSettings};
    use chrono::TimeZone as _;

    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let server = SimServer::start(loopback, estate, SimSettings::default())
        .await
        .expect("start simulator");
    let config = ResolvedConfig {
        output_dir: None,
        work_dir: None,
        output_identity: None,
        retain_days: None,
        limits: Limits::default(),
        connectors: vec![server.connector("fixture")],
        email: None,
        exemptions: Vec::new(),
        rule_scopes: Vec::new(),
        owners: Vec::new(),
        rules_dir: None,
    };
    let options = JobOptions {
        snapshot_date: Some(date),
        run_id: Some(run_id.into()),
        generated_at: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 6, 0, 0).single(),
        ..JobOptions::default()
    };
    job::run(&config, out, &options).await.expect("job")
}

/// (rule, organization, resource id, result) of the snapshot's findings table, where result is
/// `fail` (new or persisting) or `not_evaluated`; resolved rows are left out.
pub fn findings_of(
    dataset: &Path,
    date: chrono::NaiveDate,
) -> std::collections::BTreeSet<(String, String, String, String)> {
    use ado_posture::dataset::{Dataset, scan_files};
    let dataset = Dataset::new(dataset);
    let df = scan_files(&dataset.partition_files("findings", date).unwrap())
        .unwrap()
        .collect()
        .unwrap();
    let col = |name: &str| df.column(name).unwrap().str().unwrap().clone();
    let (rules, orgs, ids, statuses) = (
        col("rule_id"),
        col("organization"),
        col("resource_id"),
        col("status"),
    );
    let rows: Vec<_> = (0..df.height())
        .filter(|&i| statuses.get(i) != Some("resolved"))
        .map(|i| {
            let result = match statuses.get(i) {
                Some("not_evaluated") => "not_evaluated",
                _ => "fail",
            };
            (
                rules.get(i).unwrap().to_string(),
                orgs.get(i).unwrap().to_string(),
                ids.get(i).unwrap().to_string(),
                result.to_string(),
            )
        })
        .collect();
    let set: std::collections::BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!(set.len(), rows.len(), "duplicate findings");
    set
}

/// The same tuples from the simulator's ground truth.
pub fn expected_of(
    truth: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, String, String)> {
    truth["expected_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (
                s("rule_id"),
                s("organization"),
                s("resource_id"),
                s("result"),
            )
        })
        .collect()
}

/// Asserts the findings equal the ground truth, and prints precision and recall per rule.
pub fn assert_findings_match_truth(
    dataset: &Path,
    date: chrono::NaiveDate,
    truth: &serde_json::Value,
) {
    let got = findings_of(dataset, date);
    let expected = expected_of(truth);
    let mut per_rule: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    for f in &expected {
        per_rule.entry(&f.0).or_default().0 += 1;
    }
    for f in &got {
        let e = per_rule.entry(&f.0).or_default();
        e.1 += 1;
        if expected.contains(f) {
            e.2 += 1;
        }
    }
    for (rule, (expected_n, got_n, both)) in &per_rule {
        eprintln!(
            "{rule}: expected {expected_n}, reported {got_n}, precision {:.3}, recall {:.3}",
            if *got_n == 0 {
                1.0
            } else {
                *both as f64 / *got_n as f64
            },
            if *expected_n == 0 {
                1.0
            } else {
                *both as f64 / *expected_n as f64
            }
        );
    }
    let missed: Vec<_> = expected.difference(&got).take(20).collect();
    let extra: Vec<_> = got.difference(&expected).take(20).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}"
    );
}

/// Reads the ground truth the simulator wrote and the run's manifest, asserts the row counts of
/// `tables` ((table, truth key summed over organizations)) and that the findings equal the
/// truth rule by rule; returns (truth, manifest) for further checks.
pub fn assert_crawl_matches_truth(
    out: &Path,
    truth_path: &Path,
    tables: &[(&str, &str)],
) -> (serde_json::Value, serde_json::Value) {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth_path).expect("truth file"))
            .expect("truth JSON");
    let dataset = out.join("dataset");
    let manifest = manifest(&dataset);
    let orgs = truth["organizations"].as_array().expect("organizations");
    for (table, key) in tables {
        let expected: u64 = orgs.iter().map(|o| o[*key].as_u64().unwrap_or(0)).sum();
        assert_eq!(
            manifest["tables"][*table]["rows"].as_u64(),
            Some(expected),
            "{table} rows vs truth {key}"
        );
    }
    let date = ado_posture::dataset::Dataset::new(&dataset)
        .snapshot_dates("findings")
        .expect("findings partitions")[0];
    assert_findings_match_truth(&dataset, date, &truth);
    (truth, manifest)
}

/// Sends SIGTERM to a child process (with the `kill` program, as an operator or a scheduler would).
pub fn sigterm(child: &std::process::Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -TERM failed");
}

/// The Parquet files of the dataset versions being built (`OUT/.dataset-versions/*.staging`).
pub fn staged_files(out: &Path) -> usize {
    std::fs::read_dir(out.join(".dataset-versions"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".staging"))
                .map(|e| parquet_files_under(&e.path()).len())
                .sum()
        })
        .unwrap_or(0)
}
