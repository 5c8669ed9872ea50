//! The typed, resolved configuration the daemon reads: globals, virtual MTAs, pools,
//! accounting files, DKIM keys, pattern lists, and the per-queue / per-source policies.

use crate::diag::Span;
use crate::values::{DomainPattern, HostLevels, Rate};
use ipnet::IpNet;
use regex::Regex;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The virtual MTA name of mail that selected none.
pub const DEFAULT_VMTA: &str = "{default}";

/// The named source whose settings apply to authenticated sessions (PowerMTA's `{auth}`).
pub const AUTH_SOURCE: &str = "{auth}";

/// The password of an `<smtp-user>`. Neither `Debug` nor `Serialize` shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    /// As PowerMTA writes it: the password itself.
    Plain(String),
    /// An Argon2 hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$SALT$HASH`).
    Argon2(String),
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Password::Plain(_) => "Plain(<redacted>)",
            Password::Argon2(_) => "Argon2(<redacted>)",
        })
    }
}

impl Password {
    /// `$argon2id$…`, `$argon2i$…`, `$argon2d$…` are hashes; anything else is the password.
    pub fn parse(text: &str) -> Password {
        let hashed = ["$argon2id$", "$argon2i$", "$argon2d$"]
            .iter()
            .any(|p| text.starts_with(p));
        if hashed {
            Password::Argon2(text.to_string())
        } else {
            Password::Plain(text.to_string())
        }
    }
}

/// `<smtp-user NAME>`: a user that may log in with SMTP AUTH.
#[derive(Debug, Clone, Serialize)]
pub struct SmtpUser {
    pub name: String,
    #[serde(skip)]
    pub password: Password,
    /// `source NAME`: the named `<source>` of its sessions (else `{auth}`).
    pub source: Option<String>,
    pub span: Span,
}

/// `smtp-listener CIDR:PORT [source=NAME]` or `<smtp-listener IP:PORT>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpListener {
    /// `0/0` means every IPv4 address, `::/0` every IPv6 address.
    pub net: IpNet,
    pub port: u16,
    /// A named `<source>` whose policy applies to clients of this listener.
    pub source: Option<String>,
}

impl SmtpListener {
    /// The socket address to bind: the unspecified address for `0/0`, else the address.
    pub fn bind_addr(&self) -> SocketAddr {
        let ip = match self.net {
            IpNet::V4(n) if n.prefix_len() == 0 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpNet::V6(n) if n.prefix_len() == 0 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            n => n.addr(),
        };
        SocketAddr::new(ip, self.port)
    }
}

/// Algorithm of a DKIM private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyAlgorithm {
    Rsa,
    Ed25519,
}

/// `domain-key SELECTOR, DOMAIN, FILE`: the key was read and checked at load time.
#[derive(Clone, Serialize)]
pub struct DomainKey {
    pub selector: String,
    /// Signing domain, lower case; `*` matches any domain.
    pub domain: String,
    pub path: PathBuf,
    pub algorithm: KeyAlgorithm,
    /// The file as read (PEM).
    #[serde(skip)]
    pub pem: Vec<u8>,
    /// The DER of the key: PKCS#1 when `pkcs1`, else PKCS#8.
    #[serde(skip)]
    pub der: Vec<u8>,
    pub pkcs1: bool,
}

impl DomainKey {
    /// The key in the form rustls-pki-types / mail-auth take.
    pub fn private_key_der(&self) -> PrivateKeyDer<'static> {
        if self.pkcs1 {
            PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(self.der.clone()))
        } else {
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.der.clone()))
        }
    }

    /// True if this key may sign for `domain`: same domain, a parent of it, or `*`.
    pub fn covers(&self, domain: &str) -> bool {
        self.domain == "*"
            || domain == self.domain
            || (domain.ends_with(&self.domain)
                && domain.as_bytes().get(domain.len() - self.domain.len() - 1) == Some(&b'.'))
    }
}

