//! Microsoft Entra identities against the simulator's token service: service principal with a
//! client secret or a certificate, workload identity federation, managed identity (IMDS and the
//! App Service endpoint), and the Azure CLI (a fake `az` on PATH that prints what the real one
//! prints). Each crawls the same estate as a PAT would, tokens are renewed before they expire,
//! and the client secret and the App Service header secret appear nowhere.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

const TENANT: &str = "00000000-0000-0000-0000-00000000cafe";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "sp-secret-9c1d7e-never-print-me";
const FEDERATED: &str = "federated-token-3b8a-never-print-me";

fn config(dir: &Path, sim_url: &str, auth: &str) -> PathBuf {
    let path = dir.join("entra.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[limits]
requests_per_second = 500
burst = 100

[[connector]]
name = "entra"
url = "{sim_url}"
vssps_url = "{sim_url}"
advsec_url = "{sim_url}"
organizations = ["*"]
auth = {auth}
"#
        ),
    )
    .unwrap();
    path
}

fn simulator(truth: &Path, lifetime: &str) -> Simulator {
    start_simulator(&[
        "--organizations",
        "2",
        "--projects",
        "3",
        "--client-secret",
        SECRET,
        "--federated-token",
        FEDERATED,
        "--token-lifetime-secs",
        lifetime,
        "--truth",
        truth.to_str().unwrap(),
    ])
}

fn crawl_matches_truth(out: &Path, truth: &Path) {
    assert_crawl_matches_truth(out, truth, &[("repositories", "repositories")]);
}

#[test]
fn a_service_principal_crawls_and_its_secret_appears_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = tmp.path().join("truth.json");
    let sim = simulator(&truth, "3600");
    let config = config(
        tmp.path(),
        &sim.url,
        &format!(
            r#"{{ kind = "service_principal", tenant_id = "{TENANT}", client_id = "{CLIENT}", secret_env = "E2E_SP_SECRET", authority_url = "{}" }}"#,
            sim.url
        ),
    );
    let out = tmp.path().join("out");
    let output = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[("E2E_SP_SECRET", SECRET), ("ADO_POSTURE_LOG", "debug")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    crawl_matches_truth(&out, &truth);
    let fetched = stderr.matches("Entra token fetched").count();
    assert!(fetched >= 1, "no token fetched:\n{stderr}");

    // A wrong secret: refused by the token service, named, never printed.
    let wrong = "wrong-secret-5e2a-never-print-me";
    let bad = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            tmp.path().join("out2").to_str().unwrap(),
        ],
        &[("E2E_SP_SECRET", wrong), ("ADO_POSTURE_LOG", "debug")],
    );
    let bad_err = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(4), "{bad_err}");
    assert!(bad_err.contains("AADSTS7000215"), "{bad_err}");

    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), output.stdout.clone()),
        ("stderr".into(), output.stderr.clone()),
        ("wrong-secret stdout".into(), bad.stdout.clone()),
        ("wrong-secret stderr".into(), bad.stderr.clone()),
    ];
    for file in files_under(&out) {
        haystacks.push((file.display().to_string(), std::fs::read(&file).unwrap()));
    }
    for secret in [SECRET, wrong] {
        for (what, bytes) in &haystacks {
            let needle = secret.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the client secret appears in {what}"
            );
        }
    }
}

