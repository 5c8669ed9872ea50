//! DNS for delivery and intake: MX routing (RFC 5321 §5.1, RFC 7505), host addresses, and
//! forward-confirmed reverse DNS, over hickory-resolver.
//!
//! Answers are cached by hickory's response cache, which keeps positive answers for their TTL
//! and negative ones (NXDOMAIN / NODATA) for the SOA's negative TTL; errors such as SERVFAIL,
//! REFUSED or a timeout are never cached, so the next attempt asks again.

mod failure;
mod mx;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData};

pub use failure::DnsFailure;
pub use mx::MxTarget;

/// How long one query waits for an answer before it is retried (then reported temporary).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// At most this many PTR names are forward-checked for one address (RFC 8601 §3 suggests a
/// small bound so one IP cannot make us do unbounded lookups).
const MAX_PTR_NAMES: usize = 10;

/// The resolver could not be built (unreadable system configuration).
#[derive(Debug, thiserror::Error)]
#[error("DNS resolver setup: {0}")]
pub struct ResolverSetupError(#[from] NetError);

/// A caching stub resolver. Cheap to clone (clones share one cache and connection pool).
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Resolver {
    /// Uses the given servers (`name-server IP[:PORT], …`, UDP and TCP to each) with the hosts
    /// file off; an empty list means the system configuration (/etc/resolv.conf).
    pub fn new(name_servers: &[SocketAddr]) -> Result<Self, ResolverSetupError> {
        Self::with_timeout(name_servers, DEFAULT_TIMEOUT)
    }

    /// [`Resolver::new`] with a per-query timeout.
    pub fn with_timeout(
        name_servers: &[SocketAddr],
        timeout: Duration,
    ) -> Result<Self, ResolverSetupError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if name_servers.is_empty() {
            TokioResolver::builder(provider)?
        } else {
            let config = ResolverConfig::from_name_servers(
                name_servers.iter().map(|s| name_server(*s)).collect(),
            );
            TokioResolver::builder_with_config(config, provider)
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        if !name_servers.is_empty() {
            opts.use_hosts_file = ResolveHosts::Never;
        }
        Ok(Resolver {
            inner: builder.build()?,
        })
    }

    /// The hosts to try for `domain`, best first: MX hosts sorted by preference with equal
    /// preferences shuffled, or the domain itself as implicit MX when it has no MX records.
    pub async fn mx_targets(&self, domain: &str) -> Result<Vec<MxTarget>, DnsFailure> {
        let name = fqdn(domain)?;
        match self.inner.mx_lookup(name.clone()).await {
            Ok(lookup) => mx::targets_from_answers(domain, lookup.answers()),
            Err(e) if e.is_nx_domain() => Err(DnsFailure::NxDomain(domain.to_string())),
            Err(e) if e.is_no_records_found() => self.implicit_mx(domain, name).await,
            Err(e) => Err(temporary(domain, &e)),
        }
    }

    /// RFC 5321 §5.1: no MX records, so the domain's own A/AAAA records are the target.
    async fn implicit_mx(&self, domain: &str, name: Name) -> Result<Vec<MxTarget>, DnsFailure> {
        match self.lookup_ips(domain, name).await {
            Ok(_) => Ok(vec![MxTarget::implicit(domain)]),
            Err(DnsFailure::NxDomain(_)) => Err(DnsFailure::NoAddress(domain.to_string())),
            Err(e) => Err(e),
        }
    }

    /// The IPv4 and IPv6 addresses of `host` (an MX exchange, a route host).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        self.lookup_ips(host, fqdn(host)?).await
    }

    /// A/AAAA lookup; NXDOMAIN and NODATA both map to `NxDomain` (no address either way).
    async fn lookup_ips(&self, host: &str, name: Name) -> Result<Vec<IpAddr>, DnsFailure> {
        match self.inner.lookup_ip(name).await {
            Ok(ips) => {
                let ips: Vec<IpAddr> = ips.iter().collect();
                if ips.is_empty() {
                    Err(DnsFailure::NxDomain(host.to_string()))
                } else {
                    Ok(ips)
                }
            }
            Err(e) if e.is_no_records_found() => Err(DnsFailure::NxDomain(host.to_string())),
            Err(e) => Err(temporary(host, &e)),
        }
    }

    /// Forward-confirmed reverse DNS (used by `require-rdns`): true when a PTR name of `ip`
    /// resolves back to `ip`. No PTR, or no name that maps back, is `Ok(false)`; a lookup that
    /// failed temporarily is an error so the caller can answer 4xx instead of refusing.
    /// hickory answers loopback names itself (RFC 6761): any 127.0.0.0/8 or ::1 address has
    /// the PTR `localhost`, which maps back to 127.0.0.1 and ::1 only.
    pub async fn rdns_confirmed(&self, ip: IpAddr) -> Result<bool, DnsFailure> {
        let names = match self.inner.reverse_lookup(ip).await {
            Ok(lookup) => ptr_names(lookup.answers()),
            Err(e) if e.is_no_records_found() => return Ok(false),
            Err(e) => return Err(temporary(&ip.to_string(), &e)),
        };
        let mut last_err = None;
        for name in names.into_iter().take(MAX_PTR_NAMES) {
            match self.inner.lookup_ip(name.clone()).await {
                Ok(ips) if ips.iter().any(|a| a == ip) => return Ok(true),
                Ok(_) => {}
                Err(e) if e.is_no_records_found() => {}
                Err(e) => last_err = Some(temporary(&name.to_ascii(), &e)),
            }
        }
        last_err.map_or(Ok(false), Err)
    }

    /// Forgets every cached answer (for `pmtactl reload` / tests).
    pub fn clear_cache(&self) {
        self.inner.clear_cache();
    }
}

/// One configured server: UDP and TCP on the given port, negative answers trusted (it is the
/// operator's chosen recursive resolver).
fn name_server(addr: SocketAddr) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
}

/// An absolute name, so no search list applies; IDNs are converted to A-labels.
fn fqdn(domain: &str) -> Result<Name, DnsFailure> {
    let mut name =
        Name::from_utf8(domain).map_err(|_| DnsFailure::InvalidName(domain.to_string()))?;
    if domain.is_empty() || name.is_root() {
        return Err(DnsFailure::InvalidName(domain.to_string()));
    }
    name.set_fqdn(true);
    Ok(name)
}

fn temporary(name: &str, e: &NetError) -> DnsFailure {
    DnsFailure::Temporary {
        name: name.to_string(),
        reason: e.to_string(),
    }
}

fn ptr_names(answers: &[hickory_resolver::proto::rr::Record]) -> Vec<Name> {
    answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::PTR(ptr) => Some(ptr.0.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
