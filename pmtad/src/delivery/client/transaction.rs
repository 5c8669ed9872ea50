//! One message over an open session: MAIL, RCPT… (pipelined up to the configured depth),
//! DATA, the dot-stuffed content, the final reply; one [`Outcome`] per recipient.

use super::connect::SmtpConnection;
use super::dot_stuffing::{DotStuffer, PIECE};
use super::stream::RawReply;
use super::{SessionError, Step};
use crate::delivery::classify::{internal_reply, outcome_from_reply};
use crate::outcome::{FailureKind, Outcome, Reply};

impl SmtpConnection {
    /// Sends one message to `rcpts` (in several transactions when there are more than
    /// `max-rcpt-per-transaction`). `message` is the content as consecutive chunks (e.g. a
    /// DKIM-Signature header, then the spooled text), not dot-stuffed. Returns one outcome per
    /// recipient, in order.
    pub async fn send<R: AsRef<str>>(
        &mut self,
        mail_from: &str,
        rcpts: &[R],
        message: &[&[u8]],
    ) -> Vec<Outcome> {
        let size: u64 = message.iter().map(|c| c.len() as u64).sum();
        if let Some((reply, kind)) = self.refuse_early(mail_from, rcpts, size) {
            let by = self.info.dest.producer();
            return rcpts
                .iter()
                .map(|_| Outcome::Permanent {
                    reply: reply.clone(),
                    by: by.clone(),
                    kind,
                })
                .collect();
        }
        let mut out = Vec::with_capacity(rcpts.len());
        for chunk in rcpts.chunks(self.cfg.max_rcpt_per_transaction.max(1)) {
            let outcomes = self.transaction(mail_from, chunk, message, size).await;
            out.extend(outcomes);
        }
        out
    }