#[test]
fn workload_identity_managed_identity_and_azure_cli_crawl_the_same_estate() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = tmp.path().join("truth.json");
    let sim = simulator(&truth, "3600");
    let token_file = tmp.path().join("federated-token");
    std::fs::write(&token_file, format!("{FEDERATED}\n")).unwrap();

    let path = fake_az(tmp.path(), &sim.url);

    let cases = [
        (
            "workload",
            r#"{ kind = "workload_identity" }"#.to_string(),
            vec![
                ("AZURE_TENANT_ID", TENANT.to_string()),
                ("AZURE_CLIENT_ID", CLIENT.to_string()),
                (
                    "AZURE_FEDERATED_TOKEN_FILE",
                    token_file.display().to_string(),
                ),
                ("AZURE_AUTHORITY_HOST", sim.url.clone()),
            ],
        ),
        (
            "managed",
            format!(
                r#"{{ kind = "managed_identity", endpoint = "{}/metadata/identity/oauth2/token" }}"#,
                sim.url
            ),
            // An explicit endpoint wins over the App Service variables.
            vec![
                (
                    "IDENTITY_ENDPOINT",
                    "http://127.0.0.1:9/msi/token".to_string(),
                ),
                ("IDENTITY_HEADER", "unused-header".to_string()),
            ],
        ),
        (
            "cli",
            r#"{ kind = "azure_cli" }"#.to_string(),
            vec![("PATH", path.clone())],
        ),
    ];
    for (name, auth, env) in cases {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let config = config(&dir, &sim.url, &auth);
        let out = dir.join("out");
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let output = run(
            &[
                "run",
                "--config",
                config.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &env,
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        crawl_matches_truth(&out, &truth);
        let manifest = manifest(&out.join("dataset"));
        assert_eq!(manifest["status"], "success", "{name}");
    }
}

/// A stand-in `az` that gets its token from the simulator's managed-identity endpoint and prints
/// it as `az account get-access-token --output json` does: `expiresOn` in local time, plus
/// `expires_on` (Unix seconds) as CLI 2.54+ add. FAKE_AZ_EXPIRY=old leaves `expires_on` out (older
/// CLIs); =garbage prints an `expiresOn` that is no date. Returns a PATH that finds it first.
fn fake_az(dir: &Path, sim_url: &str) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = r#"
import datetime, json, os, sys, time, urllib.request
assert sys.argv[1:5] == ["account", "get-access-token", "--resource", "499b84ac-1321-427f-aa17-267ca6975798"], sys.argv
req = urllib.request.Request("SIM_URL/metadata/identity/oauth2/token?resource=499b84ac-1321-427f-aa17-267ca6975798", headers={"Metadata": "true"})
token = json.load(urllib.request.urlopen(req))
expiry = int(time.time()) + int(token["expires_in"])
shape = os.environ.get("FAKE_AZ_EXPIRY", "both")
out = {
    "accessToken": token["access_token"],
    "expiresOn": datetime.datetime.fromtimestamp(expiry).strftime("%Y-%m-%d %H:%M:%S.%f"),
    "subscription": "00000000-0000-0000-0000-0000000000aa",
    "tenant": "00000000-0000-0000-0000-00000000cafe",
    "tokenType": "Bearer",
}
if shape == "both":
    out["expires_on"] = expiry
elif shape == "garbage":
    out["expiresOn"] = "sometime soon"
print(json.dumps(out, indent=2))
"#;
    std::fs::write(bin.join("az.py"), script.replace("SIM_URL", sim_url)).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/az.py\" \"$@\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The `lifetime_s` of each "Entra token fetched" line of a JSON debug log.
fn token_lifetimes(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter(|line| line.contains("Entra token fetched"))
        .filter_map(|line| {
            let rest = &line[line.find("\"lifetime_s\":")? + "\"lifetime_s\":".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

#[test]
fn azure_cli_expiry_is_read_from_old_and_new_cli_output_and_a_malformed_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = tmp.path().join("truth.json");
    let sim = simulator(&truth, "3600");
    let path = fake_az(tmp.path(), &sim.url);
    // UTC-14 for both `az` and the crawler: an `expiresOn` wrongly read as UTC would have
    // expired 13 hours ago, and a token would be fetched for every request.
    let zone = "XYZ+14";
    for shape in ["old", "both"] {
        let dir = tmp.path().join(shape);
        std::fs::create_dir_all(&dir).unwrap();
        let config = config(&dir, &sim.url, r#"{ kind = "azure_cli" }"#);
        let out = dir.join("out");
        let output = run(
            &[
                "run",
                "--config",
                config.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--log-format",
                "json",
            ],
            &[
                ("PATH", &path),
                ("TZ", zone),
                ("FAKE_AZ_EXPIRY", shape),
                ("ADO_POSTURE_LOG", "debug"),
            ],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{shape}: {stderr}");
        crawl_matches_truth(&out, &truth);
        let lifetimes = token_lifetimes(&stderr);
        assert!(
            !lifetimes.is_empty(),
            "{shape}: no token fetched:\n{stderr}"
        );
        assert!(
            lifetimes.iter().all(|s| (3500..=3600).contains(s)),
            "{shape}: token lifetimes {lifetimes:?}"
        );
    }

    let dir = tmp.path().join("garbage");
    std::fs::create_dir_all(&dir).unwrap();
    let config = config(&dir, &sim.url, r#"{ kind = "azure_cli" }"#);
    let output = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
        &[("PATH", &path), ("FAKE_AZ_EXPIRY", "garbage")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(r#"expiresOn \"sometime soon\" is not a local date-time"#)
            || stderr.contains(r#"expiresOn "sometime soon" is not a local date-time"#),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn managed_identity_on_app_service_crawls_and_its_identity_header_appears_nowhere() {
    use ado_posture_sim::entra::AppServiceIdentity;

    const HEADER: &str = "identity-header-7d41-never-print-me";
    let tmp = tempfile::tempdir().unwrap();
    let truth = tmp.path().join("truth.json");
    let sim = simulator(&truth, "3600");
    // The platform's identity endpoint runs beside the app, on its own loopback port.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let imds = url::Url::parse(&format!("{}/metadata/identity/oauth2/token", sim.url)).unwrap();
    let platform = runtime
        .block_on(AppServiceIdentity::start(imds, HEADER.to_string()))
        .unwrap();
    let endpoint = platform.endpoint();

    let config = config(tmp.path(), &sim.url, r#"{ kind = "managed_identity" }"#);
    let out = tmp.path().join("out");
    let output = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--log-format",
            "json",
        ],
        &[
            ("IDENTITY_ENDPOINT", &endpoint),
            ("IDENTITY_HEADER", HEADER),
            ("ADO_POSTURE_LOG", "debug"),
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    crawl_matches_truth(&out, &truth);
    assert!(platform.tokens_served() >= 1, "{stderr}");
    let lifetimes = token_lifetimes(&stderr);
    assert!(
        !lifetimes.is_empty() && lifetimes.iter().all(|s| (3500..=3600).contains(s)),
        "token lifetimes {lifetimes:?} from expires_on:\n{stderr}"
    );

    // A wrong header: refused by the endpoint (401), named, never printed.
    let wrong = "wrong-header-2c9b-never-print-me";
    let bad = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            tmp.path().join("out2").to_str().unwrap(),
        ],
        &[
            ("IDENTITY_ENDPOINT", &endpoint),
            ("IDENTITY_HEADER", wrong),
            ("ADO_POSTURE_LOG", "debug"),
        ],
    );
    let bad_err = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(4), "{bad_err}");
    assert!(bad_err.contains("HTTP 401"), "{bad_err}");

    let mut haystacks: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), output.stdout.clone()),
        ("stderr".into(), output.stderr.clone()),
        ("wrong-header stdout".into(), bad.stdout.clone()),
        ("wrong-header stderr".into(), bad.stderr.clone()),
    ];
    // Both runs' datasets, reports and logs, and everything else in the test folder.
    for file in files_under(tmp.path()) {
        haystacks.push((file.display().to_string(), std::fs::read(&file).unwrap()));
    }
    for secret in [HEADER, wrong] {
        for (what, bytes) in &haystacks {
            let needle = secret.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the identity header appears in {what}"
            );
        }
    }
}

#[test]
fn a_service_principal_with_a_certificate_signs_its_assertion_and_the_key_appears_nowhere() {
    let tmp = tempfile::tempdir().unwrap();
    // A throw-away key and self-signed certificate, as `az ad sp create-for-rbac --create-cert`
    // would give (key and certificate in one PEM file), and the public key the simulator trusts.
    let key = tmp.path().join("key.pem");
    let cert = tmp.path().join("cert.pem");
    let public = tmp.path().join("public.pem");
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl (installed by .ci/run)");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=ado-posture-test",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-RSAPublicKey_out",
        "-out",
        public.to_str().unwrap(),
    ]);
    let key_text = std::fs::read_to_string(&key).unwrap();
    let bundle = tmp.path().join("sp.pem");
    std::fs::write(
        &bundle,
        format!("{key_text}{}", std::fs::read_to_string(&cert).unwrap()),
    )
    .unwrap();

    let truth = tmp.path().join("truth.json");
    let sim = start_simulator(&[
        "--organizations",
        "2",
        "--projects",
        "2",
        "--client-public-key",
        public.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    let config = config(
        tmp.path(),
        &sim.url,
        &format!(
            r#"{{ kind = "service_principal", tenant_id = "{TENANT}", client_id = "{CLIENT}", certificate_file = "{}", authority_url = "{}" }}"#,
            bundle.display(),
            sim.url
        ),
    );
    let out = tmp.path().join("out");
    let output = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[("ADO_POSTURE_LOG", "debug")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    crawl_matches_truth(&out, &truth);
    // A line of the key's base64 never shows up anywhere.
    let key_line = key_text.lines().nth(3).unwrap().to_string();
    let mut haystacks = vec![output.stdout.clone(), output.stderr.clone()];
    for file in files_under(&out) {
        haystacks.push(std::fs::read(&file).unwrap());
    }
    for bytes in haystacks {
        let needle = key_line.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the private key leaked"
        );
    }

    // A certificate the simulator does not trust is refused by the token service.
    let other_key = tmp.path().join("other.pem");
    let other_cert = tmp.path().join("other-cert.pem");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=other",
        "-keyout",
        other_key.to_str().unwrap(),
        "-out",
        other_cert.to_str().unwrap(),
    ]);
    std::fs::write(
        &bundle,
        format!(
            "{}{}",
            std::fs::read_to_string(&other_key).unwrap(),
            std::fs::read_to_string(&other_cert).unwrap()
        ),
    )
    .unwrap();
    let refused = run(
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            tmp.path().join("out2").to_str().unwrap(),
        ],
        &[],
    );
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("AADSTS7000215"), "{stderr}");
}

