//! Typed values of per-domain and per-source directives, as stored in resolved blocks
//! and merged by precedence; each prints back in a canonical form for `show settings`.

use crate::model::{
    BounceUponNoMx, DeliveryType, DkimAlgorithm, RecordFields, RecordType, TlsMode,
};
use crate::parse::RawValue;
use crate::table::Kind;
use crate::values::{
    self as v, Bad, HostLevels, Rate, VResult, bad, fmt_duration, fmt_duration_list, fmt_hosts,
    fmt_rate, fmt_size, split_items,
};
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A parsed value of a mergeable directive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    Count(u64),
    Limit(Option<u64>),
    Size(Option<u64>),
    Duration(Duration),
    MaybeDuration(Option<Duration>),
    Durations(Vec<Duration>),
    Rate(Option<Rate>),
    Text(String),
    Hosts(HostLevels),
    Ip(IpAddr),
    Port(u16),
    Tls(TlsMode),
    Delivery(DeliveryType),
    NoMx(BounceUponNoMx),
    Priority(u8),
    Algorithm(DkimAlgorithm),
    SourceIpLimit(IpNet, u64),
    Words(Vec<String>),
    /// `N/day,…` (`max-cold-virtual-mta-msg`).
    Counts(Vec<u64>),
    /// `records d,b,…` of an `<acct-file>`.
    Records(Vec<RecordType>),
    /// `record-fields TYPE FIELD,…` of an `<acct-file>`.
    RecordFields(RecordFields),
    /// `""`: back to the default (or unset), at this block's precedence.
    Cleared,
}

/// Parses `raw` as a value of `kind`. Relative paths are taken against `base_dir()`
/// (called only for paths, so other values cost no path work).
pub(crate) fn parse_value(
    kind: Kind,
    raw: &RawValue,
    base_dir: impl FnOnce() -> PathBuf,
) -> VResult<Value> {
    if raw.is_clear() {
        return Ok(Value::Cleared);
    }
    if raw.text.is_empty() {
        return bad(
            0,
            format!("a value is missing (expected {})", kind.syntax()),
        );
    }
    parse_kind(kind, raw, base_dir)
}

/// The value of `raw` as `kind` reads it, `""` and an empty value included (the blocks
/// whose rows carry a [`crate::apply::Setter`] decide themselves what those mean). Kinds
/// whose reading needs the resolver or reports at the column of each item (`DomainKey`
/// reads a key file, `SourceHost` expands a CIDR, lists check each entry) come as `Text`
/// for their setter to read.
pub(crate) fn parse_kind(
    kind: Kind,
    raw: &RawValue,
    base_dir: impl FnOnce() -> PathBuf,
) -> VResult<Value> {
    let s = raw.text.as_str();
    Ok(match kind {
        Kind::Bool => Value::Bool(v::parse_bool(s)?),
        Kind::Count => Value::Count(v::parse_u64(s)?),
        Kind::Limit => Value::Limit(v::parse_limit(s)?),
        Kind::Size => Value::Size(v::parse_size(s)?),
        Kind::Duration => Value::Duration(v::parse_duration(s)?),
        Kind::DurationOrNever => Value::MaybeDuration(v::parse_duration_or_never(s)?),
        Kind::DurationList => Value::Durations(v::parse_duration_list(s)?),
        Kind::Rate => Value::Rate(v::parse_rate(s)?),
        Kind::Text | Kind::VmtaName => Value::Text(s.to_string()),
        Kind::Path => Value::Text(
            crate::parse::resolve_path(&base_dir(), s)
                .to_string_lossy()
                .into(),
        ),
        Kind::Hosts => Value::Hosts(v::parse_hosts(s)?),
        Kind::Ip => Value::Ip(v::parse_ip(s)?),
        Kind::Port => Value::Port(v::parse_port(s)?),
        Kind::Tls => Value::Tls(parse_tls(s)?),
        Kind::DeliveryType => Value::Delivery(parse_delivery(s)?),
        Kind::Local => Value::Delivery(if v::parse_bool(s)? {
            DeliveryType::Pipe
        } else {
            DeliveryType::Smtp
        }),
        Kind::BounceNoMx => Value::NoMx(parse_no_mx(s)?),
        Kind::Priority => Value::Priority(parse_priority(s)?),
        Kind::DkimAlgorithm => Value::Algorithm(parse_algorithm(s)?),
        Kind::SourceIpLimit => parse_source_ip_limit(s)?,
        Kind::Words => Value::Words(
            v::split_items(s, ',')
                .into_iter()
                .map(|(_, w)| w.to_string())
                .filter(|w| !w.is_empty())
                .collect(),
        ),
        Kind::DailyLimits => Value::Counts(parse_daily_limits(s)?),
        Kind::Records => Value::Records(parse_records(s)?),
        Kind::RecordFields => Value::RecordFields(parse_record_fields(s)?),
        Kind::DomainKey
        | Kind::SourceHost
        | Kind::Listener
        | Kind::NameServers
        | Kind::DomainList
        | Kind::HttpPort
        | Kind::HttpAccess
        | Kind::Macro
        | Kind::AddressEntry => Value::Text(s.to_string()),
        other => return bad(0, format!("internal: {other:?} is not a mergeable value")),
    })
}

