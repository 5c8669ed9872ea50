//! `<source>` resolution: the policy for a feeder's address merges every matching CIDR
//! block from the shortest prefix to the longest (so `10.0.0.5` inherits from `10/8`
//! what `10.0.0.0/24` does not set), `0/0` being the default, then a named source.

use crate::model::SourcePolicy;
use crate::queue::{
    Effective, Entry, LOG_COMMANDS, LOG_CONNECTIONS, LOG_DATA, REQUIRE_RDNS, as_bool, as_limit,
    as_text,
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

impl SourceIndex {
    pub fn has_named(&self, name: &str) -> bool {
        self.blocks
            .iter()
            .any(|b| b.key == SourceKey::Named(name.to_string()))
    }

    /// The merged policy for a client at `ip`, with a named source applied last.
    pub fn policy(&self, ip: IpAddr, named: Option<&str>) -> SourcePolicy {
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
        if let Some(name) = named {
            let key = SourceKey::Named(name.to_string());
            for block in self.blocks.iter().filter(|b| b.key == key) {
                eff.apply(block.entries.iter());
            }
        }
        build(&eff)
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
    }
}
