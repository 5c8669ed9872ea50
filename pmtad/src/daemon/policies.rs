//! The running configuration plus the per-queue policies derived from it.
//!
//! `Config::queue` merges `<domain>` blocks per directive, which is too much work to repeat
//! per recipient; a queue's policy is computed once per configuration and shared. A reload
//! builds a new `Policies` (empty cache) and swaps it in whole, so no session or delivery ever
//! sees half of an old config and half of a new one.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use config::{Config, QueuePolicy};

/// The policies of one domain's queues, by virtual MTA.
type ByVmta = Vec<(String, Arc<QueuePolicy>)>;

/// One loaded configuration and its cache of queue policies.
#[derive(Debug)]
pub struct Policies {
    pub config: Config,
    /// Headers the accounting files' `header_NAME` columns capture at intake.
    pub wanted_headers: Arc<[String]>,
    /// The record types some `<acct-file>` takes. A record nobody takes is never built:
    /// building and handing one to the accounting thread is the costliest accounting work
    /// per recipient. (A queue's own `accounting-log` takes d, b and t on top.)
    acct_types: Vec<crate::acct::RecordType>,
    /// DKIM key rings of this configuration, built on first use per virtual MTA.
    pub keyrings: crate::delivery::dkim::KeyRings,
    /// The accounting settings of this configuration; its bounce-category engine is the one
    /// DSNs and `domain detail` use too (see [`Policies::bounce`]).
    pub acct: crate::acct::AcctConfig,
    /// Some domain may be queued under another name (`queue-to`, `<mx-rollup-list>`): only
    /// then does intake ask each recipient domain for its queue.
    pub merges: bool,
    /// Some virtual MTA or pool names a `cold-virtual-mta`.
    pub warmups: bool,
    /// domain -> [(vmta, policy)]: a domain has few virtual MTAs, so a short vector keyed by
    /// `&str` avoids building a `(String, String)` key per lookup.
    queues: RwLock<HashMap<String, ByVmta>>,
    /// `total-max-smtp-in` and the `<source-group>` limits, read per accepted connection.
    pub inbound_limits: Arc<crate::inbound::InboundLimits>,
}

/// The inbound limits a configuration sets (counts beyond `usize` mean unlimited).
fn inbound_limits(config: &Config) -> crate::inbound::InboundLimits {
    let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let groups = config.source_groups.values().map(|g| {
        let limit = crate::inbound::GroupLimit {
            max: g.max_smtp_in.map(n),
            reserved: n(g.reserved_smtp_in),
        };
        (g.name.clone(), limit)
    });
    crate::inbound::InboundLimits {
        total: n(config.total_max_smtp_in),
        groups: groups.collect(),
    }
}

impl Policies {
    /// Fails when the `<bounce-category-patterns>` do not compile as one set.
    pub fn new(config: Config) -> Result<Self, crate::acct::AcctError> {
        let acct = crate::acct::acct_config(&config)?;
        let wanted = acct.wanted_headers().unwrap_or_default();
        let mut acct_types: Vec<_> = acct.files.iter().flat_map(|f| f.records.clone()).collect();
        acct_types.sort_unstable();
        acct_types.dedup();
        let merges = !config.mx_rollups.is_empty() || config.uses_queue_to();
        let warmups = config
            .virtual_mtas
            .values()
            .any(|v| v.cold_virtual_mta.is_some())
            || config.pools.values().any(|p| p.cold_virtual_mta.is_some());
        Ok(Self {
            inbound_limits: Arc::new(inbound_limits(&config)),
            merges,
            warmups,
            wanted_headers: Arc::from(wanted),
            acct_types,
            config,
            keyrings: Default::default(),
            acct,
            queues: RwLock::new(HashMap::new()),
        })
    }

    /// The bounce-category engine: one per configuration, for every consumer.
    pub fn bounce(&self) -> &crate::bouncecat::BounceCategories {
        &self.acct.bounce
    }

    /// True when an accounting output takes records of type `t` for a queue whose
    /// per-domain accounting file is `domain_file`.
    pub fn wants_record(&self, t: crate::acct::RecordType, domain_file: bool) -> bool {
        use crate::acct::RecordType as R;
        self.acct_types.contains(&t)
            || (domain_file && matches!(t, R::Delivery | R::Bounce | R::Transient))
    }

    /// The effective policy of queue (`domain`, `vmta`); `domain` must be lower case.
    pub fn queue(&self, domain: &str, vmta: &str) -> Arc<QueuePolicy> {
        if let Some(p) = self.cached(domain, vmta) {
            return p;
        }
        let policy = Arc::new(self.config.queue(domain, vmta));
        let mut map = crate::locks::write(&self.queues);
        let list = map.entry(domain.to_string()).or_default();
        if let Some((_, p)) = list.iter().find(|(v, _)| v == vmta) {
            return p.clone();
        }
        list.push((vmta.to_string(), policy.clone()));
        policy
    }

    fn cached(&self, domain: &str, vmta: &str) -> Option<Arc<QueuePolicy>> {
        let map = crate::locks::read(&self.queues);
        let list = map.get(domain)?;
        list.iter().find(|(v, _)| v == vmta).map(|(_, p)| p.clone())
    }
}
