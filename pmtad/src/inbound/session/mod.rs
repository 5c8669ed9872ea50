//! One SMTP session (RFC 5321): greeting, then one command at a time until QUIT, a timeout,
//! too many errors or the server's shutdown. The mail transaction itself (MAIL, RCPT) is in
//! [`mail_rcpt`], DATA in [`data`]: children of the session, since each is a phase of it
//! (methods on [`Session`]) and names its state as the session names them.

mod data;
mod mail_rcpt;

use std::fmt::{self, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::command::{self, Command, ParseError};
use super::conn::{BufPool, Conn, ReadError};
use super::headers::FieldPlan;
use super::intake::{Intake, SourceRules};
use super::lockout::AuthLockout;
use super::traffic::InboundStats;
use crate::logs::{Dialogue, LogSink, SessionLog};
use data::DataBuffers;
use mail_rcpt::Transaction;

/// Longest wait to hand the last reply to a closing connection.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) const LOG_TARGET: &str = "pmtad::inbound";

/// Hard limits of every session, whatever the source.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Longest command line accepted (500 5.5.6 beyond it).
    pub max_line: usize,
    /// Recipients per message (452 4.5.3 beyond it); a source may set fewer.
    pub max_recipients: usize,
    /// Errors (bad commands, refusals) before the session is closed with 421.
    pub max_errors: u32,
    /// Size of a read buffer (a session holds one only while it handles input).
    pub read_buffer: usize,
    /// Read buffers kept for reuse when sessions go idle (their pages stay resident).
    pub pooled_buffers: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_line: 2048,
            max_recipients: 1000,
            max_errors: 20,
            read_buffer: 64 * 1024,
            pooled_buffers: 128,
        }
    }
}

/// Why a session ends.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Stop {
    #[error("client quit")]
    Quit,
    #[error("too many errors")]
    TooManyErrors,
    #[error("refused by policy")]
    Refused,
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Whether the session goes on after a command.
pub(crate) type Step = Result<(), Stop>;

/// Everything a session needs from the listener.
pub(crate) struct SessionContext<I> {
    pub intake: Arc<I>,
    pub limits: SessionLimits,
    /// The current STARTTLS configuration (a reload may replace it).
    pub tls: super::tls::TlsSlot,
    pub stats: Arc<InboundStats>,
    pub shutdown: CancellationToken,
    pub log: Option<LogSink>,
    /// Failed AUTH attempts per client address, across sessions.
    pub lockout: Arc<AuthLockout>,
    /// Read buffers shared by the sessions (held only while a session handles input).
    pub buffers: Arc<BufPool>,
}

pub(crate) struct Session<I: Intake, IO> {
    pub(super) ctx: Arc<SessionContext<I>>,
    pub(super) conn: Conn<IO>,
    pub(super) rules: SourceRules,
    pub(super) host: String,
    pub(super) peer: SocketAddr,
    /// The listener address the client reached (named sources hang on it).
    pub(super) local: SocketAddr,
    /// The user the client authenticated as (SMTP AUTH).
    pub(super) auth_user: Option<String>,
    /// The HELO/EHLO name, once given.
    pub(super) helo: Option<String>,
    pub(super) esmtp: bool,
    pub(super) txn: Transaction,
    /// Whether the client's reverse DNS is forward-confirmed, once looked up.
    pub(super) rdns: Option<bool>,
    pub(super) data: DataBuffers,
    /// The header fields this session's rules process (`X-Virtual-MTA`, `X-Job`, …).
    pub(super) fields: FieldPlan,
    /// Header names accounting wants captured, read once per connection.
    pub(super) wanted_headers: Arc<[String]>,
    /// The dialogue trace (`log-connections`, `log-commands`, `log-data`) in the main log.
    pub(super) log: Option<SessionLog>,
    /// STARTTLS as configured when the session started.
    tls: Option<TlsAcceptor>,
    errors: u32,
    line: Vec<u8>,
    scratch: String,
}

