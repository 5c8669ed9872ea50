//! The daemon side of the SMTP server: policy from the running config, storage in the spool,
//! then the queues.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::envelope::{Envelope, MessageId};
use crate::inbound::{self, Credentials, LookupError, RecipientRules, SourceRules, StoreError};
use crate::spool::{ContentWriter, SpoolError};

use super::Shared;

/// [`inbound::Intake`] over the daemon's shared state.
#[derive(Clone)]
pub struct DaemonIntake {
    shared: Arc<Shared>,
    /// Round-robin position for virtual MTA pools.
    pool_turn: Arc<AtomicUsize>,
}

impl DaemonIntake {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            pool_turn: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A pool name becomes one of its members, round robin; a VMTA name stays as is.
    fn pick_member(&self, vmta: String) -> String {
        let policies = self.shared.policies();
        match policies.config.pool(&vmta) {
            Some(pool) if !pool.members.is_empty() => {
                let turn = self.pool_turn.fetch_add(1, Ordering::Relaxed);
                pool.members[turn % pool.members.len()].clone()
            }
            _ => vmta,
        }
    }
}

impl inbound::Content for ContentWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        ContentWriter::write(self, chunk).map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// A message's content on its way into the spool; a write that finds the disk full starts
/// the spool-full condition at once rather than at the next free-space check.
pub struct SpoolContent {
    writer: ContentWriter,
    shared: Arc<Shared>,
}

impl inbound::Content for SpoolContent {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.writer
            .write(chunk)
            .map_err(|e| store_error(&self.shared, e))
    }
}

impl inbound::Intake for DaemonIntake {
    type Content = SpoolContent;

    fn storage_available(&self) -> bool {
        !self.shared.space.refusing()
    }

    fn host_name(&self) -> String {
        self.shared.host_name()
    }

    fn source_policy(&self, peer: IpAddr, local: SocketAddr) -> SourceRules {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        SourceRules::new(cfg.source_named(peer, listener_source(cfg, local)))
    }

    fn connection_limits(
        &self,
        peer: IpAddr,
        local: SocketAddr,
    ) -> Option<(Arc<inbound::InboundLimits>, Option<String>)> {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        let group = cfg.source_group_of(peer, listener_source(cfg, local));
        let group = group.map(|g| g.name.clone());
        Some((policies.inbound_limits.clone(), group))
    }

    fn auth_available(&self) -> bool {
        !self.shared.policies().config.smtp_users.is_empty()
    }

    async fn authenticate(&self, creds: &Credentials) -> Option<String> {
        let policies = self.shared.policies();
        let good = super::users::check(&policies.config.smtp_users, creds).await;
        good.then(|| creds.user.clone())
    }

    fn auth_source_policy(&self, peer: IpAddr, local: SocketAddr, user: &str) -> SourceRules {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        SourceRules::new(cfg.source_for_user(peer, listener_source(cfg, local), user))
    }

    fn rewrite_mail_from(&self, list: &str, from: &str) -> Option<String> {
        let policies = self.shared.policies();
        policies.config.rewrite_lists.get(list)?.mail_from(from)
    }

    fn rewrite_from_domain(&self, list: &str, domain: &str) -> Option<String> {
        let policies = self.shared.policies();
        let list = policies.config.rewrite_lists.get(list)?;
        list.from_domain(domain).map(str::to_string)
    }

    fn vmta_rewrite_list(&self, vmta: &str) -> Option<String> {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        match cfg.vmta(vmta) {
            Some(v) => v.rewrite_list.clone(),
            None => cfg.pool(vmta)?.rewrite_list.clone(),
        }
    }

    fn rewrites_from_header(&self, source_list: Option<&str>) -> bool {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        let has_rules = |name: &str| {
            cfg.rewrite_lists
                .get(name)
                .is_some_and(|l| !l.from_domains.is_empty())
        };
        let vmta_lists = cfg
            .virtual_mtas
            .values()
            .filter_map(|v| v.rewrite_list.as_deref());
        let pool_lists = cfg.pools.values().filter_map(|p| p.rewrite_list.as_deref());
        source_list.is_some_and(has_rules) || vmta_lists.chain(pool_lists).any(has_rules)
    }

