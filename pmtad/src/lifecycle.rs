//! Process lifecycle: signals, shutdown and reload requests.
//!
//! SIGTERM and SIGINT start a graceful shutdown (listeners close, in-flight SMTP transactions
//! finish up to a deadline, logs are flushed); SIGHUP asks for a reload, exactly like
//! `pmtactl reload`. Subsystems watch one [`CancellationToken`].

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
pub use tokio_util::sync::CancellationToken;

/// What a signal asks the daemon to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Reload,
    Shutdown,
}

/// Install the signal handlers and forward their requests on a channel.
///
/// Handlers are installed before the function returns, so a signal sent right after start-up
/// is never lost to the default action.
pub fn watch_signals() -> std::io::Result<mpsc::Receiver<Request>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let req = tokio::select! {
                _ = term.recv() => Request::Shutdown,
                _ = int.recv() => Request::Shutdown,
                _ = hup.recv() => Request::Reload,
            };
            if tx.send(req).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sighup_asks_for_a_reload() {
        let mut rx = watch_signals().unwrap();
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(rx.recv().await, Some(Request::Reload));
    }
}
