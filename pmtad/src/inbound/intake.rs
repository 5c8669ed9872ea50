//! What the SMTP server needs from the rest of the daemon, as one trait.
//!
//! The session never parses configuration nor touches the spool itself: the daemon implements
//! [`Intake`] over its current config (source and domain policy, virtual MTAs), its DNS
//! resolver and its spool. This keeps the protocol code testable against a simple collector
//! and lets the daemon swap config on reload without the sessions knowing.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use super::admission::InboundLimits;
pub use super::lockout::FailureRate;
pub use super::sasl::Credentials;
use crate::envelope::{Envelope, MessageId};

/// Policy of one source (client address, listener, authenticated user) as the session
/// applies it: the merged `<source>` policy as the config resolved it, plus the limits the
/// config does not set (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRules {
    /// The merged `<source>` policy, the config's typed values as they are.
    pub policy: config::SourcePolicy,
    /// `max-rcpt-per-message`; the listener's hard limit applies as well.
    pub max_rcpt_per_message: Option<usize>,
    /// Longest wait for a command line (421 4.4.2 after it).
    pub command_timeout: Duration,
    /// Longest wait for the next chunk of message data.
    pub data_timeout: Duration,
}

/// `smtp-command-timeout` and `smtp-data-timeout` are not directives yet (see the table):
/// PowerMTA's default for both.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(600);

impl SourceRules {
    /// The rules of a source with `policy`, other limits at their defaults.
    pub fn new(policy: config::SourcePolicy) -> Self {
        SourceRules {
            policy,
            max_rcpt_per_message: None,
            command_timeout: SMTP_TIMEOUT,
            data_timeout: SMTP_TIMEOUT,
        }
    }

    /// `smtp-max-auth-failure-rate` as the lockout counts it.
    pub fn max_auth_failures(&self) -> Option<FailureRate> {
        self.policy.max_auth_failures.map(|r| FailureRate {
            max: u32::try_from(r.count).unwrap_or(u32::MAX),
            per: r.per,
        })
    }
}

impl Default for SourceRules {
    /// A source no `<source>` block names (the directive table's defaults, PowerMTA's).
    fn default() -> Self {
        SourceRules::new(config::SourcePolicy::default())
    }
}

/// Policy of one recipient domain as seen at RCPT time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientRules {
    /// The domain is a `relay-domain`, a local domain or our own host name: any source may
    /// send to it. Other domains need `always-allow-relaying` (no open relay by default).
    pub accepted_without_relaying: bool,
    /// The domain's `max-message-size`, checked against SIZE= at RCPT and at end of DATA.
    pub max_message_size: Option<u64>,
    /// The domain's `require-rdns`: 550 5.7.25 unless the client's rDNS is confirmed.
    pub require_rdns: bool,
}

/// The spool could not take the message; the client is told `452 4.3.1` and may retry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("spool I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("spool unavailable: {0}")]
    Unavailable(String),
}

/// A DNS failure that is neither "has a name" nor "has none" (timeout, SERVFAIL).
#[derive(Debug, thiserror::Error)]
#[error("reverse DNS lookup failed: {0}")]
pub struct LookupError(pub String);