    fn pattern_headers(&self, list: &str) -> Vec<String> {
        let policies = self.shared.policies();
        let lists = &policies.config.pattern_lists;
        lists
            .get(list)
            .map(|l| l.header_names())
            .unwrap_or_default()
    }

    fn select_vmta(&self, list: &str, facts: &config::Facts<'_>) -> Option<String> {
        let policies = self.shared.policies();
        let list = policies.config.pattern_lists.get(list)?;
        list.select(facts).map(str::to_string)
    }

    fn authenticated(&self, peer: IpAddr, user: &str) {
        let user = crate::inbound::printable(user);
        self.shared
            .logs
            .event(format_args!("smtp: [{peer}] authenticated as {user}"));
    }

    fn recipient_rules(&self, domain: &str, vmta: &str) -> RecipientRules {
        let policies = self.shared.policies();
        let cfg = &policies.config;
        let q = policies.queue(domain, vmta);
        RecipientRules {
            accepted_without_relaying: cfg.relays(domain),
            max_message_size: q.max_message_size,
            require_rdns: q.require_rdns,
        }
    }

    fn processor_address(&self, address: &str) -> bool {
        let policies = self.shared.policies();
        policies.config.processor_for(address).is_some()
    }

    fn wanted_headers(&self) -> Arc<[String]> {
        self.shared.policies().wanted_headers.clone()
    }

    fn vmta_exists(&self, name: &str) -> bool {
        self.shared.policies().config.vmta_exists(name)
    }

    async fn rdns_confirmed(&self, ip: IpAddr) -> Result<bool, LookupError> {
        let resolver = self.shared.resolver();
        resolver
            .rdns_confirmed(ip)
            .await
            .map_err(|e| LookupError(e.to_string()))
    }

    fn begin(&self) -> Result<SpoolContent, StoreError> {
        Ok(SpoolContent {
            writer: self.shared.spool.content_writer(),
            shared: self.shared.clone(),
        })
    }

    async fn store(
        &self,
        mut envelope: Envelope,
        content: SpoolContent,
    ) -> Result<MessageId, StoreError> {
        envelope.vmta = self.pick_member(envelope.vmta);
        self.to_postmaster(&mut envelope);
        let content = content.writer.finish();
        let Some(envelope) =
            super::report_intercept::intake(&self.shared, envelope, &content).await
        else {
            return Ok(self.shared.returnpath.consumed_id());
        };
        let id = self
            .shared
            .spool
            .store(&envelope, content)
            .await
            .map_err(|e| store_error(&self.shared, e))?;
        self.shared.accepted(id, envelope).await;
        Ok(id)
    }
}

impl DaemonIntake {
    /// `RCPT TO:<postmaster>` (no domain, which RFC 5321 says every server must accept; the
    /// session qualifies it with this host's name) goes to the configured `postmaster`
    /// address; without one it stays addressed to postmaster at this host's name.
    fn to_postmaster(&self, envelope: &mut Envelope) {
        let policies = self.shared.policies();
        let Some(addr) = policies.config.postmaster.as_deref() else {
            return;
        };
        for r in &mut envelope.recipients {
            // Cheap test first: this runs for every accepted message.
            let Some(rest) = r.address.get(..10) else {
                continue;
            };
            if !rest.eq_ignore_ascii_case("postmaster") {
                continue;
            }
            let domain = r.address[10..].strip_prefix('@');
            if domain.is_none_or(|d| d.eq_ignore_ascii_case(&self.shared.host_name())) {
                r.address = addr.to_string();
            }
        }
    }
}

/// The session's view of a spool error; lack of space also starts the spool-full condition.
fn store_error(shared: &Shared, e: SpoolError) -> StoreError {
    if matches!(e, SpoolError::Full { .. }) {
        shared.check_space(true);
    }
    StoreError::Unavailable(e.to_string())
}

/// The named source of the listener a client reached, if it has one.
fn listener_source(cfg: &config::Config, local: SocketAddr) -> Option<&str> {
    cfg.smtp_listeners
        .iter()
        .find(|l| l.port == local.port() && l.net.contains(&local.ip()))
        .and_then(|l| l.source.as_deref())
}
