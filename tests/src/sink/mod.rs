//! `SmtpSink`: an SMTP server written for tests. It records every message (envelope, data,
//! addresses, TLS), counts concurrent connections per listen address, notices pipelined
//! commands, and answers by a script (per phase, per recipient, per attempt number).
//!
//! Waiting is by events (`wait_for_messages`, `wait_until`), never by sleeping.

mod rules;
mod session;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use rules::{Action, Phase, reply};
use rules::{Rule, Rules};

/// One DATA transaction the sink saw to its end (accepted or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Reverse path without angle brackets (empty for `<>`).
    pub mail_from: String,
    /// Everything after `MAIL FROM:<…>` (e.g. `SIZE=123 BODY=8BITMIME`).
    pub mail_params: String,
    /// Recipients the sink accepted in this transaction.
    pub rcpts: Vec<String>,
    /// The message as the client meant it: CRLF lines, dot-stuffing removed.
    pub data: Vec<u8>,
    /// The sink's address (the listen address the client connected to).
    pub local: SocketAddr,
    /// The client's address (source address it bound).
    pub peer: SocketAddr,
    pub tls: bool,
    /// The EHLO/HELO argument.
    pub helo: String,
    /// Connection number (1-based, over the sink's life) and transaction number.
    pub conn: u32,
    pub transaction: u32,
    /// The reply the sink gave after the final dot.
    pub reply_code: u16,
    /// When the final dot arrived.
    pub at: Instant,
}

/// One accepted TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    pub conn: u32,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    pub tls: bool,
    pub open: bool,
    /// When the sink accepted the connection.
    pub at: Instant,
}

/// Everything the sink observed so far.
#[derive(Debug, Clone, Default)]
pub struct SinkState {
    /// Transactions that reached the final dot (accepted and rejected).
    pub transfers: Vec<Received>,
    pub connections: Vec<ConnInfo>,
    /// Currently open / most ever open connections, per listen address.
    pub open: HashMap<SocketAddr, usize>,
    pub max_open: HashMap<SocketAddr, usize>,
    /// Currently open / most ever open connections, per client (source) address, over all
    /// listen addresses.
    pub open_by_peer: HashMap<IpAddr, usize>,
    pub max_open_by_peer: HashMap<IpAddr, usize>,
    /// Most connections ever open at once over all listen addresses.
    pub max_open_total: usize,
    /// Every command line, with its connection number.
    pub commands: Vec<(u32, String)>,
    /// The most commands read in one batch before the sink flushed its replies: 1 means the
    /// client waited for each reply, more means it pipelined.
    pub max_pipelined: usize,
    pub transactions: u32,
    pub rcpt_seen: HashMap<String, u32>,
    /// Messages accepted (2xx after the final dot) and their recipients, counted even when
    /// the sink keeps no records ([`SinkBuilder::count_only`]).
    pub accepted: usize,
    pub accepted_rcpts: usize,
}

impl SinkState {
    /// Accepted messages (2xx after the final dot).
    pub fn messages(&self) -> Vec<Received> {
        self.transfers
            .iter()
            .filter(|m| m.reply_code / 100 == 2)
            .cloned()
            .collect()
    }

    /// Number of command lines with this verb (`"RSET"`, `"QUIT"`, `"HELO"`…).
    pub fn count_verb(&self, verb: &str) -> usize {
        self.commands
            .iter()
            .filter(|(_, c)| verb_of(c).eq_ignore_ascii_case(verb))
            .count()
    }
}

fn verb_of(line: &str) -> &str {
    let line = line.trim_start();
    let end = line.find([' ', ':', '\r', '\n']).unwrap_or(line.len());
    &line[..end]
}

/// Static behaviour of a sink.
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub rules: Rules,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub starttls_garbage: bool,
    pub starttls_inject: bool,
    pub no_pipelining: bool,
    pub no_8bitmime: bool,
    pub size: Option<u64>,
    pub count_only: bool,
    pub hold_greeting: bool,
    pub stall_data: bool,
}

/// Builds a sink: `SmtpSink::builder().listen(addr).on(Phase::Rcpt, reply(550, …)).start()`.
#[derive(Default)]
pub struct SinkBuilder {
    addrs: Vec<SocketAddr>,
    config: Config,
}

