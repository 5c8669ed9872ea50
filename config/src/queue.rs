//! Per-queue resolution: which `<domain>` blocks apply to (domain, virtual MTA), in what
//! order, and the typed [`QueuePolicy`] and `show settings` lines that result.
//!
//! Precedence, per directive, whatever the order in the file: scope first (a `<domain>`
//! inside the virtual MTA, then inside a pool holding it, then top level), then pattern
//! specificity (`*` < `[*.]x` < `*.x` < exact; longer suffixes beat shorter ones), then
//! file order among equals (later wins).

use crate::diag::Span;
use crate::model::{
    BounceUponNoMx, Delivery, DeliveryType, DkimAlgorithm, EffectiveSetting, Origin, QueuePolicy,
    TlsMode,
};
use crate::setting::Value;
use crate::table::{DIRECTIVES, DOMAIN, Status, idx, idx_in};
use crate::values::{DomainPattern, HostLevels, Rate};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// One directive inside a resolved block: which slot, its value, where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub slot: usize,
    pub value: Value,
    pub span: Span,
}

/// Where a `<domain>` block stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    Global,
    Pool(String),
    Vmta(String),
}

#[derive(Debug, Clone)]
pub(crate) struct DomainBlock {
    pub scope: Scope,
    pub pattern: DomainPattern,
    pub entries: Vec<Entry>,
    /// Made by `domain-macro` expansion: loses to the same pattern written out.
    pub from_macro: bool,
}

/// `<domain>` blocks indexed so a lookup touches only blocks that can match.
#[derive(Debug, Clone, Default)]
pub(crate) struct DomainIndex {
    pub blocks: Vec<DomainBlock>,
    exact: HashMap<String, Vec<usize>>,
    suffix: HashMap<String, Vec<usize>>,
    other: Vec<usize>,
}

impl DomainIndex {
    pub fn push(&mut self, block: DomainBlock) {
        let id = self.blocks.len();
        match &block.pattern {
            DomainPattern::Exact(d) => self.exact.entry(d.clone()).or_default().push(id),
            DomainPattern::Subdomains(s) | DomainPattern::SelfAndSubdomains(s) => {
                self.suffix.entry(s.clone()).or_default().push(id)
            }
            DomainPattern::Any | DomainPattern::IpLiteral(_) => self.other.push(id),
        }
        self.blocks.push(block);
    }

    /// Ids of the blocks whose pattern matches `domain` (any scope).
    fn matching(&self, domain: &str) -> Vec<usize> {
        let mut ids: Vec<usize> = self.exact.get(domain).cloned().unwrap_or_default();
        let mut rest = domain;
        loop {
            if let Some(list) = self.suffix.get(rest) {
                ids.extend(
                    list.iter()
                        .filter(|&&i| self.blocks[i].pattern.matches(domain)),
                );
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => break,
            }
        }
        ids.extend(
            self.other
                .iter()
                .filter(|&&i| self.blocks[i].pattern.matches(domain)),
        );
        ids
    }
}

/// The winning entry of each slot, with the order it was applied in.
pub(crate) struct Effective<'a> {
    slots: Vec<Option<(u32, &'a Entry)>>,
    next: u32,
}

impl<'a> Effective<'a> {
    pub fn new() -> Self {
        Effective {
            slots: vec![None; DIRECTIVES.len()],
            next: 0,
        }
    }

    /// Applies blocks from general to specific: later entries replace earlier ones.
    pub fn apply(&mut self, entries: impl Iterator<Item = &'a Entry>) {
        for entry in entries {
            self.slots[entry.slot] = Some((self.next, entry));
            self.next += 1;
        }
    }