impl fmt::Debug for DomainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainKey")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("path", &self.path)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// A local source address of a virtual MTA with its EHLO name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceHost {
    pub ip: IpAddr,
    /// From `smtp-source-host IP NAME`; else the virtual MTA's (or global) `host-name`.
    pub host_name: Option<String>,
}

/// `<virtual-mta NAME>`.
#[derive(Debug, Clone, Serialize)]
pub struct VirtualMta {
    pub name: String,
    /// Used round-robin per connection; empty = the global source hosts / OS choice.
    pub source_hosts: Vec<SourceHost>,
    pub host_name: Option<String>,
    /// Connections across all queues of this virtual MTA (None = unlimited).
    pub max_smtp_out: Option<u64>,
    /// Keys of this virtual MTA; searched before pool and global keys.
    pub domain_keys: Vec<DomainKey>,
    /// `cold-virtual-mta`: the virtual MTA warming up behind this one.
    pub cold_virtual_mta: Option<String>,
    /// `rewrite-list NAME`: applied at intake to mail assigned to this virtual MTA.
    pub rewrite_list: Option<String>,
    pub span: Span,
}

/// `<virtual-mta-pool NAME>`.
#[derive(Debug, Clone, Serialize)]
pub struct VmtaPool {
    pub name: String,
    /// Member virtual MTA names, used round-robin.
    pub members: Vec<String>,
    pub max_smtp_out: Option<u64>,
    pub domain_keys: Vec<DomainKey>,
    /// `cold-virtual-mta`: the virtual MTA warming up behind this pool.
    pub cold_virtual_mta: Option<String>,
    /// `rewrite-list NAME`: applied at intake to mail assigned to this pool.
    pub rewrite_list: Option<String>,
    pub span: Span,
}

/// An accounting record type of `records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RecordType {
    Delivery,
    Bounce,
    Transient,
    TransientQueue,
    Receipt,
    FeedbackLoop,
    RemoteBounce,
    RemoteStatus,
}

impl RecordType {
    /// The short code used in files and configs (`d`, `b`, `t`, `tq`, `r`, `f`, `rb`, `rs`).
    pub fn code(self) -> &'static str {
        match self {
            RecordType::Delivery => "d",
            RecordType::Bounce => "b",
            RecordType::Transient => "t",
            RecordType::TransientQueue => "tq",
            RecordType::Receipt => "r",
            RecordType::FeedbackLoop => "f",
            RecordType::RemoteBounce => "rb",
            RecordType::RemoteStatus => "rs",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "d" | "delivery" => RecordType::Delivery,
            "b" | "bounce" => RecordType::Bounce,
            "t" | "transient" => RecordType::Transient,
            "tq" | "transient-queue" => RecordType::TransientQueue,
            "r" | "receipt" => RecordType::Receipt,
            "f" | "feedback-loop" => RecordType::FeedbackLoop,
            "rb" | "remote-bounce" => RecordType::RemoteBounce,
            "rs" | "remote-status" => RecordType::RemoteStatus,
            _ => return None,
        })
    }
}

/// `record-fields TYPE *,!orcpt,header_X`: the column spec as written, item by item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFields {
    pub record: RecordType,
    /// `*` = all default fields, `!name` excludes, `header_NAME` adds a header column.
    pub fields: Vec<String>,
}

/// `<acct-file PATH>` or `<acct-file |COMMAND>`.
#[derive(Debug, Clone, Serialize)]
pub struct AcctFile {
    /// The file path; for a pipe, the block argument as written (`|COMMAND`), which names
    /// the block in `rotate acct` and in messages.
    pub path: PathBuf,
    /// `<acct-file |COMMAND>`: records go to this shell command's standard input.
    pub pipe: Option<String>,
    /// `retry-interval` (pipes): how long to wait before restarting a program that failed.
    pub retry_interval: Duration,
    /// `write-timeout` (pipes): a program that reads nothing for this long is restarted.
    pub write_timeout: Duration,
    /// `user-string`: the value of the `userString` column.
    pub user_string: Option<String>,
    /// `sync`: fsync the file after every batch of records.
    pub sync: bool,
    pub records: Vec<RecordType>,
    pub record_fields: Vec<RecordFields>,
    /// Roll over at this size (None = unlimited).
    pub max_size: Option<u64>,
    pub move_interval: Duration,
    pub move_to: Option<PathBuf>,
    /// None = never.
    pub delete_after: Option<Duration>,
    pub span: Span,
}