impl SinkBuilder {
    /// Listen on this address (`127.0.0.x:port`, port 0 for any); may be called several times.
    /// Without any, the sink listens on 127.0.0.1:0.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.addrs.push(addr);
        self
    }

    fn rule(mut self, phase: Phase, rcpt: Option<&str>, attempt: Option<u32>, a: Action) -> Self {
        let rcpt = rcpt.map(str::to_string);
        self.config.rules.push(Rule {
            phase,
            rcpt,
            attempt,
            peer: None,
            action: a,
        });
        self
    }

    /// Answer `phase` with `action` for connections from client address `peer` only.
    pub fn on_peer(mut self, peer: IpAddr, phase: Phase, action: Action) -> Self {
        self.config.rules.push(Rule {
            phase,
            rcpt: None,
            attempt: None,
            peer: Some(peer),
            action,
        });
        self
    }

    /// Answer `phase` with `action` (every time).
    pub fn on(self, phase: Phase, action: Action) -> Self {
        self.rule(phase, None, None, action)
    }

    /// Answer `phase` with `action` only at attempt `n` (see [`Phase`] for what counts).
    pub fn on_attempt(self, phase: Phase, n: u32, action: Action) -> Self {
        self.rule(phase, None, Some(n), action)
    }

    /// Answer RCPT TO for `rcpt` with `action`.
    pub fn on_rcpt(self, rcpt: &str, action: Action) -> Self {
        self.rule(Phase::Rcpt, Some(rcpt), None, action)
    }

    /// Answer the `n`th RCPT TO for `rcpt` with `action`.
    pub fn on_rcpt_attempt(self, rcpt: &str, n: u32, action: Action) -> Self {
        self.rule(Phase::Rcpt, Some(rcpt), Some(n), action)
    }

    /// Offer STARTTLS with this server configuration (see `certs`).
    pub fn starttls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.config.tls = Some(config);
        self
    }

    /// Offer STARTTLS, answer 220, then send garbage instead of a handshake and close.
    pub fn starttls_broken(mut self) -> Self {
        self.config.starttls_garbage = true;
        self
    }

    /// After the STARTTLS 220, also send a plain-text line before the handshake (an injection
    /// attack the client must refuse).
    pub fn starttls_inject(mut self) -> Self {
        self.config.starttls_inject = true;
        self
    }

    /// Do not advertise PIPELINING (it is advertised by default).
    pub fn no_pipelining(mut self) -> Self {
        self.config.no_pipelining = true;
        self
    }

    /// Do not advertise 8BITMIME (it is advertised by default).
    pub fn no_8bitmime(mut self) -> Self {
        self.config.no_8bitmime = true;
        self
    }

    /// Advertise `SIZE limit` and refuse larger declared sizes with 552.
    pub fn size(mut self, limit: u64) -> Self {
        self.config.size = Some(limit);
        self
    }

    /// Accept connections but send no greeting until [`SmtpSink::release`]: connections stay
    /// open, so a test can see how many a client holds at once without timing anything.
    pub fn hold_greeting(mut self) -> Self {
        self.config.hold_greeting = true;
        self
    }

    /// After DATA's 354, read nothing more and keep the connection open, with a small
    /// receive buffer: a client sending a large message blocks (for `data-send-timeout`).
    pub fn stall_data(mut self) -> Self {
        self.config.stall_data = true;
        self
    }

    /// Keep counters only (no message records, data or command log): for benchmarks and
    /// long runs where memory would otherwise grow with every message.
    pub fn count_only(mut self) -> Self {
        self.config.count_only = true;
        self
    }

    /// Binds every listen address and starts accepting.
    pub async fn start(mut self) -> std::io::Result<SmtpSink> {
        if self.addrs.is_empty() {
            self.addrs.push(SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        let (tx, _) = watch::channel(0u64);
        let (released, _) = watch::channel(!self.config.hold_greeting);
        let shared = Arc::new(Shared {
            state: Mutex::default(),
            tx,
            released,
            config: self.config,
        });
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for addr in self.addrs {
            let listener = bind(addr, shared.config.stall_data)?;
            addrs.push(listener.local_addr()?);
            tasks.push(tokio::spawn(accept_loop(listener, shared.clone())));
        }
        Ok(SmtpSink {
            addrs,
            shared,
            tasks,
        })
    }
}

/// A listener on `addr`; `small_buffer` gives accepted connections a tiny receive window.
fn bind(addr: SocketAddr, small_buffer: bool) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    if small_buffer {
        socket.set_recv_buffer_size(4096)?;
    }
    socket.bind(addr)?;
    socket.listen(1024)
}

