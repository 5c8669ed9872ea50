//! The run mode: start-up, the signal loop, and graceful shutdown of the daemon process.
//!
//! Above everything it starts (the shared state of [`crate::daemon`], the SMTP listener,
//! the outbound scheduler, the control socket and the HTTP listener), so it lives with the
//! command line that asks for it rather than in any of them.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::control::ControlSocket;
use crate::daemon::{DaemonBackend, DaemonIntake, Shared, UnwritableError, start};
use crate::http::HttpListener;
use crate::inbound::{ListenerConfig, SmtpServer};
use crate::lifecycle::{Request, watch_signals};
use crate::outbound::run_engine;

/// How long shutdown waits for SMTP sessions and deliveries in flight.
const DRAIN: Duration = Duration::from_secs(10);

/// Run the daemon on a loaded config until SIGTERM/SIGINT. Blocks; builds its own runtime.
pub fn run(config_path: &Path, cfg: config::Config) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(config_path, cfg))
}

async fn serve(config_path: &Path, cfg: config::Config) -> anyhow::Result<()> {
    let mut signals = watch_signals()?;
    // A directory that cannot be created is its own exit status, before anything is bound.
    crate::daemon::create_dirs(&cfg)?;
    // Before anything else: a second pmtad must refuse to start while one answers here.
    // Files pmtad may not create (socket, spool, logs) are the same exit status as
    // directories; a listener port it may not bind is not (that is not a file).
    let control = ControlSocket::bind(&cfg.control_socket)
        .await
        .map_err(|e| UnwritableError::classify(e.into()))?;
    let shared = start(config_path, cfg).map_err(UnwritableError::classify)?;
    shared.check_space(false);
    crate::daemon::space::spawn_monitor(shared.clone());
    if let Some(cluster) = &shared.cluster {
        crate::daemon::fleet::beat(&shared, cluster).await;
        tokio::spawn(crate::daemon::fleet::run_heartbeat(
            shared.clone(),
            cluster.clone(),
        ));
    }
    let engine = tokio::spawn(run_engine(shared.clone()));
    let smtp_stop = CancellationToken::new();
    let smtp = bind_smtp(&shared).await?;
    for addr in smtp.local_addrs() {
        announce(&format!("listening smtp {addr}"));
        shared.logs.event(format!("listening for SMTP on {addr}"));
    }
    let backend = Arc::new(DaemonBackend::new(shared.clone(), smtp.stats()));
    let http = bind_http(&shared).await?;
    if let Some(addr) = http.as_ref().and_then(|l| l.local_addr().ok()) {
        announce(&format!("listening http {addr}"));
    }
    let http_task = tokio::spawn(crate::http::serve(
        backend.clone(),
        http,
        shared.reloads.subscribe(),
        |addr| announce(&format!("listening http {addr}")),
    ));
    let control_task = tokio::spawn(control.serve(backend));
    let smtp_task = tokio::spawn(smtp.serve(smtp_stop.clone()));
    announce("ready");
    while let Some(req) = signals.recv().await {
        match req {
            Request::Reload => log_reload(&shared),
            Request::Shutdown => break,
        }
    }
    shared.logs.event("pmtad stopping");
    // Aborting the service drops the socket, which removes its file.
    control_task.abort();
    let _ = control_task.await;
    http_task.abort();
    let _ = http_task.await;
    smtp_stop.cancel();
    let _ = tokio::time::timeout(DRAIN, smtp_task).await;
    shared.shutdown.cancel();
    let _ = tokio::time::timeout(DRAIN, engine).await;
    stop(shared).await;
    Ok(())
}

async fn bind_smtp(shared: &Arc<Shared>) -> anyhow::Result<SmtpServer<DaemonIntake>> {
    let policies = shared.policies();
    let cfg = &policies.config;
    let addrs: Vec<_> = cfg.smtp_listeners.iter().map(|l| l.bind_addr()).collect();
    let listener = ListenerConfig {
        tls: shared.inbound_tls.clone(),
        max_sessions: usize::try_from(cfg.total_max_smtp_in).unwrap_or(usize::MAX),
        log: Some(shared.logs.clone()),
        ..ListenerConfig::default()
    };
    let intake = Arc::new(DaemonIntake::new(shared.clone()));
    Ok(SmtpServer::bind(&addrs, intake, listener).await?)
}

/// The HTTP management listener at start, when `http-mgmt-port` turns it on; an address
/// that cannot be bound stops the start, as for SMTP.
async fn bind_http(shared: &Shared) -> anyhow::Result<Option<HttpListener>> {
    let settings = shared.policies().config.http.clone();
    let Some(addr) = settings.listen else {
        return Ok(None);
    };
    let tls = crate::http::tls_config(&settings)
        .map_err(|e| anyhow::anyhow!("http-tls-certificate: {e}"))?;
    let l = HttpListener::bind(addr, tls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {addr} (http-mgmt-port): {e}"))?;
    Ok(Some(l))
}

fn log_reload(shared: &Shared) {
    match shared.reload() {
        Ok(warnings) => {
            for w in warnings {
                shared.logs.event(format!("reload: {w}"));
            }
        }
        Err(errors) => {
            for e in errors {
                shared.logs.event(format!("reload refused: {e}"));
            }
        }
    }
}

/// Flush what must not be lost: accounting records, logs, the spool's last batch.
async fn stop(shared: Arc<Shared>) {
    if let Err(e) = shared.acct.shutdown().await {
        tracing::error!("accounting shutdown: {e}");
    }
    shared.logs.event("pmtad stopped");
    let _ = shared.logs.sync();
    shared.spool.clone().close().await;
}

/// A line on standard output for supervisors and tests (`pmtad: ready`).
fn announce(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "pmtad: {text}");
    let _ = out.flush();
}
