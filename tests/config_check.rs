//! `ado-posture run --check` against configs that must not pass: a credential that would travel
//! in clear text, a number outside its bounds, an unknown key inside `auth`. Each is a config
//! error (exit 2) that names its key, and every problem is reported in the same run.

use crate::common;

use std::path::Path;

use common::{run, text};

const PAT_VAR: &str = "CONFIG_CHECK_PAT";

/// A config whose output folder is `dir`/out (with `output`, more `[output]` keys), whose one
/// connector has `connector` (its url, organizations and auth), and `extra` after it.
fn write(dir: &Path, output: &str, connector: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let out = dir.join("out");
    let text = format!(
        "[output]\ndir = '{}'\n{output}\n[[connector]]\nname = \"contoso\"\n{connector}\n\n{extra}",
        out.display()
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// `run --check --config FILE`: the exit code and stderr.
fn check(config: &Path) -> (Option<i32>, String) {
    let output = run(
        &["run", "--check", "--config", config.to_str().unwrap()],
        &[(PAT_VAR, "config-check-pat")],
    );
    (output.status.code(), text(&output.stderr))
}

fn connector(url: &str) -> String {
    format!(
        "url = \"{url}\"\norganizations = [\"contoso\"]\nauth = {{ kind = \"pat\", token_env = \"{PAT_VAR}\" }}"
    )
}

#[test]
fn check_accepts_https_a_loopback_relay_a_century_of_retention_and_a_collection_with_a_space() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "retain_days = 36500\n",
        &format!(
            "url = \"https://ado.contoso.local/tfs\"\norganizations = [\"Contoso Collection\"]\n\
             auth = {{ kind = \"pat\", token_env = \"{PAT_VAR}\" }}"
        ),
        "[email]\nsmtp_url = \"smtp://127.0.0.1:2525?tls=none\"\nfrom = \"a@contoso.com\"\nto = [\"b@contoso.com\"]\n",
    );
    let (code, stderr) = check(&config);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn check_refuses_plain_http_to_a_remote_connector_naming_url() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "",
        &connector("http://ado.contoso.local/tfs"),
        "",
    );
    let (code, stderr) = check(&config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "connector 'contoso': url = \"http://ado.contoso.local/tfs\" would send the credential \
             in clear text; use https (plain http is allowed only to a loopback address)"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("config-check-pat"),
        "the PAT leaked: {stderr}"
    );
}

#[test]
fn check_refuses_plain_smtp_to_a_remote_relay_naming_smtp_url() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "",
        &connector("https://dev.azure.com"),
        "[email]\nsmtp_url = \"smtp://mail.contoso.com:25?tls=none\"\nfrom = \"a@contoso.com\"\nto = [\"b@contoso.com\"]\n",
    );
    let (code, stderr) = check(&config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("[email] smtp_url = \"smtp://mail.contoso.com:25?tls=none\" would send the mail in clear text"),
        "{stderr}"
    );
}

#[test]
fn check_refuses_a_huge_retention_naming_retain_days() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "retain_days = 999999999\n",
        &connector("https://dev.azure.com"),
        "",
    );
    let (code, stderr) = check(&config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("[output] retain_days = 999999999 is out of range: use 1 to 36500"),
        "{stderr}"
    );
}

#[test]
fn check_reports_an_unknown_key_inside_auth_together_with_another_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write(
        tmp.path(),
        "",
        &format!(
            "url = \"https://dev.azure.com\"\norganizations = [\"contoso corp\"]\n\
             auth = {{ kind = \"pat\", token_env = \"{PAT_VAR}\", tokne_file = \"/run/secrets/pat\" }}"
        ),
        "[limits]\nburst = 0\n",
    );
    let (code, stderr) = check(&config);
    assert_eq!(code, Some(2), "{stderr}");
    for needle in [
        "unknown key `connector.0.auth.tokne_file` (connector 'contoso')",
        "organizations: \"contoso corp\" is not an Azure DevOps Services organization name",
        "[limits] burst = 0 is out of range: use 1 to 100000",
        "3 problem(s)",
    ] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
}