/// What a matching reply does to its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PatternAction {
    ModeBackoff,
    ModeNormal,
    BackoffToNormalAfter(Duration),
    BounceRcpt,
    BounceQueue,
    DeferQueue,
    SkipMx,
    DisableSourceIp,
    ReenableAfter(Duration),
}

/// `reply /REGEX/ ACTIONS`.
#[derive(Debug, Clone, Serialize)]
pub struct PatternRule {
    #[serde(serialize_with = "ser_regex")]
    pub regex: Regex,
    pub actions: Vec<PatternAction>,
    pub span: Span,
}

fn ser_regex<S: serde::Serializer>(r: &Regex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

/// `<smtp-pattern-list NAME>`: first matching rule wins.
#[derive(Debug, Clone, Serialize)]
pub struct SmtpPatternList {
    pub name: String,
    pub rules: Vec<PatternRule>,
}

impl SmtpPatternList {
    /// The first rule whose regex matches `reply` (the full reply text).
    pub fn matching(&self, reply: &str) -> Option<&PatternRule> {
        self.rules.iter().find(|r| r.regex.is_match(reply))
    }
}

/// `/REGEX/ CATEGORY` of `<bounce-category-patterns>`: the regex source (checked at load,
/// matched case-insensitively) and the category it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BounceCategoryRule {
    pub regex: String,
    pub category: String,
    pub span: Span,
}

/// One MX pattern of an `<mx-rollup-list>` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MxPattern {
    /// A host name pattern (`mx.example.net`, `*.example.net`, `[*.]example.net`).
    Host(DomainPattern),
    /// `rollup-by-ip`: an address or CIDR the MX hosts' addresses are matched against.
    Net(IpNet),
}

/// `NAME.rollup`: the patterns of its `mx` lines, every one of which must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MxRollup {
    /// Lower case, ends in `.rollup`.
    pub name: String,
    pub patterns: Vec<MxPattern>,
    pub span: Span,
}

impl MxRollup {
    /// True when every pattern matches one of `hosts` (the most-preferred MX host names,
    /// lower case, no trailing dot) or, for `rollup-by-ip` patterns, one of `ips`.
    pub fn matches(&self, hosts: &[&str], ips: &[IpAddr]) -> bool {
        !self.patterns.is_empty()
            && self.patterns.iter().all(|p| match p {
                MxPattern::Host(d) => hosts.iter().any(|h| d.matches(h)),
                MxPattern::Net(n) => ips.iter().any(|ip| n.contains(ip)),
            })
    }

    /// True when some pattern is matched against addresses (`rollup-by-ip`).
    pub fn by_ip(&self) -> bool {
        self.patterns.iter().any(|p| matches!(p, MxPattern::Net(_)))
    }
}

/// STARTTLS use for outbound delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TlsMode {
    /// Never STARTTLS.
    No,
    /// STARTTLS when offered; plain text when not offered or the handshake fails.
    Optional,
    /// STARTTLS always; no plain-text delivery (temporary failure instead).
    Required,
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::No => "no",
            TlsMode::Optional => "optional",
            TlsMode::Required => "required",
        })
    }
}

/// How a queue's mail is delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Delivery {
    Smtp,
    /// Run `argv` once per recipient with the message on stdin. `argv` is the command
    /// line split on white space (no shell); `$to $from $domain $user` expand per argument.
    Local {
        argv: Vec<String>,
    },
    /// Accept and drop (recorded as delivered).
    Discard,
}

