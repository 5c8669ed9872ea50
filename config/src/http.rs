//! The HTTP management interface's settings: `http-mgmt-port`, `http-access`,
//! `http-api-key`, `http-default-max-items` and `http-metrics-top-queues`.
//!
//! Kept apart from the other globals because the daemon reads them as one value: a reload
//! that changes any of them hands the HTTP listener a new [`HttpMgmt`], which it compares
//! with the old one to decide whether to rebind.

use crate::values::{self as v, Bad, VResult, bad};
use ipnet::IpNet;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// What a client may do over HTTP, from `http-access CIDR LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpLevel {
    /// Nothing: every request is refused (403).
    None,
    /// Read-only: status pages, listings, details, metrics.
    Monitor,
    /// As monitor, plus read-only `/command` verbs (`show …`).
    Operator,
    /// Everything, including `/command` verbs that change state.
    Admin,
}

impl HttpLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpLevel::None => "none",
            HttpLevel::Monitor => "monitor",
            HttpLevel::Operator => "operator",
            HttpLevel::Admin => "admin",
        }
    }
}

/// One `http-access CIDR LEVEL` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpAccess {
    pub net: IpNet,
    pub level: HttpLevel,
}

/// The HTTP management interface's resolved settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpMgmt {
    /// Where to listen; `None` = disabled (`http-mgmt-port 0`, or not set).
    pub listen: Option<SocketAddr>,
    /// `http-access` lines in file order; the longest matching prefix decides.
    pub access: Vec<HttpAccess>,
    /// `http-api-key`s: a request whose `X-API-Key` header equals one gets admin access.
    pub api_keys: Vec<String>,
    /// `http-default-max-items`: rows of `/queues` and `/domains` without `maxitems=`.
    pub default_max_items: u64,
    /// `http-metrics-top-queues`: queues with their own `/metrics` series; the rest are
    /// summed under `queue="other"`.
    pub metrics_top_queues: u64,
    /// HTTPS: `http-tls-certificate` and the `http-tls-*` knobs.
    pub tls: HttpTls,
}

/// HTTPS on the management listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpTls {
    /// `http-tls-certificate FILE` (PEM chain and key); `None` = plain HTTP only.
    pub certificate: Option<std::path::PathBuf>,
    /// `http-tls-allow-tlsv1.2` / `-tlsv1.3`.
    pub tls12: bool,
    pub tls13: bool,
    /// `http-tls-ciphers` (TLS 1.2) and `http-tls-tlsv1.3-ciphersuites`; `None` = all.
    pub ciphers: Option<Vec<crate::CipherSuite>>,
    pub tls13_suites: Option<Vec<crate::CipherSuite>>,
    /// `http-redirect-to-https`: a plain-HTTP request on the HTTPS listener is sent to the
    /// same URL over HTTPS (301) rather than answered.
    pub redirect_to_https: bool,
}

impl Default for HttpTls {
    fn default() -> Self {
        Self {
            certificate: None,
            tls12: true,
            tls13: true,
            ciphers: None,
            tls13_suites: None,
            redirect_to_https: true,
        }
    }
}

impl Default for HttpMgmt {
    fn default() -> Self {
        Self {
            listen: None,
            access: Vec::new(),
            api_keys: Vec::new(),
            default_max_items: 10,
            metrics_top_queues: 100,
            tls: HttpTls::default(),
        }
    }
}

impl HttpMgmt {
    /// The level of a client at `ip` without an API key: the longest `http-access` prefix
    /// containing it (the later line on a tie), `None` when no line matches.
    pub fn level_for(&self, ip: IpAddr) -> HttpLevel {
        let ip = canonical(ip);
        self.access
            .iter()
            .filter(|a| a.net.contains(&ip))
            .max_by_key(|a| a.net.prefix_len())
            .map_or(HttpLevel::None, |a| a.level)
    }

    /// True when `key` is one of the configured API keys (compared in constant time).
    pub fn key_matches(&self, key: &str) -> bool {
        self.api_keys.iter().any(|k| constant_time_eq(k, key))
    }
}

/// An IPv4 client seen on an IPv6 socket (`::ffff:127.0.0.1`) matches IPv4 lines.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `http-mgmt-port PORT | IP:PORT | [IPv6]:PORT`. A bare port listens on 127.0.0.1 only
/// (an operator opens it wider by naming the address); a bare `0` disables the interface,
/// while `IP:0` asks the system for a free port (tests; pmtad prints the one it bound).
pub(crate) fn parse_mgmt_port(s: &str) -> VResult<Option<SocketAddr>> {
    let s = s.trim();
    if s == "0" {
        return Ok(None);
    }
    let Some((host, port)) = s.rsplit_once(':').filter(|_| !is_bare_ipv6(s)) else {
        let port = v::parse_port(s)?;
        return Ok(Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)));
    };
    let ip = v::parse_ip(host)?;
    let port = match port {
        "0" => 0,
        p => v::parse_port(p).map_err(|b| Bad {
            at: host.len() + 1,
            msg: b.msg,
        })?,
    };
    Ok(Some(SocketAddr::new(ip, port)))
}

/// `::1` without brackets has colons but no port.
fn is_bare_ipv6(s: &str) -> bool {
    !s.starts_with('[') && s.matches(':').count() > 1
}

