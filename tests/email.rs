//! The summary e-mail, sent to a real SMTP server on loopback (aiosmtpd, from tests/run.sh).

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// An aiosmtpd server writing what it receives to a folder; stopped on drop.
struct SmtpSink {
    child: Child,
    port: u16,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_smtp_sink(dir: &Path) -> SmtpSink {
    let python = std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/python/smtp_sink.py"
    );
    let mut child = Command::new(&python)
        .arg(script)
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {python}: {e}; run the tests with `bash tests/run.sh`")
        });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| {
        panic!("smtp_sink.py did not start (aiosmtpd comes from `bash tests/run.sh`): {line:?}")
    });
    SmtpSink { child, port }
}

fn wait_for_message(dir: &Path, n: usize) -> serde_json::Value {
    let path = dir.join(format!("{n}.json"));
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no message {n} arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A relay that accepts connections and never says a word (no 220 greeting); returns its port.
/// The connections stay open until the test process ends.
fn start_silent_relay() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    port
}

/// `email_extra`: more `[email]` lines, e.g. `timeout_seconds = 2`.
fn config_with_email(
    dir: &Path,
    sim_url: &str,
    smtp_url: &str,
    email_extra: &str,
) -> std::path::PathBuf {
    let path = write_config(dir, sim_url, r#"["*"]"#, "E2E_PAT");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        r#"
[email]
smtp_url = "{smtp_url}"
from = "ado-posture@contoso.example"
to = ["secops@contoso.example", "platform@contoso.example"]
cc = ["ciso@contoso.example"]
subject_prefix = "[posture]"
report_url = "https://reports.contoso.example/ado-posture/"
{email_extra}
"#
    ));
    std::fs::write(&path, text).unwrap();
    path
}

/// An SMTP sink (messages under `dir/mail`), a simulator of 2 organizations × 3 projects and a
/// config sending to the sink with `email_extra` in `[email]`; keep the sink and simulator alive.
fn sink_simulator_and_config(
    dir: &Path,
    email_extra: &str,
) -> (std::path::PathBuf, SmtpSink, Simulator, std::path::PathBuf) {
    let mail = dir.join("mail");
    let sink = start_smtp_sink(&mail);
    let sim = start_simulator(&["--organizations", "2", "--projects", "3"]);
    let config = config_with_email(
        dir,
        &sim.url,
        &format!("smtp://127.0.0.1:{}?tls=none", sink.port),
        email_extra,
    );
    (mail, sink, sim, config)
}

#[test]
fn run_sends_the_summary_with_findings_attached_and_email_resends_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, _sink, _sim, config) = sink_simulator_and_config(tmp.path(), "");
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let message = wait_for_message(&mail, 1);
    assert_eq!(message["mail_from"], "ado-posture@contoso.example");
    assert_eq!(
        message["rcpt_tos"],
        serde_json::json!([
            "secops@contoso.example",
            "platform@contoso.example",
            "ciso@contoso.example"
        ])
    );
    let subject = message["subject"].as_str().unwrap();
    assert!(subject.starts_with("[posture] "), "{subject}");
    assert!(
        subject.contains(" high, ") && subject.contains(" new"),
        "{subject}"
    );
    let html = message["html"].as_str().unwrap();
    assert!(html.contains("Azure DevOps security posture"));
    // minijinja escapes "/" as &#x2f;, which mail clients render as "/".
    assert!(
        html.contains("https:&#x2f;&#x2f;reports.contoso.example&#x2f;ado-posture&#x2f;"),
        "{html}"
    );
    assert!(
        !html.contains("<script"),
        "e-mail HTML must not carry scripts"
    );
    assert!(message["text"].as_str().unwrap().contains("findings.csv"));
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["filename"], "findings.csv");
    assert_eq!(attachments[0]["content_type"], "text/csv");
    let csv = attachments[0]["content"].as_str().unwrap();
    assert!(
        csv.starts_with("snapshot_date,run_id,connector,organization,"),
        "{}",
        &csv[..80.min(csv.len())]
    );
    let date = chrono::Utc::now().date_naive().to_string();
    let on_disk =
        std::fs::read_to_string(out.join("reports").join(&date).join("findings.csv")).unwrap();
    assert_eq!(csv.replace("\r\n", "\n"), on_disk.replace("\r\n", "\n"));

    let resend = run(
        &[
            "email",
            "--config",
            config.to_str().unwrap(),
            "--data",
            out.to_str().unwrap(),
        ],
        &[("E2E_PAT", SIM_PAT)],
    );
    assert_eq!(resend.status.code(), Some(0), "{}", text(&resend.stderr));
    assert_eq!(wait_for_message(&mail, 2)["subject"], message["subject"]);
}

