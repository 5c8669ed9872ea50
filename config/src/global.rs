//! [`Config`]: the resolved configuration and the questions the daemon asks it.

use crate::model::{
    AUTH_SOURCE, AcctFile, BounceCategoryRule, DEFAULT_VMTA, Delivery, DomainKey, EffectiveSetting,
    MxRollup, QueuePolicy, SmtpListener, SmtpPatternList, SmtpUser, SourceGroup, SourceHost,
    SourcePolicy, VirtualMta, VmtaPool,
};
use crate::queue::DomainIndex;
use crate::source::SourceIndex;
use crate::values::DomainPattern;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// A loaded, checked configuration. Cheap to share behind an `Arc`; immutable.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main file it was loaded from.
    pub path: PathBuf,
    /// `host-name` (None: use the system host name).
    pub host_name: Option<String>,
    /// `smtp-listener`s; `0/0:25` when the config names none.
    pub smtp_listeners: Vec<SmtpListener>,
    /// `spool DIR` / `<spool DIR>`, in file order; never empty.
    pub spool_dirs: Vec<PathBuf>,
    /// `min-free-space` of the first spool directory, in bytes (0: none).
    pub spool_min_free_space: u64,
    /// `completion-sync-delay`: how long a delivery outcome may stay unsynced in the spool.
    pub completion_sync_delay: std::time::Duration,
    /// `body-cache-size`: bytes of fresh messages kept in memory for delivery.
    pub body_cache_size: u64,
    pub control_socket: PathBuf,
    /// `name-server`s (empty: use /etc/resolv.conf).
    pub name_servers: Vec<SocketAddr>,
    pub log_file: PathBuf,
    /// `smtp-server-tls-certificate FILE`: certificate chain and key (PEM) for inbound STARTTLS.
    pub smtp_server_tls_certificate: Option<PathBuf>,
    /// `smtp-server-tls-allow-tlsv1.2` / `-tlsv1.3`: the versions inbound TLS negotiates.
    pub smtp_server_tls12: bool,
    pub smtp_server_tls13: bool,
    /// `smtp-server-tls-ciphers`: the TLS 1.2 suites inbound TLS offers (None: rustls's).
    pub smtp_server_tls_ciphers: Option<Vec<crate::CipherSuite>>,
    /// `smtp-server-tls-v1.3-ciphersuites`: the TLS 1.3 suites (None: rustls's).
    pub smtp_server_tls13_suites: Option<Vec<crate::CipherSuite>>,
    /// `<pattern-list>`s by name (virtual MTA selection at intake).
    pub pattern_lists: BTreeMap<String, crate::select::SelectList>,
    /// `<rewrite-list>`s by name (envelope sender rewriting at intake).
    pub rewrite_lists: BTreeMap<String, crate::rewrite::RewriteList>,
    /// `<smtp-user>`s by name.
    pub smtp_users: BTreeMap<String, SmtpUser>,
    /// `log-rotate N`: rotated generations of the main log kept.
    pub log_rotate: u64,
    /// `log-domain` with `%d` unexpanded; see [`Config::domain_log_path`].
    pub log_domain: Option<String>,
    pub postmaster: Option<String>,
    pub relay_domains: Vec<DomainPattern>,
    pub total_max_smtp_in: u64,
    /// `<source-group>`s by name (inbound connection limits shared by sources).
    pub source_groups: BTreeMap<String, SourceGroup>,
    pub total_max_smtp_out: u64,
    pub acct_files: Vec<AcctFile>,
    /// Global `domain-key`s (searched after virtual-MTA and pool keys).
    pub domain_keys: Vec<DomainKey>,
    /// Global `smtp-source-host`s, used by virtual MTAs that name none.
    pub source_hosts: Vec<SourceHost>,
    pub smtp_pattern_lists: BTreeMap<String, SmtpPatternList>,
    pub virtual_mtas: BTreeMap<String, VirtualMta>,
    pub pools: BTreeMap<String, VmtaPool>,
    /// The HTTP management interface (`http-*` directives).
    pub http: crate::http::HttpMgmt,
    /// The fleet (`cluster-redis-url`, `cluster-node-id`).
    pub cluster: crate::cluster::Cluster,
    pub(crate) domains: DomainIndex,
    pub(crate) sources: SourceIndex,
    /// `<bounce-category-patterns>` lines in file order; tried before the shipped set.
    pub bounce_category_patterns: Vec<BounceCategoryRule>,
    /// `<mx-rollup-list>` rollups in order of first appearance (the first match wins).
    pub mx_rollups: Vec<MxRollup>,
    /// `<bounce-processor>`, if configured.
    pub bounce_processor: Option<crate::processor::ReturnProcessor>,
    /// `<feedback-loop-processor>`, if configured.
    pub feedback_loop_processor: Option<crate::processor::ReturnProcessor>,
}