/// `http-access CIDR LEVEL` (`monitor,deny-logs` is accepted as `monitor`: pmtad serves no
/// log files over HTTP).
pub(crate) fn parse_access(s: &str) -> VResult<HttpAccess> {
    let mut words = s.split_whitespace();
    let cidr = words.next().unwrap_or_default();
    let net = v::parse_cidr(cidr)?;
    let Some(level_text) = words.next() else {
        return bad(
            s.len(),
            "a level is missing (expected none, monitor, operator or admin)",
        );
    };
    let at = s.find(level_text).unwrap_or(0);
    let level = parse_level(level_text).map_err(|b| Bad { at, msg: b.msg })?;
    if let Some(extra) = words.next() {
        let at = s.rfind(extra).unwrap_or(0);
        return bad(at, format!("unexpected '{extra}' after the level"));
    }
    Ok(HttpAccess { net, level })
}

fn parse_level(s: &str) -> VResult<HttpLevel> {
    let (level, options) = s.split_once(',').unwrap_or((s, ""));
    if !options.is_empty() && !options.eq_ignore_ascii_case("deny-logs") {
        return bad(
            0,
            format!("'{options}' is not an access option (deny-logs)"),
        );
    }
    match level.to_ascii_lowercase().as_str() {
        "none" => Ok(HttpLevel::None),
        "monitor" => Ok(HttpLevel::Monitor),
        "operator" => Ok(HttpLevel::Operator),
        "admin" => Ok(HttpLevel::Admin),
        _ => bad(
            0,
            format!("'{level}' is not an access level (none, monitor, operator or admin)"),
        ),
    }
}

/// `http-api-key KEY`: 32 to 128 characters of `[A-Za-z0-9_]`, as in PowerMTA, so a key is
/// long enough not to be guessed and needs no quoting in a header.
pub(crate) fn parse_api_key(s: &str) -> VResult<String> {
    let s = s.trim();
    if let Some(at) = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        return bad(at, "an API key may hold only letters, digits and '_'");
    }
    if !(32..=128).contains(&s.len()) {
        return bad(
            0,
            format!(
                "an API key needs 32 to 128 characters, this one has {}",
                s.len()
            ),
        );
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(lines: &[(&str, HttpLevel)]) -> HttpMgmt {
        HttpMgmt {
            access: lines
                .iter()
                .map(|(n, l)| HttpAccess {
                    net: v::parse_cidr(n).unwrap(),
                    level: *l,
                })
                .collect(),
            ..HttpMgmt::default()
        }
    }

    #[test]
    fn port_forms() {
        let lo = |p| Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), p));
        assert_eq!(parse_mgmt_port("8080").unwrap(), lo(8080));
        assert_eq!(parse_mgmt_port("0").unwrap(), None);
        assert_eq!(parse_mgmt_port("127.0.0.1:0").unwrap(), lo(0));
        assert_eq!(
            parse_mgmt_port("0.0.0.0:8080").unwrap(),
            Some("0.0.0.0:8080".parse().unwrap())
        );
        assert_eq!(
            parse_mgmt_port("[::1]:81").unwrap(),
            Some("[::1]:81".parse().unwrap())
        );
        assert!(parse_mgmt_port("http").is_err());
        let err = parse_mgmt_port("127.0.0.1:x").unwrap_err();
        assert_eq!(err.at, 10);
        assert!(parse_mgmt_port("::1").is_err());
    }

    #[test]
    fn access_lines_parse_and_fail_at_the_word() {
        let a = parse_access("10/8 monitor,deny-logs").unwrap();
        assert_eq!(a.level, HttpLevel::Monitor);
        assert_eq!(a.net.to_string(), "10.0.0.0/8");
        let e = parse_access("10/8 boss").unwrap_err();
        assert_eq!(e.at, 5);
        assert!(e.msg.contains("not an access level"), "{}", e.msg);
        assert!(parse_access("10/8").is_err());
        assert!(parse_access("10/8 admin x").is_err());
        assert!(parse_access("nonsense admin").is_err());
    }

    #[test]
    fn longest_prefix_wins_and_no_match_is_none() {
        let m = access(&[
            ("127.0.0.1", HttpLevel::Admin),
            ("127/8", HttpLevel::Monitor),
            ("0/0", HttpLevel::None),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(m.level_for(ip("127.0.0.1")), HttpLevel::Admin);
        assert_eq!(m.level_for(ip("127.0.0.2")), HttpLevel::Monitor);
        assert_eq!(m.level_for(ip("::ffff:127.0.0.2")), HttpLevel::Monitor);
        assert_eq!(m.level_for(ip("192.0.2.1")), HttpLevel::None);
        assert_eq!(access(&[]).level_for(ip("127.0.0.1")), HttpLevel::None);
        assert_eq!(m.level_for(ip("::1")), HttpLevel::None);
    }

    #[test]
    fn api_keys_are_checked() {
        let key = "k".repeat(32);
        assert_eq!(parse_api_key(&key).unwrap(), key);
        assert!(parse_api_key("short").is_err());
        assert_eq!(parse_api_key(&format!("{key}-x")).unwrap_err().at, 32);
        let m = HttpMgmt {
            api_keys: vec![key.clone()],
            ..HttpMgmt::default()
        };
        assert!(m.key_matches(&key));
        assert!(!m.key_matches(&"j".repeat(32)));
        assert!(!m.key_matches(""));
    }
}
