//! `<source>` resolution: the policy for a feeder's address merges every matching CIDR
//! block from the shortest prefix to the longest (so `10.0.0.5` inherits from `10/8`
//! what `10.0.0.0/24` does not set), `0/0` being the default, then a named source.

use crate::model::SourcePolicy;
use crate::queue::{
    Effective, Entry, LOG_COMMANDS, LOG_CONNECTIONS, LOG_DATA, REQUIRE_RDNS, as_bool, as_limit,
    as_rate, as_text,
};
use crate::table::{SOURCE, idx, idx_in};
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceKey {
    Cidr(IpNet),
    Named(String),
}

#[derive(Debug, Clone)]
pub(crate) struct SourceBlock {
    pub key: SourceKey,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SourceIndex {
    pub blocks: Vec<SourceBlock>,
}

/// The `<source>` row of `max-message-size` (its default differs from `<domain>`'s).
const MAX_MESSAGE_SIZE: usize = idx_in("max-message-size", SOURCE);
const ALWAYS_ALLOW_RELAYING: usize = idx("always-allow-relaying");
const SMTP_SERVICE: usize = idx("smtp-service");
const DEFAULT_VMTA: usize = idx("default-virtual-mta");
const PROCESS_X_VMTA: usize = idx("process-x-virtual-mta");
const ADD_RECEIVED: usize = idx("add-received-header");
const HIDE_SOURCE: usize = idx("hide-message-source");
const CHECK_IPREV: usize = idx("check-iprev-inbound");
const REJECT_IPREV_FAIL: usize = idx("reject-iprev-check-fail");
const ALLOW_AUTH: usize = idx("allow-auth");
const REQUIRE_AUTH: usize = idx("require-auth");
const ALLOW_PLAIN_AUTH: usize = idx("allow-unencrypted-plain-auth");
const TLS_BEFORE_AUTH: usize = idx("require-starttls-before-auth");
const AUTH_FAILURE_RATE: usize = idx("smtp-max-auth-failure-rate");
const ALLOW_STARTTLS: usize = idx("allow-starttls");
const PROCESS_X_JOB: usize = idx("process-x-job");
const RETAIN_X_JOB: usize = idx("retain-x-job");
const JOBID_HEADER: usize = idx("jobid-header");
const JOBID_PREFIX: usize = idx("jobid-prefix");
const PROCESS_X_ENVID: usize = idx("process-x-envid");
const SELECT_LIST: usize = idx("pattern-list");
const REWRITE_LIST: usize = idx_in("rewrite-list", SOURCE);
const SOURCE_GROUP: usize = idx("source-group");
pub(crate) const REQUIRE_STARTTLS: usize = idx_in("require-starttls", SOURCE);

impl SourceIndex {
    pub fn has_named(&self, name: &str) -> bool {
        self.blocks
            .iter()
            .any(|b| b.key == SourceKey::Named(name.to_string()))
    }

    /// The `source-group` of a client at `ip` (a listener's named source applied last), as
    /// [`SourceIndex::policy`] would merge it, without building the rest of the policy.
    pub fn group(&self, ip: IpAddr, named: Option<&str>) -> Option<&str> {
        let mut best: Option<(u8, &str)> = None;
        for b in &self.blocks {
            let SourceKey::Cidr(net) = &b.key else {
                continue;
            };
            if !net.contains(&ip) || best.is_some_and(|(len, _)| len > net.prefix_len()) {
                continue;
            }
            if let Some(g) = last_group(&b.entries) {
                best = Some((net.prefix_len(), g));
            }
        }
        let named = named.and_then(|name| {
            let key = SourceKey::Named(name.to_string());
            let blocks = self.blocks.iter().filter(|b| b.key == key);
            blocks.rev().find_map(|b| last_group(&b.entries))
        });
        named.or(best.map(|(_, g)| g)).filter(|g| !g.is_empty())
    }