/// The delivery type as written (`type`), before the command is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeliveryType {
    Smtp,
    Pipe,
    Discard,
}

impl fmt::Display for DeliveryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeliveryType::Smtp => "smtp",
            DeliveryType::Pipe => "pipe",
            DeliveryType::Discard => "discard",
        })
    }
}

/// `bounce-upon-no-mx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BounceUponNoMx {
    /// Fall back to the domain's A/AAAA records.
    No,
    /// Bounce at once.
    Yes,
    /// Try A/AAAA, bounce once the message has been queued this long.
    After(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DkimAlgorithm {
    RsaSha256,
    Ed25519Sha256,
}

impl fmt::Display for DkimAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DkimAlgorithm::RsaSha256 => "rsa-sha256",
            DkimAlgorithm::Ed25519Sha256 => "ed25519-sha256",
        })
    }
}

/// The effective settings of one queue (recipient domain, virtual MTA).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePolicy {
    pub max_smtp_out: u64,
    /// Per destination IP (None = unlimited).
    pub max_smtp_out_per_ip: Option<u64>,
    /// `cluster-max-smtp-out`: connections across the fleet (None = no fleet-wide limit).
    pub cluster_max_smtp_out: Option<u64>,
    /// `cluster-max-msg-rate`: recipients per interval across the fleet.
    pub cluster_max_msg_rate: Option<Rate>,
    /// `cluster-max-connect-rate`: new connections per interval across the fleet.
    pub cluster_max_connect_rate: Option<Rate>,
    /// `source-ip-max-smtp-out CIDR N`: per local source address in CIDR.
    pub source_ip_max_smtp_out: Option<(IpNet, u64)>,
    /// Commands in flight when the server offers PIPELINING; 0 and 1 mean none.
    /// `ignore-pipelining yes` forces 0.
    pub smtp_pipeline_depth: u64,
    pub delivery_interval: Duration,
    /// How long a connection whose queue has no due mail waits for more before QUIT
    /// (capped at 10 minutes). Reusing it saves a TCP connect, greeting and EHLO per
    /// message when mail trickles in as fast as it is delivered.
    pub connection_idle_timeout: Duration,
    pub smtp_port: u16,
    /// Smart hosts by preference level (None = the domain's MX hosts).
    pub route: Option<HostLevels>,
    pub resolve_to: Option<IpAddr>,
    pub max_message_size: Option<u64>,
    pub require_rdns: bool,
    pub dkim_sign: bool,
    pub dkim_identity: String,
    pub dkim_headers: Vec<String>,
    pub dkim_algorithm: DkimAlgorithm,
    pub tls: TlsMode,
    pub delivery: Delivery,
    pub log_entries: bool,
    pub accounting_log: Option<PathBuf>,
    /// Never empty; the last entry repeats.
    pub retry_after: Vec<Duration>,
    pub bounce_after: Duration,
    /// None = no limit.
    pub max_msg_per_connection: Option<u64>,
    /// `max-errors-per-connection` (None = unlimited).
    pub max_errors_per_connection: Option<u64>,
    pub max_msg_rate: Option<Rate>,
    pub max_connect_rate: Option<Rate>,
    pub max_rcpt_per_transaction: u64,
    pub connect_timeout: Duration,
    pub smtp_greeting_timeout: Duration,
    pub data_send_timeout: Duration,
    pub queue_priority: u8,
    pub bounce_upon_no_mx: BounceUponNoMx,
    pub smtp_pattern_list: Option<String>,
    pub backoff_max_smtp_out: u64,
    pub backoff_max_msg_rate: Option<Rate>,
    pub backoff_max_connect_rate: Option<Rate>,
    pub backoff_retry_after: Vec<Duration>,
    /// None = never.
    pub backoff_to_normal_after: Option<Duration>,
    /// `backoff-to-normal-after-delivery`: the first delivery ends backoff.
    pub backoff_to_normal_after_delivery: bool,
    /// `reenable-source-ip-after`: how long `disable-source-ip` lasts (None = for good).
    pub reenable_source_ip_after: Option<Duration>,
    /// `queue-to NAME`: the queue (lower case) this domain's mail joins.
    pub queue_to: Option<String>,
    /// `disable-mx-rollup`: never join an MX rollup queue.
    pub disable_mx_rollup: bool,
    /// `max-cold-virtual-mta-msg`: warm-up allowance per UTC day, by day of use (the last
    /// repeats); empty = none.
    pub max_cold_virtual_mta_msg: Vec<u64>,
    /// `notify-of-delay-every`: delay DSN cadence for NOTIFY=DELAY recipients (None = never).
    pub notify_of_delay_every: Option<Duration>,
    pub log_connections: bool,
    pub log_commands: bool,
    pub log_data: bool,
}