    /// Failures known before talking: the server's SIZE limit (what MAIL would refuse),
    /// addresses that would break the command syntax (pmtad's own refusal).
    fn refuse_early<R: AsRef<str>>(
        &self,
        from: &str,
        rcpts: &[R],
        size: u64,
    ) -> Option<(Reply, FailureKind)> {
        let limit = self.info.extensions.size.filter(|l| *l > 0);
        if let Some(limit) = limit.filter(|l| size > *l) {
            let text = format!("message size {size} exceeds the server's limit of {limit}");
            return Some((internal_reply(552, "5.3.4", text), FailureKind::Mail));
        }
        let bad = |a: &str| a.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'<' | b'>'));
        if bad(from) || rcpts.iter().any(|r| bad(r.as_ref())) {
            let text = "address contains forbidden characters";
            return Some((internal_reply(553, "5.1.3", text), FailureKind::Policy));
        }
        None
    }

    async fn transaction<R: AsRef<str>>(
        &mut self,
        from: &str,
        rcpts: &[R],
        message: &[&[u8]],
        size: u64,
    ) -> Vec<Outcome> {
        if self.broken {
            let e = SessionError::Closed(Step::EarlierTransaction);
            return self.all_transient(rcpts.len(), &e);
        }
        if self.needs_rset
            && let Err(e) = self.rset().await
        {
            self.broken = true;
            return self.all_transient(rcpts.len(), &e);
        }
        let cmds = self.envelope_commands(from, rcpts, message, size);
        match self.exchange(&cmds).await {
            Ok(replies) => self.finish(&replies, rcpts.len(), message).await,
            Err(e) => {
                self.broken = true;
                self.all_transient(rcpts.len(), &e)
            }
        }
    }

    /// MAIL FROM (with SIZE / BODY when offered), one RCPT TO per recipient, DATA.
    fn envelope_commands<R: AsRef<str>>(
        &self,
        from: &str,
        rcpts: &[R],
        message: &[&[u8]],
        size: u64,
    ) -> Vec<String> {
        let ext = &self.info.extensions;
        let mut mail = format!("MAIL FROM:<{from}>");
        if ext.size.is_some() {
            mail.push_str(&format!(" SIZE={size}"));
        }
        let eight_bit = message.iter().any(|c| c.iter().any(|b| *b >= 0x80));
        if eight_bit && ext.eight_bit_mime && !self.cfg.ignore_8bitmime {
            mail.push_str(" BODY=8BITMIME");
        }
        mail.push_str("\r\n");
        let mut cmds = Vec::with_capacity(rcpts.len() + 2);
        cmds.push(mail);
        cmds.extend(
            rcpts
                .iter()
                .map(|r| format!("RCPT TO:<{}>\r\n", r.as_ref())),
        );
        cmds.push("DATA\r\n".to_string());
        cmds
    }

    /// Commands in flight at once: the configured depth when the server offers PIPELINING.
    fn depth(&self) -> usize {
        match self.cfg.pipeline_depth {
            d if d >= 2 && self.info.extensions.pipelining => d,
            _ => 1,
        }
    }

    /// Sends the envelope commands, keeping at most `depth` unanswered (RFC 2920); one write
    /// per group. One at a time, it stops after a refused MAIL and skips DATA when no
    /// recipient was accepted. Returns the replies read, in command order.
    async fn exchange(&mut self, cmds: &[String]) -> Result<Vec<RawReply>, SessionError> {
        let depth = self.depth();
        let t = self.cfg.command_timeout;
        let mut replies: Vec<RawReply> = Vec::with_capacity(cmds.len());
        let mut sent = 0;
        let mut batch = Vec::new();
        loop {
            batch.clear();
            while sent < cmds.len()
                && sent - replies.len() < depth
                && (depth > 1 || proceed(&replies, sent, cmds.len()))
            {
                batch.extend_from_slice(cmds[sent].as_bytes());
                sent += 1;
            }
            if !batch.is_empty() {
                self.io
                    .write(&batch, t, stage(sent - 1, cmds.len()))
                    .await?;
            }
            if replies.len() == sent {
                return Ok(replies);
            }
            let reply = self
                .io
                .read_reply(t, stage(replies.len(), cmds.len()))
                .await?;
            replies.push(reply);
        }
    }

    /// Turns the envelope replies into outcomes, sending the content when DATA got 354.
    async fn finish(&mut self, replies: &[RawReply], n: usize, message: &[&[u8]]) -> Vec<Outcome> {
        if replies.iter().any(|r| r.code == 421) {
            self.broken = true;
        }
        let data = replies.get(n + 1);
        let mail = &replies[0];
        if mail.code / 100 != 2 {
            self.abort(data).await;
            let refused = self.outcome(mail.reply(), false, FailureKind::Mail);
            return vec![refused; n];
        }
        let mut out: Vec<Option<Outcome>> = (0..n)
            .map(|i| self.rcpt_outcome(replies.get(i + 1)))
            .collect();
        let accepted = out.iter().filter(|o| o.is_none()).count();
        match data {
            Some(d) if d.code == 354 && accepted > 0 => {
                let result = self.content(message).await;
                let fill = self.data_outcome(result);
                out.iter_mut()
                    .filter(|o| o.is_none())
                    .for_each(|o| *o = Some(fill.clone()));
            }
            _ => {
                self.abort(data).await;
                let reply = data.map_or_else(not_attempted, |d| d.reply());
                let fill = self.outcome(reply, false, FailureKind::Data);
                out.iter_mut()
                    .filter(|o| o.is_none())
                    .for_each(|o| *o = Some(fill.clone()));
            }
        }
        out.into_iter()
            .map(|o| o.expect("every recipient has an outcome"))
            .collect()
    }

    /// `None` for an accepted recipient (its outcome comes from DATA).
    fn rcpt_outcome(&self, reply: Option<&RawReply>) -> Option<Outcome> {
        match reply {
            Some(r) if r.code / 100 == 2 => None,
            Some(r) => Some(self.outcome(r.reply(), false, FailureKind::Rcpt)),
            None => Some(self.outcome(not_attempted(), false, FailureKind::Rcpt)),
        }
    }

    /// The outcome of the content transfer for every accepted recipient.
    fn data_outcome(&mut self, result: Result<RawReply, SessionError>) -> Outcome {
        match result {
            Ok(reply) => {
                self.info.messages += 1;
                if reply.code == 421 {
                    self.broken = true;
                }
                self.outcome(reply.reply(), true, FailureKind::Data)
            }
            Err(e) => {
                self.broken = true;
                self.outcome(e.reply(), false, e.kind())
            }
        }
    }

    /// An outcome from this server at `kind`; a 2xx only counts as delivered after the
    /// final dot.
    fn outcome(&self, reply: Reply, final_reply: bool, kind: FailureKind) -> Outcome {
        let by = self.info.dest.producer();
        if reply.code / 100 == 2 && !final_reply {
            let text = format!("unexpected reply before the message was sent: {reply}");
            return Outcome::Transient {
                reply: internal_reply(451, "4.5.0", text),
                by,
                kind,
            };
        }
        outcome_from_reply(reply, by, kind)
    }

    /// Leaves a transaction that will not carry the message: end an unwanted data phase
    /// (a pipelined DATA that got 354 anyway) with an empty message, then RSET next time.
    async fn abort(&mut self, data: Option<&RawReply>) {
        self.needs_rset = true;
        if data.is_some_and(|d| d.code == 354) {
            // RFC 2920 §3.1: a server that accepted DATA without recipients gets an empty
            // message it must refuse.
            let t = self.cfg.command_timeout;
            let ok = self.io.write(b".\r\n", t, Step::Data).await.is_ok()
                && self.io.read_reply(t, Step::DataEnd).await.is_ok();
            self.broken |= !ok;
        }
    }

    /// Writes the dot-stuffed content and the final dot; reads the final reply.
    async fn content(&mut self, message: &[&[u8]]) -> Result<RawReply, SessionError> {
        let send_t = self.cfg.data_send_timeout;
        let mut enc = DotStuffer::new();
        let mut trace = self.io.log().data_log();
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        for piece in message.iter().flat_map(|c| c.chunks(PIECE)) {
            enc.encode(piece, &mut buf);
            if buf.len() >= PIECE {
                if let Some(t) = trace.as_mut() {
                    t.feed(&buf);
                }
                self.io.write_data(&buf, send_t, Step::Data).await?;
                buf.clear();
            }
        }
        enc.finish(&mut buf);
        if let Some(t) = trace.as_mut() {
            t.feed(&buf);
        }
        self.io.write_data(&buf, send_t, Step::Data).await?;
        buf.clear();
        self.scratch = buf;
        if let Some(trace) = trace {
            self.io.log().data_sent(trace);
        }
        self.io
            .read_reply(self.cfg.data_end_timeout, Step::DataEnd)
            .await
    }

    /// Every recipient deferred by the session error `e` (at the step it names).
    fn all_transient(&self, n: usize, e: &SessionError) -> Vec<Outcome> {
        let outcome = Outcome::Transient {
            reply: e.reply(),
            by: self.info.dest.producer(),
            kind: e.kind(),
        };
        vec![outcome; n]
    }
}

/// One command at a time: MAIL first; RCPTs only after MAIL was accepted; DATA only when a
/// recipient was accepted; nothing after a 421.
fn proceed(replies: &[RawReply], next: usize, total: usize) -> bool {
    if replies.iter().any(|r| r.code == 421) {
        return false;
    }
    match next {
        0 => true,
        n if n + 1 == total => replies[1..].iter().any(|r| r.code / 100 == 2),
        _ => replies[0].code / 100 == 2,
    }
}

fn stage(index: usize, total: usize) -> Step {
    match index {
        0 => Step::Mail,
        i if i + 1 == total => Step::Data,
        _ => Step::Rcpt,
    }
}

fn not_attempted() -> Reply {
    internal_reply(
        451,
        "4.4.2",
        "not attempted: the transaction ended before this command",
    )
}
