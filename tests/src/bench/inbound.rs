//! Inbound SMTP server benchmark: how fast `pmtad::inbound` takes mail, protocol side only.
//!
//! The server runs alone on a current-thread runtime in its own thread, so its CPU per
//! message and per session is read from that thread's /proc/thread-self/schedstat; the
//! clients run on another runtime. The `Intake` accepts every domain and its content sink
//! only counts bytes: no spool, so these are the costs the SMTP layer adds on top of it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pmtad::envelope::{Envelope, MessageId};
use pmtad::inbound::{
    Content, Intake, ListenerConfig, LookupError, RecipientRules, SmtpServer, SourceRules,
    StoreError,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::measure::{Samples, per_sec, thread_cpu, us_per};
use super::{Figure, Scale, Section};

#[derive(Clone, Debug)]
pub struct Params {
    /// Concurrent sessions, messages each, message size.
    pub sessions: usize,
    pub per_session: usize,
    pub size: usize,
    /// Bare sessions (connect, EHLO, QUIT) from 20 concurrent clients.
    pub connections: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            sessions: scale.pick(50, 50, 4),
            per_session: scale.pick(200, 40, 5),
            size: 2048,
            connections: scale.pick(10_000, 2_000, 40),
        }
    }
}

const CLIENTS: usize = 20;

struct Counting {
    bytes: Arc<AtomicU64>,
    next: AtomicU64,
}

struct Sink(u64, Arc<AtomicU64>);

impl Content for Sink {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.0 += chunk.len() as u64;
        Ok(())
    }
}

impl Intake for Counting {
    type Content = Sink;
    fn host_name(&self) -> String {
        "bench.example".into()
    }
    fn source_policy(&self, _: IpAddr, _: SocketAddr) -> SourceRules {
        SourceRules::default()
    }
    fn recipient_rules(&self, _: &str, _: &str) -> RecipientRules {
        RecipientRules {
            accepted_without_relaying: true,
            ..RecipientRules::default()
        }
    }
    fn vmta_exists(&self, _: &str) -> bool {
        true
    }
    async fn rdns_confirmed(&self, _: IpAddr) -> Result<bool, LookupError> {
        Ok(true)
    }
    fn begin(&self) -> Result<Sink, StoreError> {
        Ok(Sink(0, self.bytes.clone()))
    }
    async fn store(&self, _: Envelope, content: Sink) -> Result<MessageId, StoreError> {
        content.1.fetch_add(content.0, Ordering::Relaxed);
        Ok(MessageId(self.next.fetch_add(1, Ordering::Relaxed)))
    }
}

/// Starts the server thread; returns its address, the stop token and its CPU time at exit.
fn start_server() -> (SocketAddr, CancellationToken, oneshot::Receiver<Duration>) {
    let intake = Counting {
        bytes: Arc::default(),
        next: AtomicU64::new(1),
    };
    serve_on_a_thread(intake, None)
}

/// Runs pmtad's SMTP server over `intake` (STARTTLS with `tls`) on a thread of its own
/// with a one-thread runtime, so the thread's CPU time is the server's; returns its
/// address, the stop token and that CPU time once stopped.
pub(super) fn serve_on_a_thread<I: Intake + 'static>(
    intake: I,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (SocketAddr, CancellationToken, oneshot::Receiver<Duration>) {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (cpu_tx, cpu_rx) = oneshot::channel();
    let stop = CancellationToken::new();
    let stop2 = stop.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let config = ListenerConfig {
                max_sessions: 10_000,
                tls: tls.into(),
                ..ListenerConfig::default()
            };
            let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
            let server = SmtpServer::bind(&[any], Arc::new(intake), config)
                .await
                .unwrap();
            addr_tx.send(server.local_addrs()[0]).unwrap();
            server.serve(stop2).await;
        });
        let _ = cpu_tx.send(thread_cpu());
    });
    (addr_rx.recv().unwrap(), stop, cpu_rx)
}

/// Reads one (multi-line) reply; returns its code.
pub(super) async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut BufReader<S>,
    line: &mut String,
) -> u16 {
    loop {
        line.clear();
        c.read_line(line).await.unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line[..3].parse().unwrap();
        }
    }
}

