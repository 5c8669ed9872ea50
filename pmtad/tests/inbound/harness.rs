//! A collector implementing `Intake`, a line-oriented SMTP test client, and a server started
//! on 127.0.0.1:0 for each test.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pmtad::envelope::{Envelope, MessageId};
use pmtad::inbound::{
    Content, Credentials, Intake, ListenerConfig, LookupError, RecipientRules, SmtpServer,
    SourceRules, StoreError,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest any test waits for the server; a hang fails instead of blocking the suite.
pub const WAIT: Duration = Duration::from_secs(20);

pub const HOST: &str = "mx.test.example";

/// A stored message as the collector saw it.
#[derive(Debug)]
pub struct Stored {
    pub envelope: Envelope,
    pub content: Vec<u8>,
}

impl Stored {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }

    /// The content after our Received header.
    pub fn after_received(&self) -> String {
        let text = self.text();
        let end = text.find("+0000\r\n").expect("Received header") + 7;
        text[end..].to_string()
    }
}

/// Policy and storage for the tests: plain data, one message channel.
pub struct Collector {
    pub source: SourceRules,
    pub local_domains: HashSet<String>,
    pub domain_limits: HashMap<String, u64>,
    pub rdns_domains: HashSet<String>,
    pub vmtas: HashSet<String>,
    /// What `rdns_confirmed` answers: `None` = lookup failure.
    pub rdns: Option<bool>,
    pub wanted_headers: Arc<[String]>,
    pub fail_store: AtomicBool,
    /// SMTP AUTH users and their passwords.
    pub users: HashMap<String, String>,
    /// The rules of an authenticated session (`None`: the address's rules).
    pub auth_source: Option<SourceRules>,
    stored: mpsc::UnboundedSender<Stored>,
    next_id: Mutex<u64>,
}

pub struct Collected(Vec<u8>);

impl Content for Collected {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.0.extend_from_slice(chunk);
        Ok(())
    }
}

impl Intake for Collector {
    type Content = Collected;

    fn host_name(&self) -> String {
        HOST.to_string()
    }

    fn source_policy(&self, _peer: IpAddr, _local: SocketAddr) -> SourceRules {
        self.source.clone()
    }

    fn auth_available(&self) -> bool {
        !self.users.is_empty()
    }

    async fn authenticate(&self, creds: &Credentials) -> Option<String> {
        let good = self.users.get(&creds.user).map(String::as_bytes) == Some(&creds.password[..]);
        good.then(|| creds.user.clone())
    }

    fn auth_source_policy(&self, _peer: IpAddr, _local: SocketAddr, _user: &str) -> SourceRules {
        self.auth_source
            .clone()
            .unwrap_or_else(|| self.source.clone())
    }

    fn recipient_rules(&self, domain: &str, vmta: &str) -> RecipientRules {
        let limit_key = format!("{domain}/{vmta}");
        RecipientRules {
            accepted_without_relaying: self.local_domains.contains(domain),
            max_message_size: self
                .domain_limits
                .get(&limit_key)
                .or(self.domain_limits.get(domain))
                .copied(),
            require_rdns: self.rdns_domains.contains(domain),
        }
    }

    fn vmta_exists(&self, name: &str) -> bool {
        self.vmtas.contains(name)
    }

    async fn rdns_confirmed(&self, _ip: IpAddr) -> Result<bool, LookupError> {
        self.rdns.ok_or_else(|| LookupError("SERVFAIL".to_string()))
    }

    fn wanted_headers(&self) -> Arc<[String]> {
        self.wanted_headers.clone()
    }

    fn begin(&self) -> Result<Collected, StoreError> {
        Ok(Collected(Vec::new()))
    }

    async fn store(&self, envelope: Envelope, content: Collected) -> Result<MessageId, StoreError> {
        if self.fail_store.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable("disk full".to_string()));
        }
        let id = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        let _ = self.stored.send(Stored {
            envelope,
            content: content.0,
        });
        Ok(MessageId(id))
    }
}

