//! The SMTP listener: accepts on every configured address, admits each connection under
//! `total-max-smtp-in` and its `<source-group>`'s limits (see `admission`), and shuts down
//! gracefully.
//!
//! Shutdown has two stages. Cancelling the token given to [`SmtpServer::serve`] stops
//! accepting and tells idle sessions `421 4.3.2`; a session in the middle of a message
//! finishes it (the client gets its 250) and is told at its next command. `serve` returns
//! once every session has ended. Dropping the `serve` future instead (the daemon's drain
//! deadline) aborts the sessions still running; none of them had its 250 yet.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::tls::TlsSlot;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

use super::admission::{InboundLimits, Refusal, Ticket};
use super::conn::BufPool;
use super::intake::Intake;
use super::lockout::AuthLockout;
use super::session::{LOG_TARGET, Session, SessionContext, SessionLimits};
use super::traffic::InboundStats;
use crate::logs::LogSink;

/// Listener settings that are not per-source.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// `total-max-smtp-in`: concurrent sessions; more are told 421 4.3.2 and closed. Used
    /// when the [`Intake`] gives no limits of its own ([`Intake::connection_limits`]).
    pub max_sessions: usize,
    /// Offer STARTTLS with the server configuration in this slot (see
    /// [`super::tls::server_config`]); each session takes the one current when it starts.
    pub tls: TlsSlot,
    pub limits: SessionLimits,
    /// Where `log-connections` / `log-commands` trace sessions (the main log).
    pub log: Option<LogSink>,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            max_sessions: 100,
            tls: TlsSlot::default(),
            limits: SessionLimits::default(),
            log: None,
        }
    }
}

/// Could not listen on an address.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    pub addr: SocketAddr,
    pub source: io::Error,
}

/// The bound listener, ready to serve.
pub struct SmtpServer<I: Intake> {
    listeners: Vec<TcpListener>,
    addrs: Vec<SocketAddr>,
    ctx: Arc<SessionContext<I>>,
    /// The limits when the intake gives none.
    limits: Arc<InboundLimits>,
}

impl<I: Intake> SmtpServer<I> {
    /// Binds every address (port 0 picks a free port; see [`SmtpServer::local_addrs`]).
    pub async fn bind(
        addrs: &[SocketAddr],
        intake: Arc<I>,
        config: ListenerConfig,
    ) -> Result<Self, BindError> {
        let mut listeners = Vec::with_capacity(addrs.len());
        let mut bound = Vec::with_capacity(addrs.len());
        for &addr in addrs {
            let l = listen(addr).map_err(|source| BindError { addr, source })?;
            bound.push(
                l.local_addr()
                    .map_err(|source| BindError { addr, source })?,
            );
            listeners.push(l);
        }
        let ctx = SessionContext {
            intake,
            limits: config.limits,
            tls: config.tls,
            stats: Arc::new(InboundStats::default()),
            shutdown: CancellationToken::new(),
            log: config.log,
            lockout: Arc::new(AuthLockout::default()),
            buffers: Arc::new(BufPool::new(
                config.limits.read_buffer.max(2 * config.limits.max_line),
                config.limits.pooled_buffers,
            )),
        };
        Ok(SmtpServer {
            listeners,
            addrs: bound,
            ctx: Arc::new(ctx),
            limits: Arc::new(InboundLimits::total(config.max_sessions)),
        })
    }

    /// The addresses actually bound.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub fn stats(&self) -> Arc<InboundStats> {
        self.ctx.stats.clone()
    }

    /// Accepts and serves sessions until `shutdown` is cancelled and every session ended.
    pub async fn serve(self, shutdown: CancellationToken) {
        // Sessions watch this one; dropping `serve` cancels it and so aborts them.
        let abort = CancellationToken::new();
        let _abort_on_drop = abort.clone().drop_guard();
        let loops = self.listeners.iter().map(|l| {
            accept_loop(
                l,
                self.ctx.clone(),
                self.limits.clone(),
                shutdown.clone(),
                abort.clone(),
            )
        });
        futures::future::join_all(loops).await;
        self.ctx.shutdown.cancel();
        self.ctx.stats.admission.drained().await;
    }
}

async fn accept_loop<I: Intake>(
    listener: &TcpListener,
    ctx: Arc<SessionContext<I>>,
    fallback: Arc<InboundLimits>,
    shutdown: CancellationToken,
    abort: CancellationToken,
) {
    // The address a connection arrives on is the listener's own unless it is bound to a
    // wildcard: then only getsockname on the accepted socket can tell.
    let fixed_local = listener
        .local_addr()
        .ok()
        .filter(|a| !a.ip().is_unspecified());
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = shutdown.cancelled() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(target: LOG_TARGET, "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(local) = fixed_local.or_else(|| tcp.local_addr().ok()) else {
            continue;
        };
        match admit(&ctx, &fallback, peer, local) {
            Ok(ticket) => spawn_session(tcp, (peer, local), ticket, ctx.clone(), abort.clone()),
            Err(why) => turn_away(&tcp, &ctx, why),
        }
    }
}

/// A place for the connection under the limits in force, before anything is allocated
/// for a session.
fn admit<I: Intake>(
    ctx: &SessionContext<I>,
    fallback: &Arc<InboundLimits>,
    peer: SocketAddr,
    local: SocketAddr,
) -> Result<Ticket, Refusal> {
    let admission = &ctx.stats.admission;
    match ctx.intake.connection_limits(peer.ip(), local) {
        Some((limits, group)) => admission.admit(&limits, group.as_deref()),
        None => admission.admit(fallback, None),
    }
}

/// A listening socket as `TcpListener::bind` makes one (SO_REUSEADDR, backlog 1024), with
/// TCP_NODELAY set once: on Linux accepted sockets inherit it, which saves a setsockopt(2)
/// per inbound connection (one per message when feeders connect per message).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn spawn_session<I: Intake>(
    tcp: TcpStream,
    (peer, local): (SocketAddr, SocketAddr),
    ticket: Ticket,
    ctx: Arc<SessionContext<I>>,
    abort: CancellationToken,
) {
    if !cfg!(target_os = "linux") {
        // Elsewhere an accepted socket may not inherit the listener's TCP_NODELAY.
        let _ = tcp.set_nodelay(true);
    }
    let id = ctx.stats.sessions.fetch_add(1, Ordering::Relaxed) + 1;
    ctx.stats.active.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let stats = ctx.stats.clone();
        let session = Session::new(ctx, tcp, id, peer, local);
        tokio::select! {
            () = session.run() => {}
            () = abort.cancelled() => {}
        }
        stats.active.fetch_sub(1, Ordering::Relaxed);
        drop(ticket);
    });
}

/// Beyond a limit: a 421 without waiting for the client, then close. A fresh socket's send
/// buffer always takes the one line, so this never blocks the accept loop.
fn turn_away<I: Intake>(tcp: &TcpStream, ctx: &SessionContext<I>, why: Refusal) {
    ctx.stats.refused.fetch_add(1, Ordering::Relaxed);
    let what = match why {
        Refusal::Total => "Too many connections",
        Refusal::Group => "Too many connections from your source",
        Refusal::Reserved => "No connection slot free for your source",
    };
    let line = format!(
        "421 4.3.2 {} {what}, try again later\r\n",
        ctx.intake.host_name()
    );
    let _ = tcp.try_write(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-connection setsockopt is skipped on Linux because of this inheritance.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn accepted_connections_have_nodelay_from_the_listener() {
        let l = listen(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        let addr = l.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = l.accept().await.unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