impl Config {
    /// The first spool directory.
    pub fn spool_dir(&self) -> &Path {
        &self.spool_dirs[0]
    }

    /// The effective settings of queue (domain, vmta). `vmta` may be `{default}`, a
    /// virtual MTA, or a pool name. Call once per queue and keep the result.
    pub fn queue(&self, domain: &str, vmta: &str) -> QueuePolicy {
        let domain = domain.to_lowercase();
        let pools = self.pools_of(vmta);
        self.domains.effective(&domain, vmta, &pools).policy()
    }

    /// Every per-queue setting with its value and origin (`default` or `file:line`).
    pub fn settings(&self, domain: &str, vmta: &str) -> Vec<EffectiveSetting> {
        let domain = domain.to_lowercase();
        let pools = self.pools_of(vmta);
        self.domains.effective(&domain, vmta, &pools).settings()
    }

    /// The policy for a feeder connecting from `ip`.
    pub fn source(&self, ip: IpAddr) -> SourcePolicy {
        self.sources.policy(ip, &[])
    }

    /// The policy for a feeder at `ip` on a listener bound to a named source.
    pub fn source_named(&self, ip: IpAddr, name: Option<&str>) -> SourcePolicy {
        self.sources.policy(ip, name.as_slice())
    }

    /// The `<source-group>` a connection from `ip` (reaching a listener with `source=NAME`)
    /// counts in. Cheaper than [`Config::source_named`]: the listener asks it per accepted
    /// connection, before any session exists.
    pub fn source_group_of(&self, ip: IpAddr, name: Option<&str>) -> Option<&SourceGroup> {
        let group = self.sources.group(ip, name)?;
        self.source_groups.get(group)
    }

    /// The policy for a feeder at `ip` that authenticated as `user`: the address's
    /// policy, the listener's named source, then the user's own `source` or, without one,
    /// `<source {auth}>` (PowerMTA's defaults for authenticated users).
    pub fn source_for_user(&self, ip: IpAddr, listener: Option<&str>, user: &str) -> SourcePolicy {
        let own = self.smtp_users.get(user).and_then(|u| u.source.as_deref());
        let mut names: Vec<&str> = listener.into_iter().collect();
        names.push(own.unwrap_or(AUTH_SOURCE));
        self.sources.policy(ip, &names)
    }

    /// Pools `vmta` belongs to (or `vmta` itself when it names a pool).
    fn pools_of(&self, vmta: &str) -> Vec<&str> {
        self.pools
            .values()
            .filter(|p| p.name == vmta || p.members.iter().any(|m| m == vmta))
            .map(|p| p.name.as_str())
            .collect()
    }

    /// True for `{default}`, a defined virtual MTA, or a defined pool.
    pub fn vmta_exists(&self, name: &str) -> bool {
        name == DEFAULT_VMTA
            || self.virtual_mtas.contains_key(name)
            || self.pools.contains_key(name)
    }

    /// The processor whose `<address-list>` has `address` (the feedback-loop processor
    /// first, when both list it).
    pub fn processor_for(&self, address: &str) -> Option<&crate::processor::ReturnProcessor> {
        let fbl = self.feedback_loop_processor.as_ref();
        let both = [fbl, self.bounce_processor.as_ref()];
        both.into_iter().flatten().find(|p| p.owns(address))
    }

    /// Whether any return-path processor is configured (outbound mail is then stamped).
    pub fn has_processor(&self) -> bool {
        self.bounce_processor.is_some() || self.feedback_loop_processor.is_some()
    }

    /// The rollup whose patterns the most-preferred MX `hosts` (and their `ips`) match.
    pub fn mx_rollup_for(&self, hosts: &[&str], ips: &[IpAddr]) -> Option<&MxRollup> {
        self.mx_rollups.iter().find(|r| r.matches(hosts, ips))
    }

    /// `cold-virtual-mta` of a virtual MTA, else of a pool it is in (or that it names).
    pub fn cold_vmta_of(&self, vmta: &str) -> Option<&str> {
        let own = self
            .virtual_mtas
            .get(vmta)
            .and_then(|v| v.cold_virtual_mta.as_deref());
        own.or_else(|| {
            self.pools_of(vmta)
                .into_iter()
                .find_map(|p| self.pools.get(p)?.cold_virtual_mta.as_deref())
        })
    }

