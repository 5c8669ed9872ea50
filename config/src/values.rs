//! Typed values of the config language: sizes, durations, rates, booleans, CIDRs,
//! host lists, IP literals, domain patterns, and their canonical printed forms.
//!
//! Parsers return [`Bad`] with a byte offset into the value so diagnostics can point at
//! the exact part that is wrong (`retry-after 10m,x,1h` points at `x`).

use ipnet::IpNet;
use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A value that did not parse: where in the value text, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub at: usize,
    pub msg: String,
}

pub(crate) type VResult<T> = Result<T, Bad>;

pub(crate) fn bad<T>(at: usize, msg: impl Into<String>) -> VResult<T> {
    Err(Bad {
        at,
        msg: msg.into(),
    })
}

/// `N/interval`: at most `count` events per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub count: u64,
    pub per: Duration,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.per.as_secs();
        let unit = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
            .into_iter()
            .find(|(n, _)| secs.is_multiple_of(*n) && secs >= *n);
        match unit {
            Some((n, u)) if secs == n => write!(f, "{}/{u}", self.count),
            Some((n, u)) => write!(f, "{}/{}{u}", self.count, secs / n),
            None => write!(f, "{}/{}s", self.count, secs),
        }
    }
}

/// Where a host spec points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Host {
    /// A name resolved by A/AAAA.
    Name(String),
    /// An IP literal `[1.2.3.4]` / `[IPv6:…]`: no DNS.
    Ip(IpAddr),
    /// `lookup-mx:other.domain`: use that domain's MX hosts.
    LookupMx(String),
}

/// One entry of `route` / `smtp-hosts`: a host and an optional port (else `smtp-port`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostPort {
    pub host: Host,
    pub port: Option<u16>,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Name(n) => write!(f, "{n}")?,
            Host::Ip(IpAddr::V4(ip)) => write!(f, "[{ip}]")?,
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[IPv6:{ip}]")?,
            Host::LookupMx(d) => write!(f, "lookup-mx:{d}")?,
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

/// Preference levels of hosts: levels are tried in order, hosts within a level round-robin.
pub type HostLevels = Vec<Vec<HostPort>>;

pub(crate) fn fmt_hosts(levels: &HostLevels) -> String {
    levels
        .iter()
        .map(|level| {
            level
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `yes|no|true|false|on|off`, any case.
pub(crate) fn parse_bool(s: &str) -> VResult<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => bad(
            0,
            format!("'{s}' is not a boolean (use yes|no|true|false|on|off)"),
        ),
    }
}

pub(crate) fn parse_u64(s: &str) -> VResult<u64> {
    s.parse::<u64>()
        .or_else(|_| bad(0, format!("'{s}' is not a non-negative whole number")))
}

/// A number, or `unlimited` (None).
pub(crate) fn parse_limit(s: &str) -> VResult<Option<u64>> {
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    parse_u64(s).map(Some).map_err(|b| Bad {
        msg: format!("{} or 'unlimited'", b.msg),
        ..b
    })
}

/// `25M`, `10K`, `1G`, `1T`, `500b`, bare bytes, or `unlimited` (None). K = 1024.
pub(crate) fn parse_size(s: &str) -> VResult<Option<u64>> {
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(digits);
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        _ => {
            return bad(
                digits,
                format!("'{s}' is not a size (like 25M, 10K, 1G, bytes, or unlimited)"),
            );
        }
    };
    let n: u64 = match num.parse() {
        Ok(n) => n,
        Err(_) => {
            return bad(
                0,
                format!("'{s}' is not a size (like 25M, 10K, 1G, bytes, or unlimited)"),
            );
        }
    };
    n.checked_mul(1u64 << shift).map(Some).ok_or_else(|| Bad {
        at: 0,
        msg: format!("size '{s}' is too large"),
    })
}