/// Where the content of one message goes while it arrives.
///
/// Chunks are the message as stored (dot-unstuffed, our Received header first, a processed
/// `X-Virtual-MTA:` header removed). Dropping a `Content` without passing it to
/// [`Intake::store`] discards the message (refused, oversize, client gone).
pub trait Content: Send + 'static {
    fn write(&mut self, chunk: &[u8]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The daemon side of the SMTP server: policy lookups (synchronous, read from the current
/// config) and storage (asynchronous, resolved only once durable).
pub trait Intake: Send + Sync + 'static {
    type Content: Content;

    /// Name for the banner, the EHLO reply and our Received header (`host-name`).
    fn host_name(&self) -> String;

    /// `<source>` rules for a client: the longest matching CIDR, or a named source bound to
    /// the listener address the client reached (`local`).
    fn source_policy(&self, peer: IpAddr, local: SocketAddr) -> SourceRules;

    /// Rules of recipient domain `domain` (lower-cased) for mail through virtual MTA `vmta`.
    fn recipient_rules(&self, domain: &str, vmta: &str) -> RecipientRules;

    /// Whether `name` is a configured virtual MTA or virtual MTA pool.
    fn vmta_exists(&self, name: &str) -> bool;

    /// Whether the client has forward-confirmed reverse DNS: a PTR name of `ip` that
    /// resolves back to `ip` (`pmtad::dns::Resolver::rdns_confirmed`). An error is a
    /// temporary failure (the client is told 450 and may retry).
    fn rdns_confirmed(&self, ip: IpAddr) -> impl Future<Output = Result<bool, LookupError>> + Send;

    /// The inbound connection limits in force and the `<source-group>` of a client at
    /// `peer` reaching listener address `local`, asked once per accepted connection before
    /// any session exists. `None`: the listener's own `max_sessions`, no groups.
    fn connection_limits(
        &self,
        peer: IpAddr,
        local: SocketAddr,
    ) -> Option<(Arc<InboundLimits>, Option<String>)> {
        let _ = (peer, local);
        None
    }

    /// Whether any user may log in (AUTH is offered only then).
    fn auth_available(&self) -> bool {
        false
    }

    /// Checks credentials; the user's name when they are good. An unknown user and a
    /// wrong password must cost the same and answer the same (`None`).
    fn authenticate(&self, creds: &Credentials) -> impl Future<Output = Option<String>> + Send {
        let _ = creds;
        std::future::ready(None)
    }

    /// `<source>` rules for a client that authenticated as `user` (its `source`, or
    /// `{auth}`, on top of the address's rules).
    fn auth_source_policy(&self, peer: IpAddr, local: SocketAddr, user: &str) -> SourceRules {
        let _ = user;
        self.source_policy(peer, local)
    }

    /// Header names the `<pattern-list>` `list` reads (captured for [`Intake::select_vmta`]).
    fn pattern_headers(&self, list: &str) -> Vec<String> {
        let _ = list;
        Vec::new()
    }

    /// The virtual MTA `<pattern-list>` `list` selects for a message (first matching rule).
    fn select_vmta(&self, list: &str, facts: &config::Facts<'_>) -> Option<String> {
        let _ = (list, facts);
        None
    }

    /// The sender `<rewrite-list>` `list` makes of `from` (`""` = null sender), if a rule
    /// matches.
    fn rewrite_mail_from(&self, list: &str, from: &str) -> Option<String> {
        let _ = (list, from);
        None
    }

    /// The domain `<rewrite-list>` `list`'s `from-domain` rules give a `From:` address at
    /// `domain`, if one matches.
    fn rewrite_from_domain(&self, list: &str, domain: &str) -> Option<String> {
        let _ = (list, domain);
        None
    }

    /// The `rewrite-list` of virtual MTA (or pool) `vmta`, applied after the source's.
    fn vmta_rewrite_list(&self, vmta: &str) -> Option<String> {
        let _ = vmta;
        None
    }

    /// Whether a message of a source with `rewrite-list` `source_list` may have its `From:`
    /// rewritten (that list, or any virtual MTA's, has `from-domain` rules): only then is
    /// the field held back until the header section is over.
    fn rewrites_from_header(&self, source_list: Option<&str>) -> bool {
        let _ = source_list;
        false
    }

    /// Told after each successful AUTH (the daemon counts sessions per user).
    fn authenticated(&self, peer: IpAddr, user: &str) {
        let _ = (peer, user);
    }

    /// Whether `address` is a bounce or feedback-loop processor mailbox: accepted from any
    /// client, without relaying rights (report senders are not feeders).
    fn processor_address(&self, address: &str) -> bool {
        let _ = address;
        false
    }

    /// Header names whose first value is captured into `Envelope::acct_headers` (the
    /// accounting files' `header_NAME` columns); read once per connection.
    fn wanted_headers(&self) -> Arc<[String]> {
        Arc::from([])
    }

    /// False while the daemon refuses new mail for lack of spool space: MAIL and DATA are
    /// answered `452 4.3.1` and the client may retry later.
    fn storage_available(&self) -> bool {
        true
    }

    /// Start receiving the content of a new message (called at DATA, before the 354).
    fn begin(&self) -> Result<Self::Content, StoreError>;

    /// Make the message durable; resolves only once it is (the 250 follows).
    fn store(
        &self,
        envelope: Envelope,
        content: Self::Content,
    ) -> impl Future<Output = Result<MessageId, StoreError>> + Send;
}