fn parse_tls(s: &str) -> VResult<TlsMode> {
    match s.to_ascii_lowercase().as_str() {
        "no" | "false" | "off" | "never" => Ok(TlsMode::No),
        "optional" | "yes" | "true" | "on" | "if-available" => Ok(TlsMode::Optional),
        "required" | "require" => Ok(TlsMode::Required),
        _ => bad(
            0,
            format!("'{s}' is not a TLS mode (use no, optional or required)"),
        ),
    }
}

fn parse_delivery(s: &str) -> VResult<DeliveryType> {
    match s.to_ascii_lowercase().as_str() {
        "smtp" => Ok(DeliveryType::Smtp),
        "pipe" => Ok(DeliveryType::Pipe),
        "discard" => Ok(DeliveryType::Discard),
        "file" | "http-delivery" => bad(
            0,
            format!("delivery type '{s}' is not supported by pmtad (use smtp, pipe or discard)"),
        ),
        _ => bad(
            0,
            format!("'{s}' is not a delivery type (use smtp, pipe or discard)"),
        ),
    }
}

fn parse_no_mx(s: &str) -> VResult<BounceUponNoMx> {
    if s.eq_ignore_ascii_case("never") {
        return Ok(BounceUponNoMx::No);
    }
    if let Ok(b) = v::parse_bool(s) {
        return Ok(if b {
            BounceUponNoMx::Yes
        } else {
            BounceUponNoMx::No
        });
    }
    v::parse_duration(s)
        .map(BounceUponNoMx::After)
        .map_err(|b| Bad {
            msg: format!("'{s}' is not yes, no, never or a duration"),
            ..b
        })
}

fn parse_priority(s: &str) -> VResult<u8> {
    match s.parse::<u8>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => bad(0, format!("'{s}' is not a priority (0..100)")),
    }
}

fn parse_algorithm(s: &str) -> VResult<DkimAlgorithm> {
    match s.to_ascii_lowercase().as_str() {
        "rsa-sha256" => Ok(DkimAlgorithm::RsaSha256),
        "ed25519-sha256" | "ed25519" => Ok(DkimAlgorithm::Ed25519Sha256),
        "rsa-sha1" => bad(0, "rsa-sha1 is not supported (RFC 8301); use rsa-sha256"),
        _ => bad(
            0,
            format!("'{s}' is not a DKIM algorithm (rsa-sha256 or ed25519-sha256)"),
        ),
    }
}

/// `100/day,500/day,2000/day` (a bare `N` means `N/day`).
fn parse_daily_limits(s: &str) -> VResult<Vec<u64>> {
    v::split_items(s, ',')
        .into_iter()
        .map(|(at, item)| {
            let n = item.strip_suffix("/day").unwrap_or(item).trim();
            v::parse_u64(n).map_err(|_| Bad {
                at,
                msg: format!("'{item}' is not a daily limit (like 500/day)"),
            })
        })
        .collect()
}

fn parse_source_ip_limit(s: &str) -> VResult<Value> {
    let Some((cidr, n)) = s.split_once(char::is_whitespace) else {
        return bad(
            0,
            format!("'{s}' needs a CIDR and a number (like 10.0.0.0/24 5)"),
        );
    };
    let net = v::parse_cidr(cidr)?;
    let at = s.len() - n.trim_start().len();
    let n = v::parse_u64(n.trim()).map_err(|b| Bad { at, msg: b.msg })?;
    Ok(Value::SourceIpLimit(net, n))
}

fn parse_records(s: &str) -> VResult<Vec<RecordType>> {
    let mut out = Vec::new();
    for (at, item) in split_items(s, ',') {
        match RecordType::parse(item) {
            Some(r) if !out.contains(&r) => out.push(r),
            Some(_) => {}
            None => {
                return bad(
                    at,
                    format!("'{item}' is not a record type (d, b, t, tq, r, f, rb, rs)"),
                );
            }
        }
    }
    Ok(out)
}

