//! `ado-posture query` as analysts and scripts use it: aggregates over every snapshot and
//! organization, typed JSON in column order, NDJSON, exit codes, a closed pipe, standard input,
//! an output file; `schema`, shell completions and the man page. (That sql/analyst/ and
//! sql/rules/ answer the same as DuckDB and Spark is tests/engines.rs.)

use crate::common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use ado_posture_sim::{Estate, EstateSizes};
use chrono::NaiveDate;
use common::*;

/// Two snapshots of three organizations (3 × 2 × 3 = 18 repositories each).
async fn two_snapshots(out: &Path) {
    let sizes = EstateSizes {
        organizations: 3,
        projects_per_organization: 2,
        repositories_per_project: 3,
    };
    for (day, date, run) in [(0, 1, "run-a"), (4, 2, "run-b")] {
        snapshot(
            Estate::generate(21, sizes.clone()).on_day(day),
            out,
            NaiveDate::from_ymd_opt(2026, 2, date).unwrap(),
            run,
        )
        .await;
    }
}

fn query(out: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["query", "--data", out.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn query_aggregates_over_every_snapshot_and_behaves_as_a_unix_tool() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    two_snapshots(&out).await;

    // Aggregates over tables spanning many files (two dates × three organizations).
    let output = query(
        &out,
        &[
            "--format",
            "json",
            "SELECT COUNT(*) AS n, COUNT(DISTINCT organization) AS orgs, \
             COUNT(DISTINCT repository_id) AS repos, MIN(snapshot_date) AS first, \
             MAX(snapshot_date) AS last FROM repositories",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // Typed values, keys in column order.
    assert_eq!(
        text(&output.stdout).trim(),
        "[\n  {\"n\":36,\"orgs\":3,\"repos\":18,\"first\":\"2026-02-01\",\"last\":\"2026-02-02\"}\n]"
    );
    let output = query(&out, &["SELECT COUNT(*) AS n FROM latest_repositories"]);
    assert!(
        text(&output.stdout).contains("18"),
        "{}",
        text(&output.stdout)
    );
    // Over a view that unions scans (a count Polars must not fail on).
    let output = query(
        &out,
        &[
            "--snapshot",
            "latest",
            "--format",
            "ndjson",
            "SELECT COUNT(*) AS n, true AS yes, NULL AS nothing FROM default_branch_policies",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let line: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
    assert!(line["n"].as_u64().unwrap() > 0);
    assert_eq!(line["yes"], true);
    assert!(line["nothing"].is_null());
    let output = query(
        &out,
        &[
            "--snapshot",
            "2026-02-01",
            "SELECT COUNT(*) AS n FROM repositories",
        ],
    );
    assert!(text(&output.stdout).contains("18"));

    // Mistakes are usage errors (exit 2), said once; a missing table lists the tables.
    let output = query(&out, &["SELECT * FROM nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the tables are: advanced_security"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("not found").count(), 1, "{stderr}");
    let output = query(&out, &["SELEC 1"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = query(&out, &["--snapshot", "2020-01-01", "SELECT 1"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));

    // A reader that stops early (`| head -1`) is not an error.
    let mut child = Command::new(BIN)
        .args(["query", "--data", out.to_str().unwrap()])
        .arg("SELECT * FROM repositories CROSS JOIN (SELECT 1 AS k FROM findings) f")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed before anything is read
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");

    // The SQL from standard input, the result into a file; the data folder from the environment.
    let result = tmp.path().join("result.csv");
    let mut child = Command::new(BIN)
        .args(["query", "-f", "-", "--format", "csv", "-o"])
        .arg(&result)
        .env("ADO_POSTURE_DATA", &out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT organization, COUNT(*) AS n FROM latest_repositories GROUP BY organization ORDER BY organization")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(&result).unwrap(),
        "organization,n\nsim-org-00,6\nsim-org-01,6\nsim-org-02,6\n"
    );
}

#[test]
fn schema_completions_and_man_page_are_generated_from_the_cli() {
    let output = run(&["schema"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let tables = text(&output.stdout);
    for table in ado_posture::tables::ALL_TABLES.iter() {
        assert!(tables.contains(table.name), "{}", table.name);
    }
    let output = run(&["schema", "repositories"], &[]);
    assert!(text(&output.stdout).contains("default_branch"));
    let output = run(&["schema", "nope"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("the tables are"));

    // The bash completion script loads into bash and completes the subcommands.
    let output = run(&["completions", "bash"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("ado-posture.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    let completed = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; f=$(complete -p ado-posture | sed -E 's/.*-F ([^ ]+).*/\\1/'); COMP_WORDS=(ado-posture qu); COMP_CWORD=1; $f ado-posture qu ado-posture; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        text(&completed.stdout).contains("query"),
        "{} {}",
        text(&completed.stdout),
        text(&completed.stderr)
    );
    for shell in ["zsh", "fish"] {
        let output = run(&["completions", shell], &[]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(text(&output.stdout).contains("ado-posture"), "{shell}");
    }

    // The man page is roff naming every subcommand.
    let output = run(&["man"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let page = text(&output.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    for command in ["run", "query", "evaluate", "report", "schema"] {
        assert!(page.contains(command), "{command}");
    }
}

/// The change feed of the second snapshot lists exactly the drift the simulator applied between
/// the two days (branch protection given to some repositories and taken from others), and
/// nothing else: every other table is unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn the_change_feed_equals_the_drift_the_simulator_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    two_snapshots(&out).await;
    let output = query(
        &out,
        &[
            "--format",
            "ndjson",
            "SELECT table_name, organization, resource_key, change, attribute, before, after, \
             CAST(previous_snapshot_date AS STRING) AS previous FROM latest_changes",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rows: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: std::collections::BTreeSet<(String, String, String, Option<String>)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["table_name"], "branch_policies", "{r}");
            assert_eq!(r["previous"], "2026-02-01", "{r}");
            (
                r["organization"].as_str().unwrap().to_string(),
                r["resource_key"].as_str().unwrap().to_string(),
                r["change"].as_str().unwrap().to_string(),
                r["attribute"].as_str().map(str::to_string),
            )
        })
        .collect();
    let sizes = EstateSizes {
        organizations: 3,
        projects_per_organization: 2,
        repositories_per_project: 3,
    };
    let before = Estate::generate(21, sizes.clone()).on_day(0);
    let expected = Estate::generate(21, sizes)
        .on_day(4)
        .policy_changes_since(&before);
    assert!(!expected.is_empty(), "the simulator drifted");
    assert_eq!(got, expected);
    // A modification says what it was and what it is.
    for r in rows.iter().filter(|r| r["change"] == "modified") {
        assert_ne!(r["before"], r["after"], "{r}");
    }
}