    /// The explicit value of a slot (None when unset or cleared with `""`).
    pub fn explicit(&self, slot: usize) -> Option<&'a Value> {
        match self.slots[slot] {
            Some((_, e)) if e.value != Value::Cleared => Some(&e.value),
            _ => None,
        }
    }

    /// The value of a slot: explicit, else the table default.
    pub fn get(&self, slot: usize) -> &'a Value {
        self.explicit(slot).unwrap_or_else(|| default_of(slot))
    }

    pub fn origin(&self, slot: usize) -> Origin {
        match self.slots[slot] {
            Some((_, e)) => Origin::File {
                file: e.span.file.to_string(),
                line: e.span.line,
            },
            None => Origin::Default,
        }
    }

    fn order(&self, slot: usize) -> Option<u32> {
        self.slots[slot].map(|(o, _)| o)
    }
}

/// PowerMTA caps `connection-idle-timeout` at ten minutes; longer values are cut to it.
const MAX_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// Table defaults parsed once.
fn default_of(slot: usize) -> &'static Value {
    static DEFAULTS: OnceLock<Vec<Value>> = OnceLock::new();
    let all = DEFAULTS.get_or_init(|| {
        DIRECTIVES
            .iter()
            .map(|d| crate::setting::parse_default(d).unwrap_or(Value::Cleared))
            .collect()
    });
    &all[slot]
}

// Slots read when building a QueuePolicy (checked against the table at compile time).
const MAX_SMTP_OUT: usize = idx("max-smtp-out");
const MAX_SMTP_OUT_PER_IP: usize = idx("max-smtp-out-per-ip");
const CLUSTER_MAX_SMTP_OUT: usize = idx("cluster-max-smtp-out");
const CLUSTER_MSG_RATE: usize = idx("cluster-max-msg-rate");
const CLUSTER_CONNECT_RATE: usize = idx("cluster-max-connect-rate");
const SOURCE_IP_MAX_SMTP_OUT: usize = idx("source-ip-max-smtp-out");
const PIPELINE_DEPTH: usize = idx("smtp-pipeline-depth");
const IGNORE_PIPELINING: usize = idx("ignore-pipelining");
const DELIVERY_INTERVAL: usize = idx("delivery-interval");
const IDLE_TIMEOUT: usize = idx("connection-idle-timeout");
const SMTP_PORT: usize = idx("smtp-port");
const ROUTE: usize = idx("route");
const RESOLVE_TO: usize = idx("resolve-to");
pub(crate) const MAX_MESSAGE_SIZE: usize = idx_in("max-message-size", DOMAIN);
pub(crate) const REQUIRE_RDNS: usize = idx("require-rdns");
const DKIM_SIGN: usize = idx("dkim-sign");
const DKIM_IDENTITY: usize = idx("dkim-identity");
const DKIM_HEADERS: usize = idx("dkim-headers");
const DKIM_ALGORITHM: usize = idx("dkim-algorithm");
const TLS: usize = idx("tls");
const USE_STARTTLS: usize = idx("use-starttls");
const REQUIRE_STARTTLS: usize = idx("require-starttls");
pub(crate) const TYPE: usize = idx("type");
pub(crate) const COMMAND: usize = idx("mailbox-command");
const LOG_ENTRIES: usize = idx("log-entries");
pub(crate) const ACCOUNTING_LOG: usize = idx("accounting-log");
const RETRY_AFTER: usize = idx("retry-after");
const BOUNCE_AFTER: usize = idx("bounce-after");
const NOTIFY_OF_DELAY: usize = idx("notify-of-delay-every");
const MAX_MSG_PER_CONNECTION: usize = idx("max-msg-per-connection");
const MAX_MSG_RATE: usize = idx("max-msg-rate");
const MAX_ERRORS_PER_CONNECTION: usize = idx("max-errors-per-connection");
const MAX_CONNECT_RATE: usize = idx("max-connect-rate");
const MAX_RCPT: usize = idx("max-rcpt-per-transaction");
const CONNECT_TIMEOUT: usize = idx("connect-timeout");
const GREETING_TIMEOUT: usize = idx("smtp-greeting-timeout");
const DATA_SEND_TIMEOUT: usize = idx("data-send-timeout");
const QUEUE_PRIORITY: usize = idx("queue-priority");
const BOUNCE_NO_MX: usize = idx("bounce-upon-no-mx");
pub(crate) const PATTERN_LIST: usize = idx("smtp-pattern-list");
const BACKOFF_MAX_SMTP_OUT: usize = idx("backoff-max-smtp-out");
const BACKOFF_MSG_RATE: usize = idx("backoff-max-msg-rate");
const BACKOFF_CONNECT_RATE: usize = idx("backoff-max-connect-rate");
const BACKOFF_RETRY_AFTER: usize = idx("backoff-retry-after");
const BACKOFF_TO_NORMAL: usize = idx("backoff-to-normal-after");
const BACKOFF_TO_NORMAL_DELIVERY: usize = idx("backoff-to-normal-after-delivery");
const REENABLE_SOURCE_IP: usize = idx("reenable-source-ip-after");
pub(crate) const QUEUE_TO: usize = idx("queue-to");
const DISABLE_MX_ROLLUP: usize = idx("disable-mx-rollup");
const MAX_COLD_MSG: usize = idx("max-cold-virtual-mta-msg");
pub(crate) const LOG_CONNECTIONS: usize = idx("log-connections");
pub(crate) const LOG_COMMANDS: usize = idx("log-commands");
pub(crate) const LOG_DATA: usize = idx("log-data");

