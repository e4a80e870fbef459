//! The command line: parses arguments, calls one stage per subcommand, maps outcomes to exit
//! codes, and keeps a scheduled run safe (lock, signals, retention, a final summary line).

mod args;
mod data;
mod nightly;
mod output;
mod progress;
mod simulate;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};

use ado_posture::config::ConfigError;

use args::{Cli, Command, FailOn, LogFormat};

/// Exit codes, declared in `ado_posture::exit_code` (which also writes --help and the README
/// table); the numbers here for brevity.
mod exit {
    use ado_posture::exit_code::ExitCode;

    pub const SUCCESS: u8 = ExitCode::Success.code();
    pub const USAGE: u8 = ExitCode::Usage.code();
    pub const PARTIAL: u8 = ExitCode::Partial.code();
    pub const FAILURE: u8 = ExitCode::Failure.code();
    pub const FINDINGS: u8 = ExitCode::Findings.code();
    pub const EMAIL_FAILED: u8 = ExitCode::EmailFailed.code();
    pub const LOCKED: u8 = ExitCode::Locked.code();
    pub const INTERRUPTED: u8 = ExitCode::Interrupted.code();

    pub fn reason(code: u8) -> &'static str {
        ExitCode::from_code(code).map_or("unknown", ExitCode::reason)
    }
}

fn main() -> ExitCode {
    ado_posture::allocator::tune();
    let cli = Cli::parse();
    let json_logs = init_logging(cli.log_format, cli.verbose, cli.quiet);
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let code = match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            if json_logs {
                tracing::error!("{e:#}");
            }
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                exit::USAGE
            } else {
                exit::FAILURE
            }
        }
    };
    // Don't wait for background tasks (e.g. a simulator) after the answer is known.
    runtime.shutdown_timeout(Duration::from_secs(2));
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        exit_code = code,
        "exit"
    );
    ExitCode::from(code)
}

/// Sets up logging to stderr; returns whether the logs are JSON.
fn init_logging(format: LogFormat, verbose: u8, quiet: bool) -> bool {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ADO_POSTURE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let terminal = std::io::stderr().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(terminal).init();
    }
    json
}

/// Resolves when SIGINT or SIGTERM arrives, with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// One call per subcommand.
async fn dispatch(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Demo {
            out,
            estate,
            snapshot_date,
        } => nightly::demo(&out, &estate, snapshot_date).await,
        Command::Run {
            config,
            out,
            check,
            nightly,
            shard,
        } => {
            let settings = nightly::RunSettings {
                check,
                shard,
                ..nightly::RunSettings::of(nightly)
            };
            nightly::run(&config, out.as_deref(), settings).await
        }
        Command::Finalize {
            config,
            out,
            shards,
            nightly,
        } => {
            let settings = nightly::RunSettings {
                assemble_shards: Some(shards),
                ..nightly::RunSettings::of(nightly)
            };
            nightly::run(&config, out.as_deref(), settings).await
        }
        Command::Report { data, out } => data::report(&data, out),
        Command::Query {
            data,
            sql,
            file,
            format,
            output,
            snapshot,
        } => data::query(
            &data,
            sql,
            file,
            format,
            output,
            snapshot.unwrap_or_default(),
        ),
        Command::Schema { table } => Ok(data::schema(table.as_deref())),
        Command::Scopes => {
            for scope in ado_posture::ado::scopes::all_scopes() {
                println!("{:<26} {}", scope.name, scope.reads);
            }
            Ok(exit::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ado-posture",
                &mut std::io::stdout(),
            );
            Ok(exit::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::SUCCESS)
        }
        Command::Evaluate {
            data,
            config,
            rules_dir,
            date,
            fail_on,
        } => data::evaluate(
            &data,
            config.as_deref(),
            rules_dir,
            date,
            fail_on.map(FailOn::severity),
        ),
        Command::Rules { format, rules_dir } => data::rules(format, rules_dir.as_deref()),
        Command::Email { config, data } => data::email(&config, data).await,
        Command::Simulate {
            listen,
            estate,
            pat,
            page_size,
            latency_ms,
            behaviour,
            entra,
            truth,
        } => {
            let settings = simulate::settings(pat, page_size, latency_ms, &behaviour, &entra)?;
            simulate::serve(listen, &estate, settings, truth.as_deref()).await
        }
    }
}