impl QueuePolicy {
    /// The wait before retry number `attempt` (0-based): the list's last entry repeats.
    pub fn retry_interval(&self, attempt: usize, backoff: bool) -> Duration {
        let list = if backoff {
            &self.backoff_retry_after
        } else {
            &self.retry_after
        };
        list.get(attempt)
            .or(list.last())
            .copied()
            .unwrap_or(Duration::from_secs(600))
    }

    /// True when commands may be pipelined (depth of at least 2).
    pub fn pipelining(&self) -> bool {
        self.smtp_pipeline_depth >= 2
    }
}

/// The effective policy for feeders from one address (merged `<source>` blocks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourcePolicy {
    pub always_allow_relaying: bool,
    pub smtp_service: bool,
    pub max_message_size: Option<u64>,
    pub default_virtual_mta: Option<String>,
    pub process_x_virtual_mta: bool,
    pub add_received_header: bool,
    pub hide_message_source: bool,
    /// `require-rdns yes`, or `check-iprev-inbound yes` with `reject-iprev-check-fail yes`.
    pub require_rdns: bool,
    pub log_connections: bool,
    pub log_commands: bool,
    pub log_data: bool,
    /// `allow-auth`: AUTH is offered (when users are configured).
    pub allow_auth: bool,
    /// `require-auth`: MAIL is refused until the client authenticated.
    pub require_auth: bool,
    pub allow_unencrypted_plain_auth: bool,
    pub require_starttls_before_auth: bool,
    /// `smtp-max-auth-failure-rate` (None: unlimited or 0).
    pub max_auth_failures: Option<Rate>,
    pub allow_starttls: bool,
    /// `require-starttls` in a `<source>`: nothing but EHLO/HELO/STARTTLS/NOOP/RSET/QUIT
    /// before TLS.
    pub require_starttls: bool,
    pub process_x_job: bool,
    pub retain_x_job: bool,
    pub jobid_header: Option<String>,
    pub jobid_prefix: Option<String>,
    pub process_x_envid: bool,
    /// `pattern-list NAME`: the `<pattern-list>` that picks the virtual MTA.
    pub pattern_list: Option<String>,
    /// `rewrite-list NAME`: the `<rewrite-list>` applied to envelope senders.
    pub rewrite_list: Option<String>,
    /// `source-group NAME`: the `<source-group>` whose inbound limits its connections count in.
    pub source_group: Option<String>,
}

/// `<source-group NAME>`: inbound connection limits shared by the sources naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceGroup {
    pub name: String,
    /// `max-smtp-in`: simultaneous connections of all its sources together (None: unlimited).
    pub max_smtp_in: Option<u64>,
    /// `reserved-smtp-in`: slots of `total-max-smtp-in` other sources may not take.
    pub reserved_smtp_in: u64,
    pub span: Span,
}

/// Where an effective setting came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Default,
    File { file: String, line: u32 },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { file, line } => write!(f, "{file}:{line}"),
        }
    }
}

/// One line of `show settings`: name, value in canonical form, origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveSetting {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// A `relay-domain` or local-domain pattern list entry.
pub type DomainPatterns = Vec<DomainPattern>;
