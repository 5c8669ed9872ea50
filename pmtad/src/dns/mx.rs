//! MX answers to an ordered list of hosts to try (RFC 5321 §5.1, RFC 7505).

use hickory_resolver::proto::rr::{RData, Record};
use rand::seq::SliceRandom;

use super::DnsFailure;

/// One host to try for a domain, in the order returned by `Resolver::mx_targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxTarget {
    /// Host name without the trailing dot (the MX exchange, or the domain itself).
    pub host: String,
    /// MX preference (0 for an implicit MX).
    pub preference: u16,
    /// True when the domain had no MX records and its own A/AAAA records are used.
    pub implicit: bool,
}

impl MxTarget {
    pub(super) fn implicit(domain: &str) -> Self {
        MxTarget {
            host: domain.trim_end_matches('.').to_string(),
            preference: 0,
            implicit: true,
        }
    }
}

/// Sorts MX records by preference, shuffling equal preferences so load spreads across them.
/// A lone `MX 0 .` (or any `.` exchange when nothing else is usable) is a null MX.
pub(super) fn targets_from_answers(
    domain: &str,
    answers: &[Record],
) -> Result<Vec<MxTarget>, DnsFailure> {
    let mut targets: Vec<MxTarget> = answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::MX(mx) if !mx.exchange.is_root() => Some(MxTarget {
                host: mx
                    .exchange
                    .to_ascii()
                    .trim_end_matches('.')
                    .to_ascii_lowercase(),
                preference: mx.preference,
                implicit: false,
            }),
            _ => None,
        })
        .collect();
    if targets.is_empty() {
        return Err(null_or_missing(domain, answers));
    }
    order(&mut targets);
    Ok(targets)
}

/// No usable exchange: either the domain published a null MX, or the answer held only
/// non-MX records (a CNAME chain without MX), which is temporary oddness, not a verdict.
fn null_or_missing(domain: &str, answers: &[Record]) -> DnsFailure {
    let null = answers
        .iter()
        .any(|r| matches!(&r.data, RData::MX(mx) if mx.exchange.is_root()));
    if null {
        DnsFailure::NullMx(domain.to_string())
    } else {
        DnsFailure::Temporary {
            name: domain.to_string(),
            reason: "MX answer without usable records".to_string(),
        }
    }
}

/// Shuffle, then stable-sort by preference: equal preferences end up in random order.
fn order(targets: &mut [MxTarget]) {
    targets.shuffle(&mut rand::rng());
    targets.sort_by_key(|t| t.preference);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::rr::Name;
    use hickory_resolver::proto::rr::rdata::MX;

    fn mx(pref: u16, host: &str) -> Record {
        let owner = Name::from_ascii("example.com.").unwrap();
        let ex = Name::from_ascii(host).unwrap();
        Record::from_rdata(owner, 300, RData::MX(MX::new(pref, ex)))
    }

    #[test]
    fn sorted_by_preference_and_equal_ones_spread() {
        let answers = [
            mx(20, "c.example."),
            mx(10, "a.example."),
            mx(10, "b.example."),
        ];
        let mut first_seen = std::collections::HashSet::new();
        for _ in 0..64 {
            let t = targets_from_answers("example.com", &answers).unwrap();
            assert_eq!(
                t.iter().map(|t| t.preference).collect::<Vec<_>>(),
                [10, 10, 20]
            );
            assert_eq!(t[2].host, "c.example");
            first_seen.insert(t[0].host.clone());
        }
        assert_eq!(first_seen.len(), 2, "equal preferences must be shuffled");
    }

    #[test]
    fn null_mx_is_permanent() {
        let err = targets_from_answers("example.com", &[mx(0, ".")]).unwrap_err();
        assert_eq!(err, DnsFailure::NullMx("example.com".into()));
        assert_eq!(err.reply().enhanced.as_deref(), Some("5.1.10"));
    }
}
