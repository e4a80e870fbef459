//! The dataset on real object-storage servers on loopback: Azurite, Microsoft's Azure Storage
//! emulator (npm), and moto's S3 server (PyPI), both installed by tests/run.sh. A crawl split in
//! three shards, each publishing its part, then `finalize` from a fresh work folder, gives the
//! unsharded run's tables row for row in each store; pyarrow and Polars (given the commit's file
//! list) and delta-rs (each table's Delta log) read every table there with the run manifest's
//! counts. A shard that never published is named by `finalize`, whose
//! exit code says partial, and the others' parts stay committed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// The Python with pyarrow, Polars and moto: $ADO_POSTURE_PYTHON (set by tests/run.sh).
fn python() -> String {
    std::env::var("ADO_POSTURE_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/python/read_object_store.py"
);

/// A storage server on a loopback port, stopped when dropped.
struct Server {
    child: Child,
    endpoint: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start(program: &str, args: &[String], port: u16, hint: &str) -> Server {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}; {hint}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{program} did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        child,
        endpoint: format!("127.0.0.1:{port}"),
    }
}

/// Azurite's blob service: $ADO_POSTURE_AZURITE (tests/run.sh installs it), else `azurite-blob`.
fn azurite(data: &Path) -> Server {
    azurite_with(data, &[])
}

fn azurite_with(data: &Path, extra: &[String]) -> Server {
    let program = std::env::var("ADO_POSTURE_AZURITE").unwrap_or_else(|_| "azurite-blob".into());
    let port = free_port();
    let mut args = [
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        &port.to_string(),
        "--location",
        &data.to_string_lossy(),
        "--silent",
        "--skipApiVersionCheck",
    ]
    .map(String::from)
    .to_vec();
    args.extend_from_slice(extra);
    start(
        &program,
        &args,
        port,
        "run the tests with `bash tests/run.sh`, which installs Azurite from npm",
    )
}

/// moto's S3 server, from the test virtualenv (tests/requirements.txt).
fn moto() -> Server {
    let python = PathBuf::from(python());
    let program = python
        .parent()
        .map(|bin| bin.join("moto_server"))
        .filter(|p| p.exists())
        .map_or_else(
            || "moto_server".to_string(),
            |p| p.to_string_lossy().into_owned(),
        );
    let port = free_port();
    let args = ["-H", "127.0.0.1", "-p", &port.to_string()].map(String::from);
    start(
        &program,
        &args,
        port,
        "run the tests with `bash tests/run.sh`, which installs moto from PyPI",
    )
}

fn script(args: &[&str]) -> std::process::Output {
    Command::new(python())
        .arg(SCRIPT)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()))
}