pub(crate) struct Shared {
    pub state: Mutex<SinkState>,
    tx: watch::Sender<u64>,
    /// False while greetings are held ([`SinkBuilder::hold_greeting`]).
    released: watch::Sender<bool>,
    pub config: Config,
}

impl Shared {
    /// Returns once greetings are no longer held.
    pub async fn wait_released(&self) {
        let mut rx = self.released.subscribe();
        let _ = rx.wait_for(|r| *r).await;
    }

    /// Changes the state and wakes every waiter.
    pub fn update<T>(&self, f: impl FnOnce(&mut SinkState) -> T) -> T {
        let out = f(&mut self.state.lock().expect("sink state"));
        self.tx.send_modify(|v| *v += 1);
        out
    }
}

/// A running sink; stops accepting when dropped.
pub struct SmtpSink {
    addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SmtpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSink")
            .field("addrs", &self.addrs)
            .finish()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

/// A wait ran out of time; carries what the sink had seen.
#[derive(Debug, thiserror::Error)]
#[error("sink wait timed out after {timeout:?}; state: {state:?}")]
pub struct SinkTimeout {
    pub timeout: Duration,
    pub state: Box<SinkState>,
}

impl SmtpSink {
    pub fn builder() -> SinkBuilder {
        SinkBuilder::default()
    }

    /// The first (often only) listen address.
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Lets held greetings go ([`SinkBuilder::hold_greeting`]); later connections are greeted
    /// at once.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    /// A snapshot of everything observed.
    pub fn state(&self) -> SinkState {
        self.shared.state.lock().expect("sink state").clone()
    }

    /// Accepted messages so far.
    pub fn messages(&self) -> Vec<Received> {
        self.state().messages()
    }

    /// The most connections ever open at once on `addr`.
    pub fn max_concurrent(&self, addr: SocketAddr) -> usize {
        self.state().max_open.get(&addr).copied().unwrap_or(0)
    }

    /// Waits until `pred` holds on the sink's state (checked under the lock at each change;
    /// the state is cloned only once it holds).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        pred: impl Fn(&SinkState) -> bool,
    ) -> Result<SinkState, SinkTimeout> {
        let mut rx = self.shared.tx.subscribe();
        let wait = async {
            loop {
                rx.borrow_and_update();
                {
                    let state = self.shared.state.lock().expect("sink state");
                    if pred(&state) {
                        return state.clone();
                    }
                }
                if rx.changed().await.is_err() {
                    return self.state();
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| SinkTimeout {
                timeout,
                state: Box::new(self.state()),
            })
    }

    /// Waits until at least `n` messages were accepted; returns them all.
    pub async fn wait_for_messages(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Received>, SinkTimeout> {
        let s = self.wait_until(timeout, |s| s.accepted >= n).await?;
        Ok(s.messages())
    }

    /// Waits until at least `n` recipients were accepted in messages (works with
    /// [`SinkBuilder::count_only`]).
    pub async fn wait_for_rcpts(&self, n: usize, timeout: Duration) -> Result<(), SinkTimeout> {
        self.wait_until(timeout, |s| s.accepted_rcpts >= n)
            .await
            .map(|_| ())
    }

    /// Waits until every connection the sink accepted is closed.
    pub async fn wait_for_idle(&self, timeout: Duration) -> Result<SinkState, SinkTimeout> {
        self.wait_until(timeout, |s| s.connections.iter().all(|c| !c.open))
            .await
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let local = listener.local_addr().expect("bound listener");
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let conn = session::open(&shared, local, peer);
            let _ = session::run(&shared, tcp, conn, local, peer).await;
            session::close(&shared, conn, local);
        });
    }
}

#[cfg(test)]
mod tests;
