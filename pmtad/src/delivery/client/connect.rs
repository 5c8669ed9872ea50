//! Opening a session: TCP connect from the source address, greeting, EHLO/HELO, STARTTLS.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpSocket, TcpStream};

use super::stream::{Io, RawReply, Stream};
use super::{
    ClientConfig, Destination, Extensions, SessionError, SessionInfo, Step, TlsMode, starttls,
};
use crate::logs::SessionLog;

/// An open SMTP session, ready for transactions.
pub struct SmtpConnection {
    pub(super) io: Io,
    pub(super) info: SessionInfo,
    pub(super) cfg: Arc<ClientConfig>,
    /// A transaction was left half done: send RSET before the next one.
    pub(super) needs_rset: bool,
    /// The connection can no longer be used (I/O error, timeout, 421).
    pub(super) broken: bool,
    /// Reused buffer for the encoded content (no allocation per message).
    pub(super) scratch: Vec<u8>,
}

impl std::fmt::Debug for SmtpConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConnection")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl SmtpConnection {
    /// Connects and prepares the session, with no dialogue trace.
    pub async fn connect(dest: Destination, cfg: Arc<ClientConfig>) -> Result<Self, SessionError> {
        Self::connect_logged(dest, cfg, SessionLog::off()).await
    }

    /// Connects and prepares the session, tracing it in `log` (the queue's
    /// `log-connections` / `log-commands` / `log-data`). With `tls optional`, a failed
    /// handshake is retried once on a fresh connection in plain text.
    pub async fn connect_logged(
        dest: Destination,
        cfg: Arc<ClientConfig>,
        log: SessionLog,
    ) -> Result<Self, SessionError> {
        let want_tls = cfg.tls != TlsMode::No;
        let result = match Self::open(dest.clone(), cfg.clone(), want_tls, log.clone()).await {
            Err(e) if e.is_tls_failure() && cfg.tls == TlsMode::Optional => {
                tracing::info!(host = %dest.host, ip = %dest.ip, error = %e,
                    "STARTTLS failed, retrying in plain text");
                Self::open(dest.clone(), cfg, false, log.clone()).await
            }
            Err(SessionError::Tls(e)) => Err(SessionError::TlsRequired(e)),
            other => other,
        };
        if let Err(e) = &result {
            log.connection(format_args!(
                "session to {} [{}]:{} failed: {e}",
                dest.host, dest.ip, dest.port
            ));
        }
        result
    }

    async fn open(
        dest: Destination,
        cfg: Arc<ClientConfig>,
        want_tls: bool,
        log: SessionLog,
    ) -> Result<Self, SessionError> {
        let tcp = tcp_connect(&dest, &cfg).await?;
        let local = tcp.local_addr().map_err(|e| SessionError::Io {
            stage: Step::Connect,
            source: e,
        })?;
        log.connection(format_args!(
            "connected to {} [{}]:{} from [{}]",
            dest.host,
            dest.ip,
            dest.port,
            local.ip()
        ));
        let mut io = Io::new(Stream::Plain(tcp), log);
        let greeting = greet(&mut io, &cfg).await?;
        let (esmtp, extensions) = hello(&mut io, &cfg).await?;
        let info = SessionInfo {
            dest,
            local,
            greeting,
            esmtp,
            extensions,
            tls: None,
            messages: 0,
        };
        let conn = SmtpConnection {
            io,
            info,
            cfg,
            needs_rset: false,
            broken: false,
            scratch: Vec::new(),
        };
        if want_tls {
            conn.starttls().await
        } else {
            Ok(conn)
        }
    }

    /// Facts about the session (addresses, ESMTP, TLS, messages sent).
    pub fn info(&self) -> &SessionInfo {
        &self.info
    }

    /// False once an error made the connection unusable; the caller then drops it.
    pub fn is_open(&self) -> bool {
        !self.broken
    }

    /// Resolves when the server speaks or hangs up between transactions (an idle timeout on
    /// its side); the connection is then marked unusable, so the caller drops it instead of
    /// losing its next message to a dead socket.
    pub async fn closed_by_peer(&mut self) {
        self.io.peer_activity().await;
        self.broken = true;
    }

    /// STARTTLS, handshake, EHLO again. Not offered / refused: fine for `optional`, an error
    /// for `required`.
    async fn starttls(mut self) -> Result<Self, SessionError> {
        let required = self.cfg.tls == TlsMode::Required;
        if !self.info.extensions.starttls {
            return match required {
                true => Err(SessionError::TlsRequired(
                    "server does not offer STARTTLS".into(),
                )),
                false => Ok(self),
            };
        }
        let t = self.cfg.command_timeout;
        self.io.write(b"STARTTLS\r\n", t, Step::StartTls).await?;
        let reply = self.io.read_reply(t, Step::StartTls).await?;
        if reply.code != 220 {
            let why = format!("server refused STARTTLS: {}", reply.reply());
            return if required {
                Err(SessionError::TlsRequired(why))
            } else {
                Ok(self)
            };
        }
        if self.io.has_buffered() {
            return Err(SessionError::Tls(
                "server sent data before the TLS handshake".into(),
            ));
        }
        let (io, version) = handshake(self.io, &self.info.dest, self.cfg.greeting_timeout).await?;
        self.io = io;
        self.info.tls = Some(version);
        let (esmtp, ext) = hello(&mut self.io, &self.cfg).await?;
        self.info.esmtp = esmtp;
        self.info.extensions = ext;
        Ok(self)
    }

    /// RSET after an aborted transaction; a refusal makes the connection unusable.
    pub(super) async fn rset(&mut self) -> Result<(), SessionError> {
        let t = self.cfg.command_timeout;
        self.io.write(b"RSET\r\n", t, Step::Rset).await?;
        let reply = self.io.read_reply(t, Step::Rset).await?;
        if reply.code / 100 != 2 {
            return Err(SessionError::Rejected {
                stage: Step::Rset,
                reply: reply.reply(),
            });
        }
        self.needs_rset = false;
        Ok(())
    }

    /// QUIT, wait briefly for 221, close. Errors are irrelevant at this point.
    pub async fn quit(mut self) {
        let t = self
            .cfg
            .command_timeout
            .min(std::time::Duration::from_secs(10));
        if !self.broken && self.io.write(b"QUIT\r\n", t, Step::Quit).await.is_ok() {
            let _ = self.io.read_reply(t, Step::Quit).await;
        }
        self.io.shutdown(t).await;
        let d = &self.info.dest;
        let messages = self.info.messages;
        (self.io.log()).connection(format_args!(
            "closed connection to {} [{}]:{} ({messages} message(s))",
            d.host, d.ip, d.port
        ));
    }
}

