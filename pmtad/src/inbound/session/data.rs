//! DATA: the message streams from the socket through dot-unstuffing and header processing
//! into the daemon's content sink, chunk by chunk; the 250 follows only once the daemon says
//! the message is durable.

use std::time::SystemTime;

use tokio::io::{AsyncRead, AsyncWrite};

use super::mail_rcpt::{NO_STORAGE, min_limit};
use super::{LOG_TARGET, Session, Step};
use crate::envelope::Envelope;
use crate::inbound::dot::DotDecoder;
use crate::inbound::headers::HeaderFilter;
use crate::inbound::intake::{Content, Intake, StoreError};
use crate::inbound::received::{self, Trace};
use crate::logs::{DataLog, SessionLog};

/// Per-session buffers and decoders, reused for every message.
#[derive(Debug, Default)]
pub(crate) struct DataBuffers {
    dot: DotDecoder,
    headers: HeaderFilter,
    decoded: Vec<u8>,
    filtered: Vec<u8>,
    received: String,
}

/// Why a received message is not stored.
enum Refusal {
    TooBig,
    Storage(StoreError),
    UnknownVmta(String),
    BadJobId,
}

/// The state of one message while it arrives.
struct Incoming<C> {
    /// `None` once the message is refused: the rest is read and dropped.
    content: Option<C>,
    refusal: Option<Refusal>,
    /// Bytes of the message as the client sent it (unstuffed), for the size limits.
    size: u64,
    limit: Option<u64>,
    /// Bytes handed to the content sink.
    stored: u64,
    /// Virtual MTA picked by the message's header, once known.
    vmta: Option<String>,
    /// Job and envelope ids from the header section, once it is over.
    job_id: Option<String>,
    env_id: Option<String>,
    /// Header values for accounting, once the header section is over.
    acct_headers: Vec<(String, String)>,
    /// The header section was processed (or needed no processing).
    headers_done: bool,
    /// The content as received, for `log-data` (`None` when it is off).
    trace: Option<DataLog>,
}

impl<C: Content> Incoming<C> {
    fn refuse(&mut self, why: Refusal) {
        self.content = None;
        self.refusal.get_or_insert(why);
    }

    async fn write(&mut self, chunk: &[u8]) {
        let Some(content) = self.content.as_mut() else {
            return;
        };
        if chunk.is_empty() {
            return;
        }
        match content.write(chunk).await {
            Ok(()) => self.stored += chunk.len() as u64,
            Err(e) => self.refuse(Refusal::Storage(e)),
        }
    }
}