/// Resends the summary of `out` with `[email] attachment_max_kb = kb`; returns message `n`.
fn resend_with_attachment_bound(
    config: &Path,
    out: &Path,
    mail: &Path,
    kb: u64,
    n: usize,
) -> serde_json::Value {
    let settings = std::fs::read_to_string(config)
        .unwrap()
        .replace("[email]\n", &format!("[email]\nattachment_max_kb = {kb}\n"));
    let bounded = config.with_file_name(format!("bounded-{kb}.toml"));
    std::fs::write(&bounded, settings).unwrap();
    let resend = run(
        &[
            "email",
            "--config",
            bounded.to_str().unwrap(),
            "--data",
            out.to_str().unwrap(),
        ],
        &[("E2E_PAT", SIM_PAT)],
    );
    assert_eq!(resend.status.code(), Some(0), "{}", text(&resend.stderr));
    wait_for_message(mail, n)
}

#[test]
fn the_attachment_stays_within_its_bound_compressed_then_trimmed_to_what_needs_attention() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, _sink, _sim, config) = sink_simulator_and_config(tmp.path(), "");
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let date = chrono::Utc::now().date_naive().to_string();
    let on_disk =
        std::fs::read_to_string(out.join("reports").join(&date).join("findings.csv")).unwrap();
    let size = on_disk.len() as u64;
    assert!(size > 8 * 1024, "the estate's findings.csv is {size} bytes");
    let rows = csv::Reader::from_reader(on_disk.as_bytes())
        .records()
        .count();

    // Under the bound but not as it is: compressed, the whole file.
    let kb = size / 1024 - 1;
    let message = resend_with_attachment_bound(&config, &out, &mail, kb, 2);
    let attachment = &message["attachments"][0];
    assert_eq!(attachment["filename"], "findings.csv.gz");
    assert_eq!(attachment["content_type"], "application/gzip");
    assert!(attachment["size"].as_u64().unwrap() <= kb * 1024);
    assert_eq!(
        attachment["content"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n"),
        on_disk.replace("\r\n", "\n")
    );
    let text_part = message["text"].as_str().unwrap();
    assert!(
        text_part.contains(&format!(
            "All {rows} open findings are attached as findings.csv.gz"
        )),
        "{text_part}"
    );

    // Too small even compressed: the new, critical and high rows that fit.
    let message = resend_with_attachment_bound(&config, &out, &mail, 2, 3);
    let attachment = &message["attachments"][0];
    assert_eq!(attachment["filename"], "findings-new-critical-high.csv.gz");
    assert!(attachment["size"].as_u64().unwrap() <= 2 * 1024);
    let content = attachment["content"].as_str().unwrap();
    let mut reader = csv::Reader::from_reader(content.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (status, severity) = (column("status"), column("severity"));
    let kept: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!kept.is_empty() && kept.len() < rows);
    assert!(
        kept.iter()
            .all(|r| &r[status] == "new" || matches!(&r[severity], "critical" | "high"))
    );
    let text_part = message["text"].as_str().unwrap();
    assert!(
        text_part.contains("attached are")
            && text_part.contains("All findings: https://reports.contoso.example/ado-posture/"),
        "{text_part}"
    );

    // None at all.
    let message = resend_with_attachment_bound(&config, &out, &mail, 0, 4);
    assert_eq!(message["attachments"].as_array().unwrap().len(), 0);
}

#[test]
fn a_failed_send_has_its_own_exit_code_and_keeps_data_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = config_with_email(
        tmp.path(),
        &sim.url,
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        "",
    );
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    let date = chrono::Utc::now().date_naive().to_string();
    assert!(out.join("reports").join(&date).join("report.html").exists());
    assert_eq!(
        parquet_files_under(&out.join("dataset").join("findings")).len(),
        1
    );
}

#[test]
fn a_relay_that_never_greets_is_given_up_at_timeout_seconds_and_keeps_data_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let port = start_silent_relay();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = config_with_email(
        tmp.path(),
        &sim.url,
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        "timeout_seconds = 2",
    );
    let out = tmp.path().join("out");
    let started = Instant::now();
    let output = run_config(&config, &out, &[]);
    let elapsed = started.elapsed();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the SMTP server 127.0.0.1:{port} did not finish within 2 s ([email] timeout_seconds)"
        )),
        "{stderr}"
    );
    assert!(
        elapsed < Duration::from_secs(30),
        "the run took {elapsed:?}"
    );
    let date = chrono::Utc::now().date_naive().to_string();
    assert!(out.join("reports").join(&date).join("report.html").exists());
    assert_eq!(
        parquet_files_under(&out.join("dataset").join("findings")).len(),
        1
    );
}

