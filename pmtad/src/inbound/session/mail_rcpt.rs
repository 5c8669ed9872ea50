//! The mail transaction: MAIL FROM and RCPT TO with the source and recipient-domain policy
//! checks (relaying, sizes, reverse DNS).

use tokio::io::{AsyncRead, AsyncWrite};

use super::{LOG_TARGET, Session, Step};
use crate::envelope::{DEFAULT_VMTA, RcptState, Recipient};
use crate::inbound::command::{MailParams, RcptParams};
use crate::inbound::intake::Intake;

/// The reply while the spool is full (RFC 3463: mail system full).
pub(crate) const NO_STORAGE: &str = "452 4.3.1 Insufficient system storage";

/// The transaction in progress; reset by RSET, EHLO, STARTTLS and after DATA.
#[derive(Debug, Default)]
pub(crate) struct Transaction {
    /// Reverse path; `Some("")` for the null sender.
    pub mail_from: Option<String>,
    pub recipients: Vec<Recipient>,
    /// SIZE= from MAIL FROM.
    pub declared_size: Option<u64>,
    pub env_id: Option<String>,
    /// Smallest `max-message-size` among the accepted recipients' domains.
    pub domain_limit: Option<u64>,
    /// Lower-cased domain of the recipient being checked (reused buffer).
    domain: String,
}

impl Transaction {
    pub(crate) fn reset(&mut self) {
        self.mail_from = None;
        self.recipients.clear();
        self.declared_size = None;
        self.env_id = None;
        self.domain_limit = None;
    }
}

/// The smaller of two optional limits.
pub(crate) fn min_limit(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A declared size over a limit (either may be absent).
fn exceeds(size: Option<u64>, limit: Option<u64>) -> bool {
    size.zip(limit).is_some_and(|(size, max)| size > max)
}

impl<I: Intake, IO: AsyncRead + AsyncWrite + Unpin> Session<I, IO> {
    /// The virtual MTA of mail from this source unless its header picks another.
    pub(super) fn source_vmta(&self) -> &str {
        self.rules
            .policy
            .default_virtual_mta
            .as_deref()
            .unwrap_or(DEFAULT_VMTA)
    }

    pub(super) async fn mail(&mut self, from: &str, params: MailParams<'_>) -> Step {
        if self.helo.is_none() {
            return self.refuse("503 5.5.1 Error: send HELO/EHLO first");
        }
        if self.txn.mail_from.is_some() {
            return self.refuse("503 5.5.1 Error: nested MAIL command");
        }
        if self.rules.policy.require_auth && self.auth_user.is_none() {
            return self.refuse("530 5.7.0 Error: authentication required");
        }
        if !self.ctx.intake.storage_available() {
            self.reply(NO_STORAGE);
            return Ok(());
        }
        if self.rules.policy.require_rdns && !self.rdns_ok().await? {
            return Ok(());
        }
        if exceeds(params.size, self.rules.policy.max_message_size) {
            return self.refuse("552 5.3.4 Message size exceeds fixed maximum message size");
        }
        self.txn.mail_from = Some(from.to_string());
        self.txn.declared_size = params.size;
        self.txn.env_id = params.env_id.map(str::to_string);
        self.reply("250 2.1.0 Ok");
        Ok(())
    }

    pub(super) async fn rcpt(&mut self, to: &str, params: RcptParams<'_>) -> Step {
        if self.txn.mail_from.is_none() {
            return self.refuse("503 5.5.1 Error: need MAIL command");
        }
        let max = self.ctx.limits.max_recipients;
        let max = self.rules.max_rcpt_per_message.map_or(max, |m| m.min(max));
        if self.txn.recipients.len() >= max {
            self.reply("452 4.5.3 Error: too many recipients");
            return Ok(());
        }
        let mut domain = std::mem::take(&mut self.txn.domain);
        domain.clear();
        match to.rsplit_once('@') {
            Some((_, d)) => domain.push_str(d),
            None => domain.push_str(&self.host),
        }
        domain.make_ascii_lowercase();
        let step = self.rcpt_checked(to, &domain, params).await;
        self.txn.domain = domain;
        step
    }

    async fn rcpt_checked(&mut self, to: &str, domain: &str, params: RcptParams<'_>) -> Step {
        let rules = self.ctx.intake.recipient_rules(domain, self.source_vmta());
        if !rules.accepted_without_relaying
            && !self.rules.policy.always_allow_relaying
            && !self.ctx.intake.processor_address(to)
        {
            return self.refuse("550 5.7.1 Error: relaying denied");
        }
        if exceeds(self.txn.declared_size, rules.max_message_size) {
            return self.refuse("552 5.3.4 Message size exceeds maximum for this domain");
        }
        if rules.require_rdns && !self.rdns_ok().await? {
            return Ok(());
        }
        self.txn.domain_limit = min_limit(self.txn.domain_limit, rules.max_message_size);
        let address = match to.contains('@') {
            true => to.to_string(),
            false => format!("{to}@{}", self.host),
        };
        self.txn.recipients.push(Recipient {
            address,
            orcpt: params.orcpt.map(str::to_string),
            state: RcptState::Pending,
            notify: params.notify.unwrap_or_default(),
        });
        self.reply("250 2.1.5 Ok");
        Ok(())
    }

    /// Whether the client has forward-confirmed reverse DNS; replies with the refusal when
    /// not. The lookup is done once per session.
    async fn rdns_ok(&mut self) -> Result<bool, super::Stop> {
        if self.rdns.is_none() {
            match self.ctx.intake.rdns_confirmed(self.peer.ip()).await {
                Ok(confirmed) => self.rdns = Some(confirmed),
                Err(e) => {
                    tracing::warn!(target: LOG_TARGET, peer = %self.peer, "{e}");
                    self.reply("450 4.7.25 Client host rejected: reverse DNS lookup failed");
                    return Ok(false);
                }
            }
        }
        if self.rdns == Some(true) {
            return Ok(true);
        }
        self.refuse("550 5.7.25 Client host rejected: no confirmed reverse DNS")?;
        Ok(false)
    }
}