/// One session sending `n` pipelined messages; returns the time from MAIL to 250 of each.
async fn session(addr: SocketAddr, n: usize, body: Arc<Vec<u8>>) -> Vec<Duration> {
    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
    let mut line = String::new();
    assert_eq!(reply(&mut c, &mut line).await, 220);
    c.get_mut()
        .write_all(b"EHLO bench.client\r\n")
        .await
        .unwrap();
    assert_eq!(reply(&mut c, &mut line).await, 250);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let cmds = b"MAIL FROM:<bench@client.example>\r\nRCPT TO:<rcpt@dest.example>\r\nDATA\r\n";
        c.get_mut().write_all(cmds).await.unwrap();
        for want in [250, 250, 354] {
            assert_eq!(reply(&mut c, &mut line).await, want);
        }
        c.get_mut().write_all(&body).await.unwrap();
        assert_eq!(reply(&mut c, &mut line).await, 250);
        times.push(t.elapsed());
    }
    c.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    times
}

/// A message of about `size` bytes in 76-character lines, ending with the end-of-data line.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: bench@client.example\r\nSubject: bench\r\n\r\n".to_vec();
    while m.len() < size {
        m.extend_from_slice(&[b'x'; 76]);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b".\r\n");
    m
}

async fn run_messages(addr: SocketAddr, sessions: usize, per: usize, size: usize) -> Vec<Duration> {
    let body = Arc::new(message(size));
    let tasks: Vec<_> = (0..sessions)
        .map(|_| tokio::spawn(session(addr, per, body.clone())))
        .collect();
    let mut all = Vec::with_capacity(sessions * per);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Connect, EHLO, QUIT, `n` times from `conc` concurrent clients.
async fn run_sessions(addr: SocketAddr, conc: usize, n: usize) {
    let tasks: Vec<_> = (0..conc)
        .map(|_| {
            tokio::spawn(async move {
                let mut line = String::new();
                for _ in 0..n / conc {
                    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
                    reply(&mut c, &mut line).await;
                    c.get_mut()
                        .write_all(b"EHLO b.example\r\nQUIT\r\n")
                        .await
                        .unwrap();
                    reply(&mut c, &mut line).await;
                    reply(&mut c, &mut line).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let clients = tokio::runtime::Runtime::new()?;
    let mut s = Section::new(
        "inbound",
        format!(
            "SMTP layer alone (no spool): {} pipelining sessions x {} messages of {} B; {} bare \
             sessions from {CLIENTS} clients; server CPU from its own thread",
            p.sessions, p.per_session, p.size, p.connections
        ),
    );
    let (addr, stop, cpu) = start_server();
    let t = Instant::now();
    let times = clients.block_on(run_messages(addr, p.sessions, p.per_session, p.size));
    let wall = t.elapsed();
    stop.cancel();
    let server_cpu = clients.block_on(cpu)?;
    let times = Samples::new(times);
    let n = times.len();
    s.push(Figure::new("messages/s (wall)", per_sec(n, wall), "msgs/s"));
    s.push(Figure::new(
        "server CPU per message",
        us_per(server_cpu, n),
        "µs",
    ));
    s.push(Figure::new("MAIL FROM to 250 p50", times.ms(0.5), "ms"));
    s.push(Figure::new("MAIL FROM to 250 p99", times.ms(0.99), "ms"));

    let conns = p.connections / CLIENTS * CLIENTS;
    let (addr, stop, cpu) = start_server();
    let t = Instant::now();
    clients.block_on(run_sessions(addr, CLIENTS, conns));
    let wall = t.elapsed();
    stop.cancel();
    let server_cpu = clients.block_on(cpu)?;
    s.push(Figure::new(
        "sessions/s (connect, EHLO, QUIT)",
        per_sec(conns, wall),
        "sessions/s",
    ));
    s.push(Figure::new(
        "server CPU per session",
        us_per(server_cpu, conns),
        "µs",
    ));
    for f in super::auth::figures(&clients, conns)? {
        s.push(f);
    }
    Ok(s)
}