/// TCP connect bound to the source address (bind before connect), under connect-timeout.
async fn tcp_connect(dest: &Destination, cfg: &ClientConfig) -> Result<TcpStream, SessionError> {
    let addr = SocketAddr::new(dest.ip, dest.port);
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    };
    let socket = socket.map_err(|e| SessionError::Connect { addr, source: e })?;
    if let Some(ip) = cfg.source_ip {
        socket
            .bind(SocketAddr::new(ip, 0))
            .map_err(|e| SessionError::Bind { ip, source: e })?;
    }
    match tokio::time::timeout(cfg.connect_timeout, socket.connect(addr)).await {
        Ok(Ok(tcp)) => {
            let _ = tcp.set_nodelay(true);
            Ok(tcp)
        }
        Ok(Err(e)) => Err(SessionError::Connect { addr, source: e }),
        Err(_) => Err(SessionError::Timeout(Step::Connect)),
    }
}

/// Reads the banner: 220 or a refusal.
async fn greet(io: &mut Io, cfg: &ClientConfig) -> Result<String, SessionError> {
    let reply = io.read_reply(cfg.greeting_timeout, Step::Greeting).await?;
    if reply.code != 220 {
        return Err(SessionError::Rejected {
            stage: Step::Greeting,
            reply: reply.reply(),
        });
    }
    Ok(reply.lines.join(" "))
}

/// EHLO, or HELO when EHLO is refused. Returns (esmtp, extensions).
async fn hello(io: &mut Io, cfg: &ClientConfig) -> Result<(bool, Extensions), SessionError> {
    let t = cfg.command_timeout;
    io.write(
        format!("EHLO {}\r\n", cfg.helo_name).as_bytes(),
        t,
        Step::Ehlo,
    )
    .await?;
    let reply = io.read_reply(t, Step::Ehlo).await?;
    if reply.code / 100 == 2 {
        return Ok((true, parse_extensions(&reply)));
    }
    if reply.code == 421 {
        return Err(SessionError::Rejected {
            stage: Step::Ehlo,
            reply: reply.reply(),
        });
    }
    io.write(
        format!("HELO {}\r\n", cfg.helo_name).as_bytes(),
        t,
        Step::Helo,
    )
    .await?;
    let reply = io.read_reply(t, Step::Helo).await?;
    if reply.code / 100 != 2 {
        return Err(SessionError::Rejected {
            stage: Step::Helo,
            reply: reply.reply(),
        });
    }
    Ok((false, Extensions::default()))
}

/// The EHLO keywords we use (the first line is the server's name).
fn parse_extensions(reply: &RawReply) -> Extensions {
    let mut ext = Extensions::default();
    for line in reply.lines.iter().skip(1) {
        let mut words = line.split_ascii_whitespace();
        let keyword = words.next().unwrap_or("").to_ascii_uppercase();
        match keyword.as_str() {
            "PIPELINING" => ext.pipelining = true,
            "8BITMIME" => ext.eight_bit_mime = true,
            "STARTTLS" => ext.starttls = true,
            "ENHANCEDSTATUSCODES" => ext.enhanced_status_codes = true,
            "SIZE" => ext.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
            _ => {}
        }
    }
    ext
}

/// The TLS handshake over the plain stream; returns the TLS session and "version cipher".
async fn handshake(
    io: Io,
    dest: &Destination,
    limit: std::time::Duration,
) -> Result<(Io, String), SessionError> {
    let (Stream::Plain(tcp), log) = io.into_parts() else {
        return Err(SessionError::Protocol {
            stage: Step::StartTls,
            detail: "STARTTLS on a TLS session".into(),
        });
    };
    let name = starttls::server_name(&dest.host, dest.ip);
    let tls = match tokio::time::timeout(limit, starttls::connector().connect(name, tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return Err(SessionError::Tls(e.to_string())),
        Err(_) => return Err(SessionError::Tls("handshake timed out".into())),
    };
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("TLS");
    let suite = conn.negotiated_cipher_suite().map(|c| c.suite());
    let suite = suite.and_then(|s| s.as_str()).unwrap_or("unknown");
    Ok((
        Io::new(Stream::Tls(Box::new(tls)), log),
        format!("{version} {suite}"),
    ))
}