pub(crate) fn fmt_size(size: Option<u64>) -> String {
    let Some(n) = size else {
        return "unlimited".into();
    };
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if n != 0 && n % (1u64 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

/// `10s`, `5m`, `1h`, `4d12h`, `1w2d`, bare seconds.
pub(crate) fn parse_duration(s: &str) -> VResult<Duration> {
    let what = || format!("'{s}' is not a duration (like 10s, 5m, 1h, 4d12h, or bare seconds)");
    if s.is_empty() {
        return bad(0, what());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let at = s.len() - rest.len();
        let n: u64 = rest[..digits].parse().or_else(|_| bad(at, what()))?;
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let mult = unit_seconds(&rest[digits..digits + unit_len])
            .ok_or_else(|| Bad { at, msg: what() })?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| Bad {
                at,
                msg: format!("duration '{s}' is too large"),
            })?;
        rest = &rest[digits + unit_len..];
    }
    Ok(Duration::from_secs(total))
}

fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "week" | "weeks" => 604_800,
        _ => return None,
    })
}

/// A duration, or `never` (None).
pub(crate) fn parse_duration_or_never(s: &str) -> VResult<Option<Duration>> {
    if s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    parse_duration(s).map(Some).map_err(|b| Bad {
        msg: format!("{} or 'never'", b.msg),
        ..b
    })
}

/// Canonical form: `4d12h`, `10m`, `0s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (n, u) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= n {
            out.push_str(&format!("{}{u}", secs / n));
            secs %= n;
        }
    }
    out
}

pub(crate) fn fmt_duration_list(list: &[Duration]) -> String {
    list.iter()
        .map(|d| fmt_duration(*d))
        .collect::<Vec<_>>()
        .join(",")
}

/// Splits on `sep`, trimming each item, with each item's byte offset in `s`.
pub(crate) fn split_items(s: &str, sep: char) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in s.split(sep) {
        let lead = part.len() - part.trim_start().len();
        out.push((start + lead, part.trim()));
        start += part.len() + sep.len_utf8();
    }
    out
}

/// `10m,30m,1h`: at least one entry.
pub(crate) fn parse_duration_list(s: &str) -> VResult<Vec<Duration>> {
    split_items(s, ',')
        .into_iter()
        .map(|(at, item)| {
            parse_duration(item).map_err(|b| Bad {
                at: at + b.at,
                msg: b.msg,
            })
        })
        .collect()
}

/// `500/h`, `83/10m`, `6/sec`, `1000/day`; `unlimited` or `0` mean no limit (None).
pub(crate) fn parse_rate(s: &str) -> VResult<Option<Rate>> {
    if s.eq_ignore_ascii_case("unlimited") || s == "0" {
        return Ok(None);
    }
    let what = || format!("'{s}' is not a rate (like 500/h, 83/10m, 10/s, or unlimited)");
    let Some((count, per)) = s.split_once('/') else {
        return bad(0, what());
    };
    let count: u64 = count.trim().parse().or_else(|_| bad(0, what()))?;
    let at = s.len() - per.len();
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(per)
    } else {
        parse_duration(&format!("1{per}"))
    }
    .map_err(|_| Bad { at, msg: what() })?;
    if per.is_zero() {
        return bad(at, format!("rate '{s}' has a zero interval"));
    }
    Ok(Some(Rate { count, per }))
}

pub(crate) fn fmt_rate(r: Option<Rate>) -> String {
    r.map_or_else(|| "unlimited".into(), |r| r.to_string())
}

/// `10.0.0.0/8`, `10/8`, `0/0`, `::/0`, or a single address (a host prefix).
pub(crate) fn parse_cidr(s: &str) -> VResult<IpNet> {
    let what = || format!("'{s}' is not an IP address or CIDR (like 10.0.0.0/8, 10/8, 0/0)");
    let Some((addr, len)) = s.split_once('/') else {
        return s
            .parse::<IpAddr>()
            .map(IpNet::from)
            .or_else(|_| bad(0, what()));
    };
    let len: u8 = len.parse().or_else(|_| bad(addr.len() + 1, what()))?;
    let addr = if addr.contains(':') {
        addr.to_string()
    } else {
        pad_ipv4(addr)
    };
    let ip: IpAddr = addr.parse().or_else(|_| bad(0, what()))?;
    IpNet::new(ip, len)
        .map(|n| n.trunc())
        .or_else(|_| bad(0, format!("'{s}': prefix length {len} is too long")))
}