/// The store's environment, as a user would set it.
fn store_env(kind: &str, endpoint: &str) -> Vec<(String, String)> {
    let pairs: Vec<(&str, String)> = match kind {
        "az" => vec![
            ("AZURE_STORAGE_USE_EMULATOR", "true".into()),
            ("AZURITE_BLOB_STORAGE_URL", format!("http://{endpoint}")),
        ],
        _ => vec![
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", format!("http://{endpoint}")),
            ("AWS_ALLOW_HTTP", "true".into()),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `ado-posture` with the config, the PAT and the store's environment.
fn ado(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    let mut all: Vec<(&str, &str)> = vec![("E2E_PAT", SIM_PAT)];
    all.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    run(args, &all)
}

/// The simulator's config with `[output]` naming the store and a work folder.
fn store_config(base: &Path, dir: &Path, url: &str, work: &Path) -> PathBuf {
    let text = std::fs::read_to_string(base).unwrap();
    let path = dir.join(format!(
        "{}.toml",
        work.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(
        &path,
        format!(
            "[output]\ndir = \"{url}\"\nwork_dir = \"{}\"\n{text}",
            work.display()
        ),
    )
    .unwrap();
    path
}

fn sharded_run_into(kind: &str, server: &Server, base: &Path, tmp: &Path, single: &Path) {
    let env = store_env(kind, &server.endpoint);
    let created = script(&["create", kind, &server.endpoint, "ado"]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let url = format!("{kind}://ado/nightly");
    let shards = store_config(base, tmp, &url, &tmp.join(format!("{kind}-shards")));
    // finalize works in a folder of its own: what it reads comes from the store.
    let finalizer = store_config(base, tmp, &url, &tmp.join(format!("{kind}-finalize")));
    let shard = |k: &str| {
        let config = shards.to_str().unwrap();
        let output = ado(
            &["run", "--config", config, "--shard", k, "--no-email"],
            &env,
        );
        let stdout = exited(&output, 0, &format!("{kind} {k}: "));
        assert!(
            stdout.contains(&format!(
                "published: {url}/shards/{}-of-3/dataset version 0",
                &k[..1]
            )),
            "{kind} {k}: {stdout}"
        );
    };
    let finalize = || {
        let config = finalizer.to_str().unwrap();
        ado(
            &[
                "finalize",
                "--config",
                config,
                "--shards",
                "3",
                "--no-email",
            ],
            &env,
        )
    };

    shard("1/3");
    shard("2/3");
    // Shard 3 never published (killed, or not yet run): the others' parts are committed and
    // finalize assembles them, names the missing one and says partial.
    let output = finalize();
    let stdout = exited(&output, 3, &format!("{kind}: "));
    assert!(
        stdout.contains("shard 3/3 committed no snapshot"),
        "{kind}: {stdout}"
    );
    assert!(
        stdout.contains(&format!("published: {url}/dataset version 0")),
        "{stdout}"
    );

    shard("3/3");
    let output = finalize();
    let stdout = exited(&output, 0, &format!("{kind}: "));
    assert!(
        stdout.contains(&format!("published: {url}/dataset version 1")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("published: {url}/reports/")),
        "{stdout}"
    );

    let read = script(&[
        kind,
        &server.endpoint,
        "ado",
        "nightly",
        &single.join("dataset").to_string_lossy(),
    ]);
    let report = text(&read.stdout);
    assert!(
        read.status.success(),
        "{kind}: the readers disagree with the manifest or the unsharded run:\n{report}\n{}",
        text(&read.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["version"], 1, "{report}");
    let tables = report["tables"].as_object().unwrap();
    assert_eq!(
        tables.len(),
        ado_posture::tables::ALL_TABLES.len(),
        "{report}"
    );
    assert!(
        tables["repositories"]["polars"].as_u64() > Some(0),
        "{report}"
    );
}

#[test]
fn three_shards_into_azurite_and_moto_give_the_unsharded_tables_and_readers_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = start_simulator(&["--organizations", "5"]);
    let base = write_config(tmp.path(), &sim.url, r#"["*"]"#, "E2E_PAT");
    let single = tmp.path().join("single");
    let output = run_config(&base, &single, &["--no-email"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let azurite_data = tmp.path().join("azurite");
    std::fs::create_dir_all(&azurite_data).unwrap();
    let server = azurite(&azurite_data);
    sharded_run_into("az", &server, &base, tmp.path(), &single);
    drop(server);

    let server = moto();
    sharded_run_into("s3", &server, &base, tmp.path(), &single);
}

/// `[output] identity`: a connector's Entra identity (a service principal of the simulated Entra)
/// writes to Azure storage with tokens for Azure Storage. Azurite runs with `--oauth basic` over
/// HTTPS, where it checks each bearer token's audience, issuer and lifetime; no storage
/// credential is in the environment.
#[test]
fn a_connectors_entra_identity_writes_to_azure_storage() {
    const TENANT: &str = "00000000-0000-0000-0000-00000000cafe";
    const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
    const SECRET: &str = "storage-sp-secret-never-print-me";
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let openssl = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (CI installs it)");
    assert!(openssl.status.success(), "{}", text(&openssl.stderr));
    let data = tmp.path().join("azurite");
    std::fs::create_dir_all(&data).unwrap();
    let tls = [
        "--oauth".to_string(),
        "basic".to_string(),
        "--cert".to_string(),
        cert.to_string_lossy().into_owned(),
        "--key".to_string(),
        key.to_string_lossy().into_owned(),
    ];
    let server = azurite_with(&data, &tls);
    let sim = start_simulator(&["--organizations", "2", "--client-secret", SECRET]);
    let account = format!("https://{}/devstoreaccount1", server.endpoint);
    let created = script(&[
        "create-with-token",
        &format!("{}/{TENANT}/oauth2/v2.0/token", sim.url),
        CLIENT,
        SECRET,
        &cert.to_string_lossy(),
        &format!("{account}/posture"),
    ]);
    assert!(created.status.success(), "{}", text(&created.stderr));

    let config = tmp.path().join("identity.toml");
    std::fs::write(
        &config,
        format!(
            r#"[output]
dir = "az://posture/nightly"
work_dir = "{}"
identity = "entra"

[[connector]]
name = "entra"
url = "{sim}"
vssps_url = "{sim}"
advsec_url = "{sim}"
organizations = ["*"]
auth = {{ kind = "service_principal", tenant_id = "{TENANT}", client_id = "{CLIENT}", secret_env = "E2E_SP_SECRET", authority_url = "{sim}" }}
"#,
            tmp.path().join("work").display(),
            sim = sim.url,
        ),
    )
    .unwrap();
    let env = [
        ("E2E_SP_SECRET", SECRET),
        ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1"),
        ("AZURE_STORAGE_ENDPOINT", account.as_str()),
        // Trust Azurite's throw-away certificate (rustls' native roots read it).
        ("SSL_CERT_FILE", &*cert.to_string_lossy()),
    ];
    let config = config.to_string_lossy().into_owned();
    for (date, published, read) in [
        (
            "2026-11-25",
            "dataset version 0",
            "nothing committed there yet",
        ),
        (
            "2026-11-26",
            "dataset version 1",
            "version 0: 54 file(s) of 2026-11-25",
        ),
    ] {
        let output = run(
            &[
                "run",
                "--config",
                &config,
                "--no-email",
                "--snapshot-date",
                date,
            ],
            &env,
        );
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(0), "{date}: {stdout}{stderr}");
        assert!(
            stdout.contains(&format!("published: az://posture/nightly/{published}")),
            "{stdout}"
        );
        assert!(stdout.contains(read), "{date}: {stdout}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    }

    // A PAT connector cannot be the store's identity.
    std::fs::write(
        tmp.path().join("pat.toml"),
        std::fs::read_to_string(&config)
            .unwrap()
            .replace(
                &format!(r#"{{ kind = "service_principal", tenant_id = "{TENANT}", client_id = "{CLIENT}", secret_env = "E2E_SP_SECRET", authority_url = "{}" }}"#, sim.url),
                r#"{ kind = "pat", token_env = "E2E_SP_SECRET" }"#,
            ),
    )
    .unwrap();
    let output = run(
        &[
            "run",
            "--config",
            &tmp.path().join("pat.toml").to_string_lossy(),
            "--check",
        ],
        &env,
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("authenticates with a PAT"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_unusable_store_url_is_a_config_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("c.toml");
    for (dir, expected) in [
        ("ftp://host/x", "not supported"),
        ("az://c/p?sig=SECRET", "does not belong in the URL"),
    ] {
        std::fs::write(
            &config,
            format!(
                "[output]\ndir = \"{dir}\"\n[[connector]]\nname = \"a\"\nurl = \"https://dev.azure.com\"\norganizations = [\"o\"]\nauth = {{ kind = \"pat\", token_env = \"E2E_PAT\" }}\n"
            ),
        )
        .unwrap();
        let output = ado(
            &["run", "--config", config.to_str().unwrap(), "--check"],
            &[],
        );
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{dir}: {stderr}");
        assert!(stderr.contains(expected), "{dir}: {stderr}");
        assert!(!stderr.contains("SECRET"), "{dir}: {stderr}");
    }
}