/// A running server and the messages it stored.
pub struct TestServer {
    pub addr: SocketAddr,
    pub intake: Arc<Collector>,
    pub stored: mpsc::UnboundedReceiver<Stored>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<()>,
}

/// Builds a server; `setup` adjusts the collector's policy and the listener config.
pub async fn start(setup: impl FnOnce(&mut Collector, &mut ListenerConfig)) -> TestServer {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut collector = Collector {
        source: SourceRules::default(),
        local_domains: ["local.example".to_string()].into(),
        domain_limits: HashMap::new(),
        rdns_domains: HashSet::new(),
        vmtas: ["mta1".to_string(), "pool1".to_string()].into(),
        rdns: Some(true),
        wanted_headers: Arc::from([]),
        fail_store: AtomicBool::new(false),
        users: HashMap::new(),
        auth_source: None,
        stored: tx,
        next_id: Mutex::new(0),
    };
    let mut config = ListenerConfig::default();
    setup(&mut collector, &mut config);
    let intake = Arc::new(collector);
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = SmtpServer::bind(&[addr], intake.clone(), config)
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.serve(shutdown.clone()));
    TestServer {
        addr,
        intake,
        stored: rx,
        shutdown,
        task,
    }
}

impl TestServer {
    pub async fn connect(&self) -> Client<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        Client::new(tcp)
    }

    /// The next stored message.
    pub async fn message(&mut self) -> Stored {
        tokio::time::timeout(WAIT, self.stored.recv())
            .await
            .expect("a stored message")
            .expect("server alive")
    }

    /// True when nothing (more) was stored.
    pub fn nothing_stored(&mut self) -> bool {
        self.stored.try_recv().is_err()
    }
}

/// One reply: its code and all its lines.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// A minimal SMTP client over any stream.
pub struct Client<S> {
    pub io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub fn new(io: S) -> Self {
        Client {
            io: BufReader::new(io),
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.send_bytes(text.as_bytes()).await;
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.io.get_mut().write_all(bytes).await.unwrap();
    }

    /// Reads one (possibly multi-line) reply; `None` at end of stream.
    pub async fn try_reply(&mut self) -> Option<Reply> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(WAIT, self.io.read_line(&mut line))
                .await
                .expect("reply in time")
                .ok()?;
            if n == 0 {
                return None;
            }
            let line = line.trim_end().to_string();
            assert!(line.len() >= 3, "short reply line {line:?}");
            let code = line[..3].parse().expect("numeric reply code");
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return Some(Reply { code, lines });
            }
        }
    }

    pub async fn reply(&mut self) -> Reply {
        self.try_reply()
            .await
            .expect("a reply before end of stream")
    }

    /// Sends a command line and returns its reply.
    pub async fn cmd(&mut self, line: &str) -> Reply {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    /// Sends a command and checks the reply starts with `expect` (code and enhanced code).
    pub async fn expect(&mut self, line: &str, expect: &str) -> Reply {
        let r = self.cmd(line).await;
        assert!(
            r.lines[0].starts_with(expect),
            "{line}: expected {expect}, got {:?}",
            r.lines
        );
        r
    }

    /// True once the server closed the connection (after any remaining replies).
    pub async fn closed(&mut self) -> bool {
        self.try_reply().await.is_none()
    }
}

/// Greeting and EHLO.
pub async fn hello(server: &TestServer) -> Client<TcpStream> {
    let mut c = server.connect().await;
    assert_eq!(c.reply().await.code, 220);
    c.expect("EHLO client.test.example", "250").await;
    c
}

/// A whole transaction; returns the reply to the end of data.
pub async fn send_message<S: AsyncRead + AsyncWrite + Unpin>(
    c: &mut Client<S>,
    from: &str,
    to: &[&str],
    body: &str,
) -> Reply {
    c.expect(&format!("MAIL FROM:<{from}>"), "250 2.1.0").await;
    for rcpt in to {
        c.expect(&format!("RCPT TO:<{rcpt}>"), "250 2.1.5").await;
    }
    c.expect("DATA", "354").await;
    c.send(body).await;
    c.send(".\r\n").await;
    c.reply().await
}