/// SIGTERM while the e-mail is being sent (the relay never answers): exit 130 at once, saying
/// the snapshot was committed and only the e-mail is unfinished.
#[test]
fn sigterm_during_the_email_says_the_snapshot_was_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let port = start_silent_relay();
    let sim = start_simulator(&["--organizations", "1"]);
    let config = config_with_email(
        tmp.path(),
        &sim.url,
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        "timeout_seconds = 600",
    );
    let out = tmp.path().join("out");
    let child = std::process::Command::new(common::BIN)
        .args(["run", "--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("E2E_PAT", common::SIM_PAT)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let date = chrono::Utc::now().date_naive().to_string();
    let report = out.join("reports").join(&date).join("email.html");
    let started = Instant::now();
    while !report.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no reports");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The reports are written just before the send starts.
    std::thread::sleep(Duration::from_millis(500));
    sigterm(&child);
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("the snapshot was committed"), "{stderr}");
    assert!(stderr.contains("exit 130"), "no summary line: {stderr}");
    assert_eq!(
        parquet_files_under(&out.join("dataset").join("findings")).len(),
        1
    );
}

/// With `[[owner]]` entries and `owner_digests = true`, every open finding has an owner in
/// `finding_owners`, and each owner gets one digest of its own open findings, to its address.
#[test]
fn each_owner_gets_a_digest_of_its_own_open_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let (mail, _sink, _sim, config) = sink_simulator_and_config(tmp.path(), "owner_digests = true");
    let mut text_config = std::fs::read_to_string(&config).unwrap();
    text_config.push_str(
        r#"
[[owner]]
team = "Org zero"
email = "org-zero@contoso.example"
resources = ["sim-org-00/*", "sim-org-00/*/*"]

[[owner]]
team = "Security"
email = "security@contoso.example"
resources = ["*"]
"#,
    );
    std::fs::write(&config, text_config).unwrap();
    let out = tmp.path().join("out");
    let output = run_config(&config, &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    // The summary, then one digest per owner, in the config's order.
    let summary = wait_for_message(&mail, 1);
    assert!(summary["rcpt_tos"].as_array().unwrap().len() == 3);
    let zero = wait_for_message(&mail, 2);
    let security = wait_for_message(&mail, 3);
    assert!(!mail.join("4.json").exists(), "one digest per owner");
    assert_eq!(
        zero["rcpt_tos"],
        serde_json::json!(["org-zero@contoso.example"])
    );
    assert_eq!(
        security["rcpt_tos"],
        serde_json::json!(["security@contoso.example"])
    );

    // Every open finding has an owner, and each digest lists only its owner's.
    let findings = findings_of(&out.join("dataset"), chrono::Utc::now().date_naive());
    let open: Vec<_> = findings.iter().filter(|f| f.3 == "fail").collect();
    let owned = query_json(
        &out,
        "SELECT finding_id, owner, organization FROM latest_finding_owners \
         WHERE status IN ('new', 'persisting') AND NOT exempt",
    );
    assert_eq!(owned.len(), open.len(), "every open finding has an owner");
    let count = |team: &str| owned.iter().filter(|r| r["owner"] == team).count();
    for r in &owned {
        let expected = if r["organization"] == "sim-org-00" {
            "Org zero"
        } else {
            "Security"
        };
        assert_eq!(r["owner"], expected, "{r}");
    }
    for (message, team) in [(&zero, "Org zero"), (&security, "Security")] {
        let subject = message["subject"].as_str().unwrap();
        assert!(
            subject.starts_with(&format!("[posture] {team}: {} open findings", count(team))),
            "{subject}"
        );
        let body = message["text"].as_str().unwrap();
        let listed = body.lines().filter(|l| l.starts_with("- [")).count();
        assert_eq!(listed, count(team).min(100), "{body}");
        let other = if team == "Org zero" {
            "sim-org-01/"
        } else {
            "sim-org-00/"
        };
        assert!(
            !body.contains(other),
            "{team} got another owner's findings: {body}"
        );
        assert!(message["attachments"].as_array().unwrap().is_empty());
    }
    // owners.csv: the summary per owner, the same counts.
    let date = chrono::Utc::now().date_naive().to_string();
    let csv = std::fs::read_to_string(out.join("reports").join(&date).join("owners.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    for r in &rows {
        assert_eq!(r[7].parse::<usize>().unwrap(), count(&r[1]), "{csv}");
    }
}

/// Rows of a query over the run's dataset, as JSON objects.
fn query_json(out: &Path, sql: &str) -> Vec<serde_json::Value> {
    let output = run(
        &[
            "query",
            "--data",
            out.to_str().unwrap(),
            "--format",
            "ndjson",
            sql,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