pub(crate) fn as_bool(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

pub(crate) fn as_count(v: &Value) -> u64 {
    match v {
        Value::Count(n) => *n,
        _ => 0,
    }
}

pub(crate) fn as_limit(v: &Value) -> Option<u64> {
    match v {
        Value::Limit(n) | Value::Size(n) => *n,
        _ => None,
    }
}

fn as_duration(v: &Value) -> Duration {
    match v {
        Value::Duration(d) => *d,
        _ => Duration::ZERO,
    }
}

fn as_durations(v: &Value) -> Vec<Duration> {
    match v {
        Value::Durations(d) => d.clone(),
        _ => Vec::new(),
    }
}

pub(crate) fn as_rate(v: &Value) -> Option<Rate> {
    match v {
        Value::Rate(r) => *r,
        _ => None,
    }
}

pub(crate) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

fn as_hosts(v: &Value) -> Option<HostLevels> {
    match v {
        Value::Hosts(h) => Some(h.clone()),
        _ => None,
    }
}

fn as_ip(v: &Value) -> Option<IpAddr> {
    match v {
        Value::Ip(ip) => Some(*ip),
        _ => None,
    }
}

impl Effective<'_> {
    /// `tls`, `use-starttls` and `require-starttls` combined in the order they applied.
    pub fn tls(&self) -> (TlsMode, Origin) {
        let mut slots = [TLS, USE_STARTTLS, REQUIRE_STARTTLS];
        slots.sort_by_key(|s| self.order(*s));
        let mut mode = TlsMode::Optional;
        let mut origin = Origin::Default;
        for slot in slots {
            let Some(value) = self.explicit(slot) else {
                continue;
            };
            mode = match (slot, value) {
                (TLS, Value::Tls(m)) => *m,
                (USE_STARTTLS, Value::Bool(false)) => TlsMode::No,
                (USE_STARTTLS, Value::Bool(true)) if mode == TlsMode::No => TlsMode::Optional,
                (REQUIRE_STARTTLS, Value::Bool(true)) => TlsMode::Required,
                (REQUIRE_STARTTLS, Value::Bool(false)) if mode == TlsMode::Required => {
                    TlsMode::Optional
                }
                _ => mode,
            };
            origin = self.origin(slot);
        }
        (mode, origin)
    }

    fn delivery(&self) -> Delivery {
        match self.get(TYPE) {
            Value::Delivery(DeliveryType::Pipe) => Delivery::Local {
                argv: self
                    .explicit(COMMAND)
                    .and_then(as_text)
                    .map(|c| c.split_whitespace().map(String::from).collect())
                    .unwrap_or_default(),
            },
            Value::Delivery(DeliveryType::Discard) => Delivery::Discard,
            _ => Delivery::Smtp,
        }
    }

    /// The typed policy from the merged slots.
    pub fn policy(&self) -> QueuePolicy {
        let max_msg_rate = as_rate(self.get(MAX_MSG_RATE));
        let max_connect_rate = as_rate(self.get(MAX_CONNECT_RATE));
        let depth = if as_bool(self.get(IGNORE_PIPELINING)) {
            0
        } else {
            as_count(self.get(PIPELINE_DEPTH))
        };
        QueuePolicy {
            max_smtp_out: as_count(self.get(MAX_SMTP_OUT)),
            max_smtp_out_per_ip: as_limit(self.get(MAX_SMTP_OUT_PER_IP)),
            cluster_max_smtp_out: as_limit(self.get(CLUSTER_MAX_SMTP_OUT)),
            cluster_max_msg_rate: as_rate(self.get(CLUSTER_MSG_RATE)),
            cluster_max_connect_rate: as_rate(self.get(CLUSTER_CONNECT_RATE)),
            source_ip_max_smtp_out: match self.get(SOURCE_IP_MAX_SMTP_OUT) {
                Value::SourceIpLimit(net, n) => Some((*net, *n)),
                _ => None,
            },
            smtp_pipeline_depth: depth,
            delivery_interval: as_duration(self.get(DELIVERY_INTERVAL)),
            connection_idle_timeout: as_duration(self.get(IDLE_TIMEOUT)).min(MAX_IDLE_TIMEOUT),
            smtp_port: match self.get(SMTP_PORT) {
                Value::Port(p) => *p,
                _ => 25,
            },
            route: as_hosts(self.get(ROUTE)),
            resolve_to: as_ip(self.get(RESOLVE_TO)),
            max_message_size: as_limit(self.get(MAX_MESSAGE_SIZE)),
            require_rdns: as_bool(self.get(REQUIRE_RDNS)),
            dkim_sign: as_bool(self.get(DKIM_SIGN)),
            dkim_identity: as_text(self.get(DKIM_IDENTITY))
                .unwrap_or_else(|| "sender-or-from".into()),
            dkim_headers: match self.get(DKIM_HEADERS) {
                Value::Words(w) => w.clone(),
                _ => Vec::new(),
            },
            dkim_algorithm: match self.get(DKIM_ALGORITHM) {
                Value::Algorithm(a) => *a,
                _ => DkimAlgorithm::RsaSha256,
            },
            tls: self.tls().0,
            delivery: self.delivery(),
            log_entries: as_bool(self.get(LOG_ENTRIES)),
            accounting_log: as_text(self.get(ACCOUNTING_LOG)).map(PathBuf::from),
            retry_after: as_durations(self.get(RETRY_AFTER)),
            bounce_after: as_duration(self.get(BOUNCE_AFTER)),
            max_errors_per_connection: as_limit(self.get(MAX_ERRORS_PER_CONNECTION)),
            max_msg_per_connection: Some(as_count(self.get(MAX_MSG_PER_CONNECTION)))
                .filter(|n| *n > 0),
            max_msg_rate,
            max_connect_rate,
            max_rcpt_per_transaction: as_count(self.get(MAX_RCPT)).max(1),
            connect_timeout: as_duration(self.get(CONNECT_TIMEOUT)),
            smtp_greeting_timeout: as_duration(self.get(GREETING_TIMEOUT)),
            data_send_timeout: as_duration(self.get(DATA_SEND_TIMEOUT)),
            queue_priority: match self.get(QUEUE_PRIORITY) {
                Value::Priority(p) => *p,
                _ => 50,
            },
            bounce_upon_no_mx: match self.get(BOUNCE_NO_MX) {
                Value::NoMx(b) => *b,
                _ => BounceUponNoMx::No,
            },
            smtp_pattern_list: as_text(self.get(PATTERN_LIST)),
            backoff_max_smtp_out: as_count(self.get(BACKOFF_MAX_SMTP_OUT)),
            backoff_max_msg_rate: self
                .explicit(BACKOFF_MSG_RATE)
                .map_or(max_msg_rate, as_rate),
            backoff_max_connect_rate: self
                .explicit(BACKOFF_CONNECT_RATE)
                .map_or(max_connect_rate, as_rate),
            backoff_retry_after: as_durations(self.get(BACKOFF_RETRY_AFTER)),
            backoff_to_normal_after: match self.get(BACKOFF_TO_NORMAL) {
                Value::MaybeDuration(d) => *d,
                _ => None,
            },
            backoff_to_normal_after_delivery: as_bool(self.get(BACKOFF_TO_NORMAL_DELIVERY)),
            reenable_source_ip_after: match self.get(REENABLE_SOURCE_IP) {
                Value::MaybeDuration(d) => *d,
                _ => None,
            },
            queue_to: self
                .explicit(QUEUE_TO)
                .and_then(as_text)
                .map(|t| t.to_lowercase()),
            disable_mx_rollup: as_bool(self.get(DISABLE_MX_ROLLUP)),
            max_cold_virtual_mta_msg: match self.get(MAX_COLD_MSG) {
                Value::Counts(c) => c.clone(),
                _ => Vec::new(),
            },
            notify_of_delay_every: match self.get(NOTIFY_OF_DELAY) {
                Value::MaybeDuration(d) => d.filter(|d| !d.is_zero()),
                _ => None,
            },
            log_connections: as_bool(self.get(LOG_CONNECTIONS)),
            log_commands: as_bool(self.get(LOG_COMMANDS)),
            log_data: as_bool(self.get(LOG_DATA)),
        }
    }

    /// Every per-queue setting as `show settings` prints it, in table order.
    pub fn settings(&self) -> Vec<EffectiveSetting> {
        let mut out = Vec::new();
        for (slot, def) in DIRECTIVES.iter().enumerate() {
            let shown = def.scopes & DOMAIN != 0
                && def.status == Status::Implemented
                && ![USE_STARTTLS, REQUIRE_STARTTLS].contains(&slot);
            if !shown {
                continue;
            }
            let (value, origin) = self.shown_value(slot);
            out.push(EffectiveSetting {
                name: def.name.to_string(),
                value,
                origin,
            });
        }
        out
    }

    fn shown_value(&self, slot: usize) -> (String, Origin) {
        match slot {
            TLS => {
                let (mode, origin) = self.tls();
                (mode.to_string(), origin)
            }
            BACKOFF_MSG_RATE | BACKOFF_CONNECT_RATE if self.explicit(slot).is_none() => {
                let base = if slot == BACKOFF_MSG_RATE {
                    MAX_MSG_RATE
                } else {
                    MAX_CONNECT_RATE
                };
                (self.get(base).to_string(), self.origin(base))
            }
            _ => (self.get(slot).to_string(), self.origin(slot)),
        }
    }
}