#[test]
fn entra_config_problems_are_reported_together() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config(
        tmp.path(),
        "http://127.0.0.1:9",
        r#"{ kind = "service_principal", tenant_id = "t", client_id = "c", certificate_file = "/x.pem", authority_url = "http://login.example.com" }"#,
    );
    let output = run(
        &["run", "--config", config.to_str().unwrap(), "--check"],
        &[],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read certificate file /x.pem"),
        "{stderr}"
    );
    assert!(stderr.contains("authority_url"), "{stderr}");
    let config = config_at(tmp.path(), r#"{ kind = "workload_identity" }"#);
    let output = run(
        &["run", "--config", config.to_str().unwrap(), "--check"],
        &[
            ("AZURE_TENANT_ID", ""),
            ("AZURE_CLIENT_ID", ""),
            ("AZURE_FEDERATED_TOKEN_FILE", ""),
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for key in ["tenant_id", "client_id", "token_file"] {
        assert!(stderr.contains(key), "{key}: {stderr}");
    }
}

fn config_at(dir: &Path, auth: &str) -> PathBuf {
    config(dir, "http://127.0.0.1:9", auth)
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_cached_and_renewed_five_minutes_before_they_expire() {
    use ado_posture::ado::auth::TokenSource;
    use ado_posture::config::{EntraCredential, Secret};
    use ado_posture_sim::{Estate, EstateSizes, SimServer, SimSettings};

    let mut settings = SimSettings::default();
    // 301 s: fresh for one second, then inside the 300 s renewal margin.
    settings.entra.token_lifetime = std::time::Duration::from_secs(301);
    let secret = settings.entra.client_secret.clone();
    let server = SimServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Estate::generate(1, EstateSizes::default()),
        settings,
    )
    .await
    .unwrap();
    let source = TokenSource::new(
        EntraCredential::ClientSecret {
            authority: url::Url::parse(&server.url()).unwrap(),
            tenant_id: TENANT.into(),
            client_id: CLIENT.into(),
            secret: Secret::new(secret),
        },
        reqwest::Client::new(),
    );
    let first = source.header().await.unwrap();
    let again = source.header().await.unwrap();
    assert_eq!(first, again, "a fresh token is reused");
    assert_eq!(source.tokens_fetched(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let renewed = source.header().await.unwrap();
    assert_ne!(first, renewed, "a token about to expire is renewed");
    assert_eq!(source.tokens_fetched(), 2);
    assert_eq!(server.tokens_issued(), 2);
}