impl<I: Intake, IO: AsyncRead + AsyncWrite + Unpin> Session<I, IO> {
    pub(super) async fn data(&mut self) -> Step {
        if self.txn.mail_from.is_none() {
            return self.refuse("503 5.5.1 Error: need MAIL command");
        }
        if self.txn.recipients.is_empty() {
            return self.refuse("554 5.5.1 Error: no valid recipients");
        }
        if !self.ctx.intake.storage_available() {
            self.reply(NO_STORAGE);
            return Ok(());
        }
        let content = match self.ctx.intake.begin() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(target: LOG_TARGET, "cannot start a message: {e}");
                self.reply(NO_STORAGE);
                return Ok(());
            }
        };
        self.reply("354 End data with <CR><LF>.<CR><LF>");
        let mut msg = Incoming {
            content: Some(content),
            refusal: None,
            size: 0,
            limit: min_limit(self.rules.policy.max_message_size, self.txn.domain_limit),
            stored: 0,
            vmta: None,
            job_id: None,
            env_id: None,
            acct_headers: Vec::new(),
            headers_done: false,
            trace: self.log.as_ref().and_then(SessionLog::data_log),
        };
        self.data.dot.reset();
        let hold_from =
            (self.ctx.intake).rewrites_from_header(self.rules.policy.rewrite_list.as_deref());
        self.data
            .headers
            .reset(&self.fields.list, &self.wanted_headers, hold_from);
        msg.headers_done = self.data.headers.idle();
        self.write_received(&mut msg).await;
        self.receive(&mut msg).await?;
        self.finish(msg).await;
        self.txn.reset();
        Ok(())
    }

    async fn write_received(&mut self, msg: &mut Incoming<I::Content>) {
        if !self.rules.policy.add_received_header {
            return;
        }
        let trace = Trace {
            helo: self.helo.as_deref().unwrap_or(""),
            ip: self.peer.ip(),
            host: &self.host,
            esmtp: self.esmtp,
            tls: self.conn.is_tls(),
            hide_source: self.rules.policy.hide_message_source,
        };
        received::write_header(&mut self.data.received, &trace, SystemTime::now());
        msg.write(self.data.received.as_bytes()).await;
    }

    /// Reads up to and including the end-of-data line.
    async fn receive(&mut self, msg: &mut Incoming<I::Content>) -> Step {
        loop {
            if self.conn.buffered().is_empty() {
                self.conn.fill(self.rules.data_timeout, false).await?;
            }
            self.data.decoded.clear();
            let input = self.conn.buffered();
            let end = self.data.dot.feed(input, &mut self.data.decoded);
            let consumed = end.unwrap_or(input.len());
            self.conn.consume(consumed);
            msg.size += self.data.decoded.len() as u64;
            if let Some(trace) = msg.trace.as_mut() {
                trace.feed(&self.data.decoded);
            }
            if msg.limit.is_some_and(|max| msg.size > max) {
                msg.refuse(Refusal::TooBig);
            }
            self.pass_on(msg).await;
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// Hands decoded data to the content sink, through the header filter while in headers.
    async fn pass_on(&mut self, msg: &mut Incoming<I::Content>) {
        if msg.content.is_none() {
            return;
        }
        if msg.headers_done || self.data.headers.in_body() {
            msg.write(&self.data.decoded).await;
            return;
        }
        self.data.filtered.clear();
        self.data
            .headers
            .feed(&self.data.decoded, &mut self.data.filtered);
        msg.write(&self.data.filtered).await;
        if self.data.headers.in_body() {
            self.headers_done(msg);
            self.write_held(msg).await;
        }
    }

    /// Writes the held-back `From:` field (rewritten by the source's then the virtual
    /// MTA's `from-domain` rules) and the header bytes after it.
    async fn write_held(&mut self, msg: &mut Incoming<I::Content>) {
        let Some(held) = self.data.headers.take_held() else {
            return;
        };
        let (field, rest) = held.bytes.split_at(held.from_end);
        let vmta = msg.vmta.as_deref().unwrap_or_else(|| self.source_vmta());
        let lists: Vec<String> = (self.rules.policy.rewrite_list.iter().cloned())
            .chain(self.ctx.intake.vmta_rewrite_list(vmta))
            .collect();
        let intake = &self.ctx.intake;
        let map = |domain: &str| {
            let mut out: Option<String> = None;
            for list in &lists {
                let now = out.as_deref().unwrap_or(domain);
                if let Some(d) = intake.rewrite_from_domain(list, now) {
                    out = Some(d);
                }
            }
            out
        };
        match crate::inbound::from_rewrite::rewrite_domains(field, map) {
            Some(new) => msg.write(&new).await,
            None => msg.write(field).await,
        }
        msg.write(rest).await;
    }

    /// Takes what the header section told, as soon as it is over: accounting's header
    /// values and the `X-Virtual-MTA:` choice.
    fn headers_done(&mut self, msg: &mut Incoming<I::Content>) {
        msg.headers_done = true;
        msg.acct_headers = self.data.headers.captured();
        self.take_ids(msg);
        let header = self.fields.vmta.and_then(|k| self.data.headers.value(k));
        let Some(name) = header.or_else(|| self.pattern_vmta()) else {
            return;
        };
        if !self.ctx.intake.vmta_exists(&name) {
            msg.refuse(Refusal::UnknownVmta(name));
            return;
        }
        // Per-domain limits may differ under the chosen virtual MTA.
        let mut limit = self.rules.policy.max_message_size;
        let mut domain = String::new();
        for r in &self.txn.recipients {
            domain.clear();
            domain.push_str(r.domain());
            domain.make_ascii_lowercase();
            let rules = self.ctx.intake.recipient_rules(&domain, &name);
            limit = min_limit(limit, rules.max_message_size);
        }
        msg.limit = limit;
        if limit.is_some_and(|max| msg.size > max) {
            msg.refuse(Refusal::TooBig);
        }
        msg.vmta = Some(name);
    }

    /// The virtual MTA the source's `<pattern-list>` picks from the sender, the
    /// recipients and the headers it reads.
    fn pattern_vmta(&self) -> Option<String> {
        let list = self.rules.policy.pattern_list.as_deref()?;
        let values: Vec<(&str, String)> = self
            .fields
            .pattern
            .iter()
            .filter_map(|(name, k)| Some((name.as_str(), self.data.headers.value(*k)?)))
            .collect();
        let headers: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let rcpts: Vec<&str> = self
            .txn
            .recipients
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        let facts = config::Facts {
            mail_from: self.txn.mail_from.as_deref().unwrap_or(""),
            rcpts: &rcpts,
            headers: &headers,
        };
        self.ctx.intake.select_vmta(list, &facts)
    }

    /// The job id (`X-Job`, else the `jobid-header`, with the source's `jobid-prefix`) and
    /// the envelope id from `X-EnvId` (when MAIL gave no ENVID). A job id with spaces or
    /// control characters refuses the message: it would break accounting lines.
    fn take_ids(&mut self, msg: &mut Incoming<I::Content>) {
        let headers = &self.data.headers;
        let value = |k: Option<usize>| k.and_then(|k| headers.value(k));
        msg.env_id = value(self.fields.env_id).filter(|v| valid_id(v, 100));
        let Some(job) = value(self.fields.job).or_else(|| value(self.fields.job_header)) else {
            return;
        };
        let prefix = match self.rules.policy.jobid_prefix.as_deref() {
            Some("{auth}") => self.auth_user.as_deref().unwrap_or(""),
            other => other.unwrap_or(""),
        };
        let job = format!("{prefix}{job}");
        if valid_id(&job, MAX_JOB_ID) {
            msg.job_id = Some(job);
        } else {
            msg.refuse(Refusal::BadJobId);
        }
    }

    /// Replies to the end of data: stored (250), or why not.
    async fn finish(&mut self, mut msg: Incoming<I::Content>) {
        if let (Some(trace), Some(log)) = (msg.trace.take(), &self.log) {
            log.data_received(trace);
        }
        if !msg.headers_done && msg.content.is_some() {
            self.data.filtered.clear();
            self.data.headers.finish(&mut self.data.filtered);
            let tail = std::mem::take(&mut self.data.filtered);
            msg.write(&tail).await;
            self.data.filtered = tail;
            self.headers_done(&mut msg);
            self.write_held(&mut msg).await;
        }
        if let Some(why) = msg.refusal.take() {
            return self.refused(why);
        }
        let Some(content) = msg.content.take() else {
            return;
        };
        let envelope = self.envelope(&mut msg);
        let (recipients, bytes) = (envelope.recipients.len() as u64, envelope.size);
        match self.ctx.intake.store(envelope, content).await {
            Ok(id) => {
                self.ctx.stats.accepted(recipients, bytes);
                self.reply_fmt(format_args!("250 2.0.0 Ok: queued as {id}"));
            }
            Err(e) => self.refused(Refusal::Storage(e)),
        }
    }

    fn refused(&mut self, why: Refusal) {
        match why {
            Refusal::TooBig => {
                self.reply("552 5.3.4 Message size exceeds fixed maximum message size")
            }
            Refusal::Storage(e) => {
                tracing::warn!(target: LOG_TARGET, peer = %self.peer, "message not stored: {e}");
                self.reply(NO_STORAGE);
            }
            Refusal::BadJobId => self.reply(
                "550 5.6.0 Error: the job id has spaces or control characters, or is too long",
            ),
            Refusal::UnknownVmta(name) => {
                let name: String = name
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(64)
                    .collect();
                self.reply_fmt(format_args!(
                    "550 5.5.0 specified Virtual MTA '{name}' does not exist"
                ));
            }
        }
    }

    fn envelope(&mut self, msg: &mut Incoming<I::Content>) -> Envelope {
        let received_at = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut mail_from = self.txn.mail_from.take().unwrap_or_default();
        let vmta = msg
            .vmta
            .take()
            .unwrap_or_else(|| self.source_vmta().to_string());
        let lists = (self.rules.policy.rewrite_list.clone().into_iter())
            .chain(self.ctx.intake.vmta_rewrite_list(&vmta));
        for list in lists {
            if let Some(rewritten) = self.ctx.intake.rewrite_mail_from(&list, &mail_from) {
                mail_from = rewritten;
            }
        }
        Envelope {
            mail_from,
            recipients: std::mem::take(&mut self.txn.recipients),
            vmta,
            received_at,
            source_ip: Some(self.peer.ip()),
            size: msg.stored,
            env_id: self.txn.env_id.take().or(msg.env_id.take()),
            job_id: msg.job_id.take(),
            helo: self.helo.clone(),
            acct_headers: std::mem::take(&mut msg.acct_headers),
            auth_user: self.auth_user.clone(),
        }
    }
}

/// Longest job id accepted.
const MAX_JOB_ID: usize = 255;

/// An id that can stand in a CSV field and a log line as it is: printable, no spaces.
fn valid_id(id: &str, max: usize) -> bool {
    !id.is_empty() && id.len() <= max && id.chars().all(|c| !c.is_control() && !c.is_whitespace())
}