/// Sort key of a matching block: (scope rank, pattern specificity, explicit, file order).
type Rank = (u8, (u8, usize), bool, usize);

/// Scope rank: top level 0, pool 1, the virtual MTA itself 2.
fn scope_rank(scope: &Scope, vmta: &str, pools: &[&str]) -> Option<u8> {
    match scope {
        Scope::Global => Some(0),
        Scope::Pool(p) if pools.contains(&p.as_str()) => Some(1),
        Scope::Vmta(v) if v == vmta => Some(2),
        _ => None,
    }
}

impl DomainIndex {
    /// The merged slots of queue (domain, vmta); `pools` are the pools holding vmta.
    pub fn effective(&self, domain: &str, vmta: &str, pools: &[&str]) -> Effective<'_> {
        let mut ranked: Vec<(Rank, usize)> = self
            .matching(domain)
            .into_iter()
            .filter_map(|id| {
                let b = &self.blocks[id];
                let rank = scope_rank(&b.scope, vmta, pools)?;
                Some(((rank, b.pattern.specificity(), !b.from_macro, id), id))
            })
            .collect();
        ranked.sort_unstable_by_key(|(key, _)| *key);
        let mut eff = Effective::new();
        for (_, id) in ranked {
            eff.apply(self.blocks[id].entries.iter());
        }
        eff
    }
}
