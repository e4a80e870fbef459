//! `simulate`: serves the simulated estate on a loopback port until a signal.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

use ado_posture_sim::{SimServer, SimSettings};

use crate::args::{EstateArgs, SimBehaviourArgs, SimEntraArgs};
use crate::exit;

/// The simulator's settings from its flags.
pub fn settings(
    pat: String,
    page_size: u32,
    latency_ms: u64,
    behaviour: &SimBehaviourArgs,
    entra: &SimEntraArgs,
) -> anyhow::Result<SimSettings> {
    Ok(SimSettings {
        pat,
        max_page_size: page_size as usize,
        latency: Duration::from_millis(latency_ms),
        server_mode: behaviour.server,
        server_version: behaviour.server_version,
        pat_scopes: behaviour.pat_scopes.clone(),
        serve_locations: !behaviour.no_resource_locations,
        serve_alertsbatch: !behaviour.no_alertsbatch,
        limit: behaviour.limit(),
        faults: behaviour.faults(),
        entra: entra.settings()?,
    })
}

pub async fn serve(
    listen: SocketAddr,
    estate: &EstateArgs,
    settings: SimSettings,
    truth: Option<&Path>,
) -> anyhow::Result<u8> {
    if !listen.ip().is_loopback() {
        bail!("the simulator only listens on loopback addresses (127.0.0.1 or ::1), not {listen}");
    }
    let estate = estate.estate();
    if let Some(path) = truth {
        let text = serde_json::to_vec_pretty(&estate.ground_truth(
            settings.max_page_size,
            settings.server_mode,
            settings.serve_alertsbatch,
        ))?;
        std::fs::write(path, text)
            .with_context(|| format!("writing ground truth to {}", path.display()))?;
    }
    let server = SimServer::start(listen, estate, settings)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "ado-posture simulator listening on {}",
            server.url()
        )?;
        stdout.flush()?;
    }
    let signal = crate::shutdown_signal().await;
    // What the simulated service did, for benchmarks and tests that read stderr.
    eprintln!(
        "simulator stopped by {signal}: {}",
        serde_json::to_string(&server.counters()).unwrap_or_default()
    );
    Ok(exit::SUCCESS)
}