impl<I: Intake, IO: AsyncRead + AsyncWrite + Unpin> Session<I, IO> {
    pub(crate) fn new(
        ctx: Arc<SessionContext<I>>,
        io: IO,
        id: u64,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Self {
        let limits = ctx.limits;
        let conn = Conn::new(
            io,
            ctx.buffers.clone(),
            limits.max_line,
            ctx.shutdown.clone(),
        );
        let rules = ctx.intake.source_policy(peer.ip(), local);
        let flags = Dialogue {
            connections: rules.policy.log_connections,
            commands: rules.policy.log_commands,
            data: rules.policy.log_data,
        };
        Session {
            log: ctx.log.as_ref().map(|sink| sink.session(id, flags)),
            fields: plan(&*ctx.intake, &rules),
            rules,
            host: ctx.intake.host_name(),
            wanted_headers: ctx.intake.wanted_headers(),
            tls: ctx.tls.get().map(TlsAcceptor::from),
            ctx,
            conn,
            peer,
            local,
            auth_user: None,
            helo: None,
            esmtp: false,
            txn: Transaction::default(),
            rdns: None,
            data: DataBuffers::default(),
            errors: 0,
            line: Vec::with_capacity(512),
            scratch: String::with_capacity(256),
        }
    }

    /// Runs the session to its end and closes the connection.
    pub(crate) async fn run(mut self) {
        if let Some(log) = &self.log {
            log.connection(format_args!(
                "accepted connection from [{}]:{}",
                self.peer.ip(),
                self.peer.port()
            ));
        }
        let end = self.converse().await;
        let timeout = self.rules.command_timeout;
        match &end {
            Err(Stop::Read(ReadError::Timeout)) => {
                self.reply_host("421 4.4.2 ", " Error: timeout exceeded")
            }
            Err(Stop::Read(ReadError::Shutdown)) => {
                self.reply_host("421 4.3.2 ", " Service shutting down")
            }
            Err(Stop::TooManyErrors) => self.reply("421 4.7.0 Too many errors, closing connection"),
            _ => {}
        }
        // Never wait long on a client that does not read its last reply.
        self.conn.close(timeout.min(CLOSE_TIMEOUT)).await;
        if let Some(log) = &self.log {
            let why = end
                .err()
                .map_or_else(|| "client quit".to_string(), |e| e.to_string());
            log.connection(format_args!(
                "closed connection from [{}]: {why}",
                self.peer.ip()
            ));
        }
    }

    async fn converse(&mut self) -> Step {
        if !self.rules.policy.smtp_service {
            self.reply_host("521 5.3.2 ", " does not accept mail from you");
            return Err(Stop::Refused);
        }
        self.reply_host("220 ", " ESMTP pmtad ready");
        loop {
            let range = match self.conn.read_line(self.rules.command_timeout).await {
                Ok(range) => range,
                Err(ReadError::TooLong) => {
                    self.refuse("500 5.5.6 Line too long")?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.line.clear();
            self.line.extend_from_slice(self.conn.line(range));
            let line = std::mem::take(&mut self.line);
            let step = self.command(&line).await;
            self.line = line;
            match step {
                Err(Stop::Quit) => return Ok(()),
                other => other?,
            }
        }
    }

    async fn command(&mut self, line: &[u8]) -> Step {
        if let Some(log) = self.log.as_ref().filter(|l| l.commands_enabled()) {
            log.received(&command::redacted(line));
        }
        match command::parse(line) {
            Ok(cmd) => self.dispatch(cmd).await,
            Err(e) => self.refuse(parse_reply(e)),
        }
    }

    async fn dispatch(&mut self, cmd: Command<'_>) -> Step {
        if self.rules.policy.require_starttls && !self.conn.is_tls() && cmd.needs_tls() {
            return self.refuse("530 5.7.0 Error: must issue a STARTTLS command first");
        }
        match cmd {
            Command::Ehlo(name) => self.hello(name, true),
            Command::Helo(name) => self.hello(name, false),
            Command::Mail(from, params) => self.mail(from, params).await,
            Command::Rcpt(to, params) => self.rcpt(to, params).await,
            Command::Data => self.data().await,
            Command::Rset => {
                self.txn.reset();
                self.reply("250 2.0.0 Ok");
                Ok(())
            }
            Command::Noop => self.ok("250 2.0.0 Ok"),
            Command::Vrfy => self.ok("252 2.5.0 Cannot VRFY user, but will accept message"),
            Command::Help => self.ok("214 2.0.0 See RFC 5321"),
            Command::Quit => {
                self.reply("221 2.0.0 Bye");
                Err(Stop::Quit)
            }
            Command::StartTls => self.start_tls().await,
            Command::Auth(mechanism, initial) => self.auth(mechanism, initial).await,
        }
    }

    /// EHLO/HELO: (re)starts the session state.
    fn hello(&mut self, name: &str, esmtp: bool) -> Step {
        self.txn.reset();
        self.esmtp = esmtp;
        let helo = self.helo.get_or_insert_with(String::new);
        helo.clear();
        helo.push_str(name);
        if !esmtp {
            self.reply_host("250 ", "");
            return Ok(());
        }
        self.reply_host("250-", " Hello");
        self.reply("250-PIPELINING");
        match self.rules.policy.max_message_size {
            Some(max) => self.reply_fmt(format_args!("250-SIZE {max}")),
            None => self.reply("250-SIZE"),
        }
        self.reply("250-8BITMIME");
        if self.starttls_offered() {
            self.reply("250-STARTTLS");
        }
        if self.auth_offered() {
            self.reply_fmt(format_args!("250-AUTH {}", super::sasl::OFFERED));
        }
        self.reply("250 ENHANCEDSTATUSCODES");
        Ok(())
    }

    fn starttls_offered(&self) -> bool {
        self.tls.is_some() && !self.conn.is_tls() && self.rules.policy.allow_starttls
    }

    async fn start_tls(&mut self) -> Step {
        let acceptor = match &self.tls {
            Some(_) if !self.conn.is_tls() && !self.rules.policy.allow_starttls => {
                return self.refuse("502 5.5.1 Error: STARTTLS not available");
            }
            Some(a) if !self.conn.is_tls() => a.clone(),
            Some(_) => return self.refuse("503 5.5.1 Error: TLS already active"),
            None => {
                return self
                    .refuse("502 5.5.1 Error: STARTTLS not available (no certificate configured)");
            }
        };
        self.reply("220 2.0.0 Ready to start TLS");
        self.conn
            .start_tls(&acceptor, self.rules.command_timeout)
            .await?;
        self.ctx.stats.tls_handshake();
        // RFC 3207 §4.2: the client starts over; nothing learnt in clear text is kept.
        self.helo = None;
        self.esmtp = false;
        self.txn.reset();
        if self.auth_user.take().is_some() {
            self.rules = self.ctx.intake.source_policy(self.peer.ip(), self.local);
            self.fields = plan(&*self.ctx.intake, &self.rules);
        }
        Ok(())
    }

    fn ok(&mut self, line: &str) -> Step {
        self.reply(line);
        Ok(())
    }

    /// Queues a reply line.
    pub(super) fn reply(&mut self, line: &str) {
        if let Some(log) = self.log.as_ref().filter(|l| l.commands_enabled()) {
            log.sent(line);
        }
        self.conn.reply(line);
    }

    /// Queues a formatted reply line, formatting into a buffer reused for the session.
    pub(super) fn reply_fmt(&mut self, args: fmt::Arguments<'_>) {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        let _ = s.write_fmt(args);
        self.reply(&s);
        self.scratch = s;
    }

    /// Queues `{before}{host name}{after}`.
    pub(super) fn reply_host(&mut self, before: &str, after: &str) {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        s.push_str(before);
        s.push_str(&self.host);
        s.push_str(after);
        self.reply(&s);
        self.scratch = s;
    }

    /// Replies with an error and counts it; too many end the session (a client that only
    /// sends garbage does not keep a slot forever).
    pub(super) fn refuse(&mut self, line: &str) -> Step {
        self.reply(line);
        self.errors += 1;
        if self.errors >= self.ctx.limits.max_errors {
            return Err(Stop::TooManyErrors);
        }
        Ok(())
    }
}

/// The header fields a session's rules process, with those its `<pattern-list>` reads.
pub(super) fn plan<I: Intake>(intake: &I, rules: &SourceRules) -> FieldPlan {
    let headers = rules
        .policy
        .pattern_list
        .as_deref()
        .map(|l| intake.pattern_headers(l))
        .unwrap_or_default();
    FieldPlan::new(rules, &headers)
}

fn parse_reply(e: ParseError) -> &'static str {
    match e {
        ParseError::Unknown => "500 5.5.1 Error: command not recognized",
        ParseError::Invalid => "500 5.5.2 Error: invalid characters in command",
        ParseError::Syntax => "501 5.5.4 Error: syntax error in parameters or arguments",
        ParseError::BadSender => "501 5.1.7 Error: bad sender address syntax",
        ParseError::BadRecipient => "501 5.1.3 Error: bad recipient address syntax",
        ParseError::BadParam => "555 5.5.4 Error: unsupported or invalid parameter",
    }
}