    /// The merged policy for a client at `ip`, with named sources applied last, in order
    /// (a listener's `source=`, then an authenticated user's source).
    pub fn policy(&self, ip: IpAddr, named: &[&str]) -> SourcePolicy {
        let mut cidrs: Vec<(u8, usize)> = self
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match &b.key {
                SourceKey::Cidr(net) if net.contains(&ip) => Some((net.prefix_len(), i)),
                _ => None,
            })
            .collect();
        cidrs.sort_unstable();
        let mut eff = Effective::new();
        for (_, i) in cidrs {
            eff.apply(self.blocks[i].entries.iter());
        }
        for name in named {
            let key = SourceKey::Named(name.to_string());
            for block in self.blocks.iter().filter(|b| b.key == key) {
                eff.apply(block.entries.iter());
            }
        }
        build(&eff)
    }
}

/// The last `source-group` entry of a block.
fn last_group(entries: &[Entry]) -> Option<&str> {
    entries.iter().rev().find_map(|e| match &e.value {
        crate::setting::Value::Text(t) if e.slot == SOURCE_GROUP => Some(t.as_str()),
        _ => None,
    })
}

/// The policy of a client no `<source>` block names: every directive at its table default
/// (PowerMTA's), the one place those defaults are written.
impl Default for SourcePolicy {
    fn default() -> Self {
        build(&Effective::new())
    }
}

fn build(eff: &Effective<'_>) -> SourcePolicy {
    let iprev = as_bool(eff.get(CHECK_IPREV)) && as_bool(eff.get(REJECT_IPREV_FAIL));
    SourcePolicy {
        always_allow_relaying: as_bool(eff.get(ALWAYS_ALLOW_RELAYING)),
        smtp_service: as_bool(eff.get(SMTP_SERVICE)),
        max_message_size: as_limit(eff.get(MAX_MESSAGE_SIZE)),
        default_virtual_mta: as_text(eff.get(DEFAULT_VMTA)),
        process_x_virtual_mta: as_bool(eff.get(PROCESS_X_VMTA)),
        add_received_header: as_bool(eff.get(ADD_RECEIVED)),
        hide_message_source: as_bool(eff.get(HIDE_SOURCE)),
        require_rdns: as_bool(eff.get(REQUIRE_RDNS)) || iprev,
        log_connections: as_bool(eff.get(LOG_CONNECTIONS)),
        log_commands: as_bool(eff.get(LOG_COMMANDS)),
        log_data: as_bool(eff.get(LOG_DATA)),
        allow_auth: as_bool(eff.get(ALLOW_AUTH)),
        require_auth: as_bool(eff.get(REQUIRE_AUTH)),
        allow_unencrypted_plain_auth: as_bool(eff.get(ALLOW_PLAIN_AUTH)),
        require_starttls_before_auth: as_bool(eff.get(TLS_BEFORE_AUTH)),
        max_auth_failures: as_rate(eff.get(AUTH_FAILURE_RATE)).filter(|r| r.count > 0),
        allow_starttls: as_bool(eff.get(ALLOW_STARTTLS)),
        require_starttls: as_bool(eff.get(REQUIRE_STARTTLS)),
        process_x_job: as_bool(eff.get(PROCESS_X_JOB)),
        retain_x_job: as_bool(eff.get(RETAIN_X_JOB)),
        jobid_header: as_text(eff.get(JOBID_HEADER)).filter(|h| !h.is_empty()),
        jobid_prefix: as_text(eff.get(JOBID_PREFIX)).filter(|p| !p.is_empty()),
        process_x_envid: as_bool(eff.get(PROCESS_X_ENVID)),
        pattern_list: as_text(eff.get(SELECT_LIST)).filter(|p| !p.is_empty()),
        rewrite_list: as_text(eff.get(REWRITE_LIST)).filter(|p| !p.is_empty()),
        source_group: as_text(eff.get(SOURCE_GROUP)).filter(|g| !g.is_empty()),
    }
}