/// `10` → `10.0.0.0`, `192.168` → `192.168.0.0` (PowerMTA's short CIDR form).
fn pad_ipv4(addr: &str) -> String {
    let parts = addr.split('.').count();
    let mut out = addr.to_string();
    for _ in parts..4 {
        out.push_str(".0");
    }
    out
}

pub(crate) fn fmt_cidr(net: &IpNet) -> String {
    if net.prefix_len() == 0 {
        return match net {
            IpNet::V4(_) => "0/0".into(),
            IpNet::V6(_) => "::/0".into(),
        };
    }
    if net.prefix_len() == net.max_prefix_len() {
        return net.addr().to_string();
    }
    net.to_string()
}

pub(crate) fn parse_ip(s: &str) -> VResult<IpAddr> {
    let inner = s.trim_start_matches('[').trim_end_matches(']');
    inner
        .parse()
        .or_else(|_| bad(0, format!("'{s}' is not an IP address")))
}

pub(crate) fn parse_port(s: &str) -> VResult<u16> {
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => bad(0, format!("'{s}' is not a TCP port (1-65535)")),
    }
}

/// Splits `HOST:PORT`, `[IP]:PORT`, `[IPv6:…]:PORT`; the port is optional.
fn split_host_port(s: &str) -> VResult<(&str, Option<u16>)> {
    let (host, port) = if let Some(end) = s.find(']') {
        let (h, rest) = s.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if rest.is_empty() => (h, None),
            None => return bad(end + 1, format!("unexpected '{rest}' after '{h}'")),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(parse_port(p).map_err(|b| Bad {
            at: host.len() + 1,
            msg: b.msg,
        })?),
        None => None,
    };
    Ok((host, port))
}

/// One host spec of `route`/`smtp-hosts`.
pub(crate) fn parse_host_port(s: &str) -> VResult<HostPort> {
    if let Some(domain) = s.strip_prefix("lookup-mx:") {
        if !is_hostname(domain) {
            return bad(10, format!("'{domain}' is not a domain name"));
        }
        return Ok(HostPort {
            host: Host::LookupMx(domain.to_ascii_lowercase()),
            port: None,
        });
    }
    let (host, port) = split_host_port(s)?;
    let host = if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.trim_end_matches(']');
        let inner = inner
            .strip_prefix("IPv6:")
            .or_else(|| inner.strip_prefix("ipv6:"))
            .unwrap_or(inner);
        Host::Ip(
            inner
                .parse()
                .or_else(|_| bad(0, format!("'{host}' is not an IP literal")))?,
        )
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        Host::Ip(ip)
    } else if is_hostname(host) {
        Host::Name(host.to_ascii_lowercase())
    } else {
        return bad(0, format!("'{host}' is not a host name or IP literal"));
    };
    Ok(HostPort { host, port })
}

/// `h1, h2; [10.1.1.1]:2525; h3`: `;` separates preference levels, `,` hosts in a level.
pub(crate) fn parse_hosts(s: &str) -> VResult<HostLevels> {
    let mut levels = Vec::new();
    for (lat, level) in split_items(s, ';') {
        let mut hosts = Vec::new();
        for (hat, item) in split_items(level, ',') {
            let at = lat + hat;
            if item.is_empty() {
                return bad(at, "empty host in list");
            }
            hosts.push(parse_host_port(item).map_err(|b| Bad {
                at: at + b.at,
                msg: b.msg,
            })?);
        }
        levels.push(hosts);
    }
    Ok(levels)
}