fn parse_record_fields(s: &str) -> VResult<RecordFields> {
    let Some((kind, fields)) = s.split_once(char::is_whitespace) else {
        return bad(
            0,
            "expected TYPE FIELD[,FIELD…] (like d *,!orcpt,header_Message-Id)",
        );
    };
    let record = RecordType::parse(kind).ok_or_else(|| Bad {
        at: 0,
        msg: format!("'{kind}' is not a record type"),
    })?;
    let fields = split_items(fields.trim(), ',')
        .into_iter()
        .map(|(_, f)| f.to_string())
        .filter(|f| !f.is_empty())
        .collect();
    Ok(RecordFields { record, fields })
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Value::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
            Value::Count(n) => n.to_string(),
            Value::Limit(n) => n.map_or_else(|| "unlimited".into(), |n| n.to_string()),
            Value::Size(n) => fmt_size(*n),
            Value::Duration(d) => fmt_duration(*d),
            Value::MaybeDuration(d) => d.map_or_else(|| "never".into(), fmt_duration),
            Value::Durations(l) => fmt_duration_list(l),
            Value::Rate(r) => fmt_rate(*r),
            Value::Text(t) => t.clone(),
            Value::Hosts(h) => fmt_hosts(h),
            Value::Ip(ip) => ip.to_string(),
            Value::Port(p) => p.to_string(),
            Value::Tls(t) => t.to_string(),
            Value::Delivery(d) => d.to_string(),
            Value::NoMx(BounceUponNoMx::No) => "no".into(),
            Value::NoMx(BounceUponNoMx::Yes) => "yes".into(),
            Value::NoMx(BounceUponNoMx::After(d)) => fmt_duration(*d),
            Value::Priority(p) => p.to_string(),
            Value::Algorithm(a) => a.to_string(),
            Value::SourceIpLimit(net, n) => format!("{} {n}", v::fmt_cidr(net)),
            Value::Words(w) => w.join(","),
            Value::Counts(c) => c
                .iter()
                .map(|n| format!("{n}/day"))
                .collect::<Vec<_>>()
                .join(","),
            Value::Records(r) => r.iter().map(|r| r.code()).collect::<Vec<_>>().join(","),
            Value::RecordFields(r) => format!("{} {}", r.record.code(), r.fields.join(",")),
            Value::Cleared => String::new(),
        };
        f.write_str(&s)
    }
}

/// The table default of a directive as a value (None when it has no default).
pub(crate) fn parse_default(def: &crate::table::DirectiveDef) -> Option<Value> {
    if def.default.is_empty() {
        return None;
    }
    let raw = RawValue {
        text: def.default.to_string(),
        span: crate::diag::Span::new(&std::sync::Arc::from("<default>"), 0, 0),
        quoted: false,
    };
    parse_value(def.kind, &raw, || PathBuf::from("/")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;
    use std::sync::Arc;

    fn raw(text: &str) -> RawValue {
        RawValue {
            text: text.into(),
            span: Span::new(&Arc::from("t"), 1, 1),
            quoted: false,
        }
    }

    #[test]
    fn kinds_parse_and_print() {
        let base = || PathBuf::from("/etc/pmta");
        let cases = [
            (Kind::Tls, "Required", "required"),
            (Kind::Local, "yes", "pipe"),
            (Kind::BounceNoMx, "1h", "1h"),
            (Kind::Priority, "100", "100"),
            (Kind::SourceIpLimit, "10/8 5", "10.0.0.0/8 5"),
            (Kind::Path, "acct.csv", "/etc/pmta/acct.csv"),
            (Kind::Words, "X-Mailer, List-Id", "X-Mailer,List-Id"),
            (Kind::DurationList, "10m,30m, 1h", "10m,30m,1h"),
            (
                Kind::DailyLimits,
                "10/day, 20/day,50",
                "10/day,20/day,50/day",
            ),
        ];
        for (kind, input, shown) in cases {
            let value = parse_value(kind, &raw(input), base).unwrap();
            assert_eq!(value.to_string(), shown, "{kind:?} {input}");
        }
        assert!(parse_value(Kind::Priority, &raw("101"), base).is_err());
        assert_eq!(
            parse_value(Kind::SourceIpLimit, &raw("10/8 x"), base)
                .unwrap_err()
                .at,
            5
        );
        assert!(parse_value(Kind::Count, &raw(""), base).is_err());
    }
}
