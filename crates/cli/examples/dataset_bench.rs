//! Dataset write benchmark: streams an estate of N repositories and M Advanced Security alerts
//! through the real table builders and snapshot writer (zstd, statistics, dictionaries, fsync,
//! atomic commit), in bounded batches, and prints rows/s and peak RSS as JSON.
//!
//!     cargo run --release --example dataset_bench -- [REPOSITORIES] [ALERTS] [OUT_DIR]
//!
//! Defaults: 100000 repositories, 1000000 alerts, a temporary folder. The rows are synthetic
//! but shaped like the crawler's (GUIDs, names, and a `raw` JSON column of realistic size).

use std::time::Instant;

use ado_posture::dataset::{Dataset, DatasetError, SnapshotWriter};
use ado_posture::tables::advsec::ADVSEC_ALERTS;
use ado_posture::tables::inventory::REPOSITORIES;
use ado_posture::tables::{RowContext, TableBuilder, TableDef, TableError, Value};
use ado_posture_sim::estate::SplitMix64;
use arrow::record_batch::RecordBatch;

/// Rows per batch handed to the writer: the memory bound of the producer side.
const BATCH_ROWS: usize = 16 * 1024;
const ORGANIZATIONS: usize = 10;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Lazily built batches of `rows` rows, `fill` pushing row `i` into the builder.
fn batches<'a>(
    def: &'static TableDef,
    rows: usize,
    mut fill: impl FnMut(&mut TableBuilder, usize) -> Result<(), TableError> + 'a,
) -> impl Iterator<Item = Result<RecordBatch, TableError>> + 'a {
    let mut next = 0;
    std::iter::from_fn(move || {
        if next >= rows {
            return None;
        }
        let mut builder = TableBuilder::new(def);
        let end = (next + BATCH_ROWS).min(rows);
        for i in next..end {
            if let Err(e) = fill(&mut builder, i) {
                return Some(Err(e));
            }
        }
        next = end;
        Some(builder.finish())
    })
}

/// With `BENCH_BUILD_ONLY=1`: time the row building alone (the synthetic producer and the table
/// builders), to tell it from the Parquet encoding.
fn build_only() -> bool {
    std::env::var_os("BENCH_BUILD_ONLY").is_some()
}

fn main() -> Result<(), DatasetError> {
    let args: Vec<String> = std::env::args().collect();
    let repositories: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let alerts: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = std::env::temp_dir().join(format!("ado-posture-bench-{}", std::process::id()));
    let out = args
        .get(3)
        .map(std::path::PathBuf::from)
        .unwrap_or(tmp.clone());
    let dataset = Dataset::new(out.join("dataset"));
    let date = chrono::Utc::now().date_naive();
    let run_id = "bench";
    let started = Instant::now();
    let mut writer = SnapshotWriter::begin(&dataset, run_id, date)?;
    let mut rng = SplitMix64::new(42);
    let projects: Vec<String> = (0..100).map(|_| rng.guid()).collect();
    let org_names: Vec<String> = (0..ORGANIZATIONS)
        .map(|o| format!("bench-org-{o:02}"))
        .collect();
    for (o, org) in org_names.iter().enumerate() {
        let repos_here =
            repositories / ORGANIZATIONS + usize::from(o < repositories % ORGANIZATIONS);
        let alerts_here = alerts / ORGANIZATIONS + usize::from(o < alerts % ORGANIZATIONS);
        let mut rng = SplitMix64::new(o as u64);
        let repo_ids: Vec<String> = (0..repos_here.max(1)).map(|_| rng.guid()).collect();
        let ids = repo_ids.clone();
        let projects = &projects;
        let repos = batches(&REPOSITORIES, repos_here, move |b, i| {
            let project = &projects[i % projects.len()];
            let name = format!("repo-{o:02}-{i:06}");
            let raw = format!(
                r#"{{"id":"{}","name":"{name}","url":"https://dev.azure.com/{org}/{project}/_apis/git/repositories/{}","project":{{"id":"{project}","name":"project-{}","state":"wellFormed","visibility":"private"}},"defaultBranch":"refs/heads/main","size":{},"remoteUrl":"https://{org}@dev.azure.com/{org}/project/_git/{name}","sshUrl":"git@ssh.dev.azure.com:v3/{org}/project/{name}","webUrl":"https://dev.azure.com/{org}/project/_git/{name}","isDisabled":false,"isInMaintenance":false}}"#,
                ids[i],
                ids[i],
                i % 100,
                i * 1013
            );
            let ctx = RowContext {
                run_id,
                connector: "bench",
                organization: org,
                project: Some((project, "project")),
            };
            b.push(
                &ctx,
                &[
                    Value::Str(Some(&ids[i])),
                    Value::Str(Some(&name)),
                    Value::Str(Some("refs/heads/main")),
                    Value::Bool(Some(false)),
                    Value::Bool(Some(false)),
                    Value::Int(Some((i * 1013) as i64)),
                    Value::Str(Some("https://dev.azure.com/x")),
                    Value::Str(Some(&raw)),
                ],
            )
        });
        if build_only() {
            for b in repos {
                b?;
            }
        } else {
            writer.write_stream(&REPOSITORIES, repos)?;
        }
        let severities = ["critical", "high", "medium", "low", "note"];
        let kinds = ["secret", "code", "dependency"];
        let states = ["active", "active", "dismissed", "fixed"];
        let alerts = batches(&ADVSEC_ALERTS, alerts_here, move |b, i| {
            let repo = &repo_ids[i % repo_ids.len()];
            let (kind, severity, state) = (kinds[i % 3], severities[i % 5], states[i % 4]);
            let title = format!("Finding {i} in {repo}");
            let raw = format!(
                r#"{{"alertId":{i},"alertType":"{kind}","severity":"{severity}","state":"{state}","confidence":"high","title":"{title}","firstSeenDate":"2026-10-01T00:00:00Z","lastSeenDate":"2026-11-01T00:00:00Z","gitRef":"refs/heads/main","repositoryUrl":"https://dev.azure.com/{org}/p/_git/{repo}","tools":[{{"name":"CodeQL"}}]}}"#
            );
            let ctx = RowContext {
                run_id,
                connector: "bench",
                organization: org,
                project: Some(("p", "project")),
            };
            b.push(
                &ctx,
                &[
                    Value::Str(Some(repo)),
                    Value::Str(Some("repo")),
                    Value::Int(Some(i as i64)),
                    Value::Str(Some(kind)),
                    Value::Str(Some(severity)),
                    Value::Str(Some(state)),
                    Value::Str(Some(&title)),
                    Value::Timestamp(Some(1_780_000_000_000_000)),
                    Value::Str(Some("refs/heads/main")),
                    Value::Str(Some(&raw)),
                ],
            )
        });
        if build_only() {
            for b in alerts {
                b?;
            }
        } else {
            writer.write_stream(&ADVSEC_ALERTS, alerts)?;
        }
    }
    let written = writer.commit()?;
    let seconds = started.elapsed().as_secs_f64();
    let rows: usize = written.iter().map(|t| t.rows).sum();
    let bytes: u64 = walk_bytes(&out.join("dataset"));
    println!(
        "{}",
        serde_json::json!({
            "repositories": repositories,
            "alerts": alerts,
            "rows": rows,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "rows_per_second": (rows as f64 / seconds).round(),
            "parquet_bytes": bytes,
            "peak_rss_mib": peak_rss_kib() / 1024,
        })
    );
    if args.get(3).is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

fn walk_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk_bytes(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}
