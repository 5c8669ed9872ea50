//! SMTP AUTH sessions, for the inbound benchmark: connect, EHLO, AUTH PLAIN, QUIT (plain
//! text, so the figure is the AUTH exchange itself), and the same after STARTTLS (what a
//! feeder really does); the server's CPU per session comes from its own thread, as in
//! `inbound`. The password check is pmtad's own (`pmtad::daemon::verify_password`), run on
//! the server thread so its cost is in the figure; the cost of one Argon2id check at the
//! cost `pmtad --hash-password` uses is measured apart.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use config::Password;
use pmtad::envelope::{Envelope, MessageId};
use pmtad::inbound::{
    Content, Credentials, Intake, LookupError, RecipientRules, SourceRules, StoreError,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::Figure;
use super::inbound::reply;
use super::measure::{per_sec, thread_cpu, us_per};

const CLIENTS: usize = 20;
const USER: &str = "feeder";
const PASSWORD: &str = "bench-password";

/// Accepts nothing but logins of [`USER`].
struct Users {
    password: Password,
}

struct Nothing;

impl Content for Nothing {
    async fn write(&mut self, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Intake for Users {
    type Content = Nothing;
    fn host_name(&self) -> String {
        "bench.example".into()
    }
    fn source_policy(&self, _: IpAddr, _: SocketAddr) -> SourceRules {
        let mut rules = SourceRules::default();
        rules.policy.allow_unencrypted_plain_auth = true;
        rules
    }
    fn recipient_rules(&self, _: &str, _: &str) -> RecipientRules {
        RecipientRules::default()
    }
    fn vmta_exists(&self, _: &str) -> bool {
        true
    }
    async fn rdns_confirmed(&self, _: IpAddr) -> Result<bool, LookupError> {
        Ok(true)
    }
    fn auth_available(&self) -> bool {
        true
    }
    async fn authenticate(&self, creds: &Credentials) -> Option<String> {
        let good =
            creds.user == USER && pmtad::daemon::verify_password(&self.password, &creds.password);
        good.then(|| creds.user.clone())
    }
    fn begin(&self) -> Result<Nothing, StoreError> {
        Ok(Nothing)
    }
    async fn store(&self, _: Envelope, _: Nothing) -> Result<MessageId, StoreError> {
        Ok(MessageId(1))
    }
}

/// Starts the server thread; returns its address, the stop token and its CPU at exit.
fn start_server(
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (SocketAddr, CancellationToken, oneshot::Receiver<Duration>) {
    let intake = Users {
        password: Password::Plain(PASSWORD.into()),
    };
    super::inbound::serve_on_a_thread(intake, tls)
}

/// EHLO, AUTH PLAIN, QUIT on an open connection (greeting already read).
async fn login<S: AsyncRead + AsyncWrite + Unpin>(c: &mut BufReader<S>, auth: &str) {
    let mut line = String::new();
    let cmds = format!("EHLO b.example\r\nAUTH PLAIN {auth}\r\nQUIT\r\n");
    c.get_mut().write_all(cmds.as_bytes()).await.unwrap();
    assert_eq!(reply(c, &mut line).await, 250);
    assert_eq!(reply(c, &mut line).await, 235, "{line}");
    assert_eq!(reply(c, &mut line).await, 221);
}

async fn one_session(addr: SocketAddr, auth: &str, tls: Option<&tokio_rustls::TlsConnector>) {
    let mut line = String::new();
    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(reply(&mut c, &mut line).await, 220);
    let Some(connector) = tls else {
        return login(&mut c, auth).await;
    };
    c.get_mut()
        .write_all(b"EHLO b.example\r\nSTARTTLS\r\n")
        .await
        .unwrap();
    assert_eq!(reply(&mut c, &mut line).await, 250);
    assert_eq!(reply(&mut c, &mut line).await, 220);
    let name = rustls_pki_types::ServerName::try_from("bench.example").unwrap();
    let stream = connector.connect(name, c.into_inner()).await.unwrap();
    login(&mut BufReader::new(stream), auth).await;
}

/// `n` sessions from [`CLIENTS`] concurrent clients.
async fn run_sessions(addr: SocketAddr, n: usize, tls: Option<tokio_rustls::TlsConnector>) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{PASSWORD}"));
    let tls = Arc::new(tls);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (auth, tls) = (auth.clone(), tls.clone());
            tokio::spawn(async move {
                for _ in 0..n / CLIENTS {
                    one_session(addr, &auth, tls.as_ref().as_ref()).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// A server certificate for `bench.example` and a client that trusts it.
fn tls_pair() -> anyhow::Result<(Arc<rustls::ServerConfig>, tokio_rustls::TlsConnector)> {
    let ca = crate::certs::TestCa::new()?;
    let server = ca.server_config(&["bench.example"])?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der())?;
    let client = rustls::ClientConfig::builder_with_provider(crate::certs::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((server, tokio_rustls::TlsConnector::from(Arc::new(client))))
}

/// The AUTH figures: plain-text and STARTTLS sessions, and one Argon2id check.
pub fn figures(clients: &tokio::runtime::Runtime, sessions: usize) -> anyhow::Result<Vec<Figure>> {
    let n = sessions / CLIENTS * CLIENTS;
    let mut out = Vec::new();
    for tls in [false, true] {
        let (server_tls, connector) = match tls {
            true => {
                let (s, c) = tls_pair()?;
                (Some(s), Some(c))
            }
            false => (None, None),
        };
        let (addr, stop, cpu) = start_server(server_tls);
        let t = Instant::now();
        clients.block_on(run_sessions(addr, n, connector));
        let wall = t.elapsed();
        stop.cancel();
        let server_cpu = clients.block_on(cpu)?;
        let what = if tls {
            "STARTTLS + AUTH PLAIN"
        } else {
            "AUTH PLAIN"
        };
        out.push(Figure::new(
            format!("{what} sessions/s (connect, EHLO, {what}, QUIT)"),
            per_sec(n, wall),
            "sessions/s",
        ));
        out.push(Figure::new(
            format!("server CPU per {what} session"),
            us_per(server_cpu, n),
            "µs",
        ));
    }
    out.push(argon2_check()?);
    Ok(out)
}

/// CPU of one Argon2id verification at `pmtad --hash-password`'s cost (19 MiB, t=2).
fn argon2_check() -> anyhow::Result<Figure> {
    let hash = pmtad::daemon::hash_password(PASSWORD.as_bytes())
        .map_err(|e| anyhow::anyhow!("hash: {e}"))?;
    let password = Password::Argon2(hash);
    let rounds = 5;
    let before = thread_cpu();
    for _ in 0..rounds {
        assert!(pmtad::daemon::verify_password(
            &password,
            PASSWORD.as_bytes()
        ));
    }
    let cpu = thread_cpu() - before;
    Ok(Figure::new(
        "Argon2id password check (m=19 MiB, t=2), CPU each",
        us_per(cpu, rounds),
        "µs",
    ))
}