    /// True when some `<domain>` block sets `queue-to`.
    pub fn uses_queue_to(&self) -> bool {
        self.domains
            .blocks
            .iter()
            .any(|b| b.entries.iter().any(|e| e.slot == crate::queue::QUEUE_TO))
    }

    pub fn vmta(&self, name: &str) -> Option<&VirtualMta> {
        self.virtual_mtas.get(name)
    }

    pub fn pool(&self, name: &str) -> Option<&VmtaPool> {
        self.pools.get(name)
    }

    pub fn smtp_pattern_list(&self, name: &str) -> Option<&SmtpPatternList> {
        self.smtp_pattern_lists.get(name)
    }

    /// The source hosts a virtual MTA's connections use (its own, else the global ones).
    pub fn source_hosts_of(&self, vmta: &str) -> &[SourceHost] {
        match self.virtual_mtas.get(vmta) {
            Some(v) if !v.source_hosts.is_empty() => &v.source_hosts,
            _ => &self.source_hosts,
        }
    }

    /// The EHLO name for a connection of `vmta` from `source`: the source host's name,
    /// else the virtual MTA's `host-name`, else the global one.
    pub fn ehlo_name<'a>(&'a self, vmta: &str, source: Option<&'a SourceHost>) -> Option<&'a str> {
        source
            .and_then(|s| s.host_name.as_deref())
            .or_else(|| {
                self.virtual_mtas
                    .get(vmta)
                    .and_then(|v| v.host_name.as_deref())
            })
            .or(self.host_name.as_deref())
    }

    /// The DKIM key for signing as `domain` from `vmta`: the first key whose domain equals
    /// or is a parent of `domain`, searching the virtual MTA, its pools, then global keys.
    pub fn dkim_key(&self, vmta: &str, domain: &str) -> Option<&DomainKey> {
        let domain = domain.to_lowercase();
        let own = self
            .virtual_mtas
            .get(vmta)
            .map(|v| v.domain_keys.as_slice())
            .unwrap_or(&[]);
        let pooled = self
            .pools_of(vmta)
            .into_iter()
            .filter_map(|p| self.pools.get(p));
        own.iter()
            .chain(pooled.flat_map(|p| p.domain_keys.iter()))
            .chain(self.domain_keys.iter())
            .find(|k| k.covers(&domain))
    }

    /// True when mail for `domain` is delivered on this host (`type pipe` / `local yes`,
    /// or `type discard`) for the default virtual MTA.
    pub fn is_local_domain(&self, domain: &str) -> bool {
        !matches!(self.queue(domain, DEFAULT_VMTA).delivery, Delivery::Smtp)
    }

    /// True when any source may send mail for `domain`: it matches a `relay-domain`,
    /// equals the `host-name`, or is a local domain.
    pub fn relays(&self, domain: &str) -> bool {
        let domain = domain.to_lowercase();
        self.relay_domains.iter().any(|p| p.matches(&domain))
            || self
                .host_name
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&domain))
            || self.is_local_domain(&domain)
    }

    /// `log-domain` with `%d` replaced by the domain.
    pub fn domain_log_path(&self, domain: &str) -> Option<PathBuf> {
        self.log_domain
            .as_ref()
            .map(|p| PathBuf::from(p.replace("%d", &domain.to_lowercase())))
    }

    /// Every distinct `accounting-log` file named in any `<domain>` block, in file order
    /// (so the accounting writer can open them all at start).
    pub fn domain_accounting_logs(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        let entries = self.domains.blocks.iter().flat_map(|b| b.entries.iter());
        for e in entries.filter(|e| e.slot == crate::queue::ACCOUNTING_LOG) {
            if let crate::setting::Value::Text(path) = &e.value {
                let path = PathBuf::from(path);
                if !out.contains(&path) {
                    out.push(path);
                }
            }
        }
        out
    }

    /// True when a `<domain>` block other than the catch-all `*`, a `relay-domain` or the
    /// `host-name` names `domain`: the config knows it by name (typo checks of pmtactl's
    /// patterns; every domain matches `*`).
    pub fn names_domain(&self, domain: &str) -> bool {
        let named = |p: &DomainPattern| !matches!(p, DomainPattern::Any) && p.matches(domain);
        self.domains.blocks.iter().any(|b| named(&b.pattern))
            || self.relay_domains.iter().any(named)
            || self
                .host_name
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(domain))
    }

    /// Patterns of every `<domain>` block, deduplicated, in file order (for listings).
    pub fn domain_patterns(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.domains
            .blocks
            .iter()
            .map(|b| b.pattern.to_string())
            .filter(|p| seen.insert(p.clone()))
            .collect()
    }
}
