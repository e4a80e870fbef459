//! Secrets (the PAT, the SMTP password) never reach logs, errors, the manifest, the dataset or
//! the reports, whatever happens: success, a wrong PAT, a failed e-mail.

use crate::common;

use std::path::Path;

use common::*;

const SMTP_PASSWORD: &str = "smtp-pw-7f3e9c1a-never-print-me";

fn assert_absent(secret: &str, what: &str, haystack: &[u8]) {
    let needle = secret.as_bytes();
    assert!(
        !haystack.windows(needle.len()).any(|w| w == needle),
        "the secret {secret:?} appears in {what}"
    );
}

fn config_with_smtp_password(
    dir: &Path,
    sim_url: &str,
    organizations: &str,
    pat_env: &str,
    smtp_port: u16,
) -> std::path::PathBuf {
    let path = write_config(dir, sim_url, organizations, pat_env);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        r#"
[email]
smtp_url = "smtp://127.0.0.1:{smtp_port}?tls=none"
from = "ado-posture@contoso.example"
to = ["secops@contoso.example"]
password_env = "E2E_SMTP_PASSWORD"
"#
    ));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_pat_and_smtp_password_appear_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "2"]);
    // Nothing listens on this port: the e-mail fails, and its error must not carry the password.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tmp.path().join("out");

    let good = config_with_smtp_password(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT", closed);
    let env = [("E2E_PAT", SIM_PAT), ("E2E_SMTP_PASSWORD", SMTP_PASSWORD)];
    let mut outputs = Vec::new();
    for args in [
        vec![
            "run",
            "--config",
            good.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        vec![
            "run",
            "--config",
            good.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log-format",
            "text",
        ],
        vec!["run", "--config", good.to_str().unwrap(), "--check"],
        vec![
            "email",
            "--config",
            good.to_str().unwrap(),
            "--data",
            out.to_str().unwrap(),
        ],
    ] {
        let output = run(&args, &env);
        outputs.push((args.join(" "), output));
    }
    // A wrong PAT, named in the errors by organization and status only.
    let wrong = config_with_smtp_password(
        tmp.path(),
        &sim.url,
        r#"["sim-org-00"]"#,
        "E2E_WRONG",
        closed,
    );
    let wrong_pat = "wrong-pat-4d2b8e-never-print-me";
    let output = run(
        &[
            "run",
            "--config",
            wrong.to_str().unwrap(),
            "--out",
            tmp.path().join("out2").to_str().unwrap(),
        ],
        &[
            ("E2E_WRONG", wrong_pat),
            ("E2E_SMTP_PASSWORD", SMTP_PASSWORD),
            ("RUST_LOG", "debug"),
        ],
    );
    assert_eq!(output.status.code(), Some(4));
    outputs.push(("wrong PAT".into(), output));

    assert_eq!(
        outputs[0].1.status.code(),
        Some(6),
        "{}",
        text(&outputs[0].1.stderr)
    );
    for (what, output) in &outputs {
        for secret in [SIM_PAT, SMTP_PASSWORD, wrong_pat] {
            assert_absent(secret, &format!("stdout of `{what}`"), &output.stdout);
            assert_absent(secret, &format!("stderr of `{what}`"), &output.stderr);
        }
    }
    let files: Vec<(std::path::PathBuf, Vec<u8>)> = files_under(tmp.path())
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect();
    assert!(
        files
            .iter()
            .any(|(p, _)| p.extension().is_some_and(|x| x == "parquet"))
    );
    assert!(files.iter().any(|(p, _)| p.ends_with("report.html")));
    for (path, bytes) in &files {
        if path.extension().is_some_and(|x| x == "toml") {
            continue; // the config names the variables, not their values
        }
        if path.extension().is_some_and(|x| x == "parquet") {
            // Compressed on disk: search the decoded text of every column.
            let df = ado_posture::dataset::scan_files(std::slice::from_ref(path))
                .unwrap()
                .collect()
                .unwrap();
            for column in df.columns() {
                let text = column.cast(&polars::prelude::DataType::String).unwrap();
                let values = text.str().unwrap().clone();
                for value in (0..values.len()).filter_map(|i| values.get(i)) {
                    for secret in [SIM_PAT, SMTP_PASSWORD, wrong_pat] {
                        assert_absent(
                            secret,
                            &format!("{} column {}", path.display(), column.name()),
                            value.as_bytes(),
                        );
                    }
                }
            }
        }
        for secret in [SIM_PAT, SMTP_PASSWORD, wrong_pat] {
            assert_absent(secret, &path.display().to_string(), bytes);
        }
    }
}