/// `IP[:PORT]` (IPv6 as `[::1]:53` or bare `::1`); port 53 when absent.
pub(crate) fn parse_name_server(s: &str) -> VResult<SocketAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    let (host, port) = split_host_port(s)?;
    let ip = parse_ip(host)?;
    Ok(SocketAddr::new(ip, port.unwrap_or(53)))
}

/// A host name: labels of letters, digits, `-`, `_` (UTF-8 allowed for IDN), dots between.
pub(crate) fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

/// A recipient-domain pattern of a `<domain>` block.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum DomainPattern {
    /// `*`: every domain.
    Any,
    /// `[*.]x`: x and its subdomains.
    SelfAndSubdomains(String),
    /// `*.x`: subdomains of x only.
    Subdomains(String),
    /// `[10.0.0.0/8]`: IP-literal recipient domains in that range.
    IpLiteral(IpNet),
    /// An exact name (also reserved names such as `{bounce}`).
    Exact(String),
}

impl DomainPattern {
    pub fn matches(&self, domain: &str) -> bool {
        match self {
            DomainPattern::Any => true,
            DomainPattern::Exact(d) => d == domain,
            DomainPattern::Subdomains(s) => is_subdomain(domain, s),
            DomainPattern::SelfAndSubdomains(s) => domain == s || is_subdomain(domain, s),
            DomainPattern::IpLiteral(net) => domain
                .strip_prefix('[')
                .and_then(|d| d.strip_suffix(']'))
                .and_then(|d| d.strip_prefix("IPv6:").unwrap_or(d).parse::<IpAddr>().ok())
                .is_some_and(|ip| net.contains(&ip)),
        }
    }

    /// Higher is more specific: `*` < `[*.]x` < `*.x` < exact; longer suffixes win among wildcards.
    pub fn specificity(&self) -> (u8, usize) {
        match self {
            DomainPattern::Any => (0, 0),
            DomainPattern::SelfAndSubdomains(s) => (1, 2 * s.len()),
            DomainPattern::Subdomains(s) => (1, 2 * s.len() + 1),
            DomainPattern::IpLiteral(n) => (1, usize::from(n.prefix_len())),
            DomainPattern::Exact(_) => (2, 0),
        }
    }
}

fn is_subdomain(domain: &str, parent: &str) -> bool {
    domain.len() > parent.len() + 1
        && domain.ends_with(parent)
        && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.'
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainPattern::Any => write!(f, "*"),
            DomainPattern::SelfAndSubdomains(s) => write!(f, "[*.]{s}"),
            DomainPattern::Subdomains(s) => write!(f, "*.{s}"),
            DomainPattern::IpLiteral(n) => write!(f, "[{}]", fmt_cidr(n)),
            DomainPattern::Exact(s) => write!(f, "{s}"),
        }
    }
}

pub(crate) fn parse_domain_pattern(s: &str) -> VResult<DomainPattern> {
    let lower = s.to_lowercase();
    let what = || {
        format!(
            "'{s}' is not a domain pattern (use *, example.com, *.example.com or [*.]example.com)"
        )
    };
    if lower == "*" {
        return Ok(DomainPattern::Any);
    }
    if let Some(rest) = lower.strip_prefix("[*.]") {
        return if is_hostname(rest) {
            Ok(DomainPattern::SelfAndSubdomains(rest.into()))
        } else {
            bad(4, what())
        };
    }
    if let Some(rest) = lower.strip_prefix("*.") {
        return if is_hostname(rest) {
            Ok(DomainPattern::Subdomains(rest.into()))
        } else {
            bad(2, what())
        };
    }
    if let Some(inner) = lower.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return parse_cidr(inner)
            .map(DomainPattern::IpLiteral)
            .map_err(|b| Bad {
                at: b.at + 1,
                msg: b.msg,
            });
    }
    let reserved = lower.starts_with('{') && lower.ends_with('}') && lower.len() > 2;
    if reserved || is_hostname(&lower) {
        return Ok(DomainPattern::Exact(
            lower.trim_end_matches('.').to_string(),
        ));
    }
    bad(0, what())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("25M").unwrap(), Some(25 << 20));
        assert_eq!(parse_size("10k").unwrap(), Some(10 << 10));
        assert_eq!(parse_size("1G").unwrap(), Some(1 << 30));
        assert_eq!(parse_size("123").unwrap(), Some(123));
        assert_eq!(parse_size("unlimited").unwrap(), None);
        assert_eq!(parse_size("12Q").unwrap_err().at, 2);
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(fmt_size(Some(25 << 20)), "25M");
        assert_eq!(fmt_size(Some(1000)), "1000");
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("4d12h").unwrap(),
            Duration::from_secs(4 * 86400 + 12 * 3600)
        );
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(
            parse_duration("1w2d").unwrap(),
            Duration::from_secs(9 * 86400)
        );
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("h").is_err());
        assert_eq!(
            fmt_duration(Duration::from_secs(4 * 86400 + 12 * 3600)),
            "4d12h"
        );
        assert_eq!(parse_duration_list("10m, x").unwrap_err().at, 5);
        assert_eq!(parse_duration_or_never("never").unwrap(), None);
    }

    #[test]
    fn rates() {
        assert_eq!(
            parse_rate("500/h").unwrap(),
            Some(Rate {
                count: 500,
                per: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            parse_rate("83/10m").unwrap().unwrap().per,
            Duration::from_secs(600)
        );
        assert_eq!(
            parse_rate("6/sec").unwrap().unwrap().per,
            Duration::from_secs(1)
        );
        assert_eq!(
            parse_rate("1000/day").unwrap().unwrap().per,
            Duration::from_secs(86400)
        );
        assert_eq!(parse_rate("unlimited").unwrap(), None);
        assert!(parse_rate("5/0s").is_err());
        assert!(parse_rate("abc").is_err());
        assert_eq!(fmt_rate(parse_rate("83/10m").unwrap()), "83/10m");
        assert_eq!(fmt_rate(parse_rate("500/h").unwrap()), "500/h");
    }

    #[test]
    fn cidrs_and_hosts() {
        assert_eq!(parse_cidr("10/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("0/0").unwrap().prefix_len(), 0);
        assert_eq!(parse_cidr("127.0.0.1").unwrap().prefix_len(), 32);
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("300.1.1.1").is_err());
        let levels = parse_hosts("a.example, b.example; [10.1.1.1]:2525; lookup-mx:x.org").unwrap();
        assert_eq!(levels.len(), 3);
        assert_eq!(levels[0].len(), 2);
        assert_eq!(levels[1][0].port, Some(2525));
        assert_eq!(
            fmt_hosts(&levels),
            "a.example, b.example; [10.1.1.1]:2525; lookup-mx:x.org"
        );
        assert_eq!(parse_hosts("a.example, b!x").unwrap_err().at, 11);
        assert_eq!(parse_name_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_name_server("::1").unwrap().port(), 53);
        assert_eq!(parse_name_server("[::1]:54").unwrap().port(), 54);
    }

    #[test]
    fn domain_patterns() {
        let p = parse_domain_pattern("[*.]Example.com").unwrap();
        assert!(
            p.matches("example.com") && p.matches("a.example.com") && !p.matches("xexample.com")
        );
        let s = parse_domain_pattern("*.example.com").unwrap();
        assert!(!s.matches("example.com") && s.matches("a.b.example.com"));
        assert!(parse_domain_pattern("*").unwrap().matches("anything"));
        assert!(
            parse_domain_pattern("[10/8]")
                .unwrap()
                .matches("[10.1.2.3]")
        );
        assert!(parse_domain_pattern("a b").is_err());
        assert!(DomainPattern::Any.specificity() < p.specificity());
        assert!(p.specificity() < s.specificity());
        assert!(s.specificity() < DomainPattern::Exact("x".into()).specificity());
    }
}
