//! `<rewrite-list NAME>`: rewriting of the envelope sender (MAIL FROM) and of the domain of
//! the `From:` header's addresses at intake, before the message is spooled, for sources,
//! virtual MTAs and pools that say `rewrite-list NAME`. Sender rules are PowerMTA's
//! `mail-from SOURCE-ADDRESS TARGET-ADDRESS`, tried in order, the first match rewrites:
//!
//! | source      | matches                      | target      | gives                         |
//! |-------------|------------------------------|-------------|-------------------------------|
//! | `a@x.com`   | that address                 | `a@x.com`   | that address                  |
//! | `a@*`       | local part `a`, any domain   | `a@*`       | local part `a`, source domain |
//! | `*@x.com`   | any address at `x.com`       | `*@x.com`   | source local part at `x.com`  |
//! | `*@*`       | every address but `<>`       | `<>`        | the null sender               |
//! | `<>`        | the null sender              |             |                               |
//!
//! `from-domain SOURCE-DOMAIN TARGET-DOMAIN` rules rewrite the domain of each address of
//! the `From:` field: `x.com` matches that domain, `*.x.com` its subdomains, `*` any
//! domain; the first match gives the new domain. Rewriting before spooling means DKIM
//! signing at delivery signs (and picks its key by) the rewritten `From:`.

use serde::Serialize;

use crate::diag::Span;
use crate::values::{VResult, bad};

/// One side of a rule: a local part and a domain, either of which may be `*`; or `<>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AddressPattern {
    Null,
    /// `None` stands for `*`.
    Address {
        local: Option<String>,
        domain: Option<String>,
    },
}

/// `mail-from SOURCE TARGET`.
#[derive(Debug, Clone, Serialize)]
pub struct RewriteRule {
    pub from: AddressPattern,
    pub to: AddressPattern,
    pub span: Span,
}

/// Which `From:` domains a `from-domain` rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FromPattern {
    /// `*`: every domain.
    Any,
    /// `*.x.com`: the subdomains of `x.com` (lower case, without the `*.`).
    Below(String),
    /// `x.com` (lower case).
    Exact(String),
}

/// `from-domain SOURCE-DOMAIN TARGET-DOMAIN`.
#[derive(Debug, Clone, Serialize)]
pub struct FromDomainRule {
    pub from: FromPattern,
    pub to: String,
    pub span: Span,
}

/// `<rewrite-list NAME>`.
#[derive(Debug, Clone, Serialize)]
pub struct RewriteList {
    pub name: String,
    pub rules: Vec<RewriteRule>,
    pub from_domains: Vec<FromDomainRule>,
}

impl RewriteList {
    /// The rewritten sender (`""` is the null sender), or `None` when no rule matches.
    pub fn mail_from(&self, from: &str) -> Option<String> {
        self.rules.iter().find_map(|r| r.apply(from))
    }

    /// The domain a `From:` address at `domain` gets, or `None` when no rule matches.
    pub fn from_domain(&self, domain: &str) -> Option<&str> {
        let d = domain.to_ascii_lowercase();
        let hit = |r: &&FromDomainRule| match &r.from {
            FromPattern::Any => true,
            FromPattern::Exact(x) => *x == d,
            FromPattern::Below(x) => d
                .strip_suffix(x.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        };
        self.from_domains.iter().find(hit).map(|r| r.to.as_str())
    }
}

/// A domain name as a rule may give it: labels of letters, digits and `-`.
fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Parses `SOURCE-DOMAIN TARGET-DOMAIN` (`x.com`, `*.x.com` or `*`; then a domain).
pub(crate) fn parse_from_domain(value: &str, span: Span) -> VResult<FromDomainRule> {
    let mut words = value.split_whitespace();
    let (Some(src), Some(dst), None) = (words.next(), words.next(), words.next()) else {
        return bad(
            0,
            "expected SOURCE-DOMAIN TARGET-DOMAIN (like *.old.example new.example)",
        );
    };
    let lower = src.to_ascii_lowercase();
    let from = match lower.strip_prefix("*.") {
        _ if lower == "*" => FromPattern::Any,
        Some(rest) if is_domain(rest) => FromPattern::Below(rest.to_string()),
        None if is_domain(&lower) => FromPattern::Exact(lower),
        _ => {
            return bad(
                0,
                format!("'{src}' is not a domain pattern (x.com, *.x.com or *)"),
            );
        }
    };
    if !is_domain(dst) {
        let at = value.find(dst).unwrap_or(0);
        return bad(at, format!("'{dst}' is not a domain name"));
    }
    Ok(FromDomainRule {
        from,
        to: dst.to_ascii_lowercase(),
        span,
    })
}

impl RewriteRule {
    fn apply(&self, from: &str) -> Option<String> {
        let (local, domain) = match (&self.from, from.rsplit_once('@')) {
            (AddressPattern::Null, _) if from.is_empty() => ("", ""),
            (AddressPattern::Address { local, domain }, Some((l, d))) => {
                let ok = |want: &Option<String>, got: &str| {
                    want.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(got))
                };
                if !(ok(local, l) && ok(domain, d)) {
                    return None;
                }
                (l, d)
            }
            _ => return None,
        };
        Some(match &self.to {
            AddressPattern::Null => String::new(),
            AddressPattern::Address {
                local: l,
                domain: d,
            } => format!(
                "{}@{}",
                l.as_deref().unwrap_or(local),
                d.as_deref().unwrap_or(domain)
            ),
        })
    }
}

fn pattern(s: &str) -> Option<AddressPattern> {
    if s == "<>" {
        return Some(AddressPattern::Null);
    }
    let (local, domain) = s.rsplit_once('@')?;
    let part = |p: &str| (p != "*").then(|| p.to_string());
    let valid = |p: &str| !p.is_empty() && (p == "*" || !p.contains('*'));
    (valid(local) && valid(domain)).then(|| AddressPattern::Address {
        local: part(local),
        domain: part(domain),
    })
}

/// Parses `SOURCE-ADDRESS TARGET-ADDRESS` (PowerMTA's forms; see the module table).
pub(crate) fn parse_mail_from(value: &str, span: Span) -> VResult<RewriteRule> {
    let mut words = value.split_whitespace();
    let (Some(src), Some(dst), None) = (words.next(), words.next(), words.next()) else {
        return bad(
            0,
            "expected SOURCE-ADDRESS TARGET-ADDRESS (like *@old.example *@new.example)",
        );
    };
    let at = value.find(dst).unwrap_or(0);
    let Some(from) = pattern(src) else {
        return bad(
            0,
            format!("'{src}' is not an address pattern (a@x, a@*, *@x, *@* or <>)"),
        );
    };
    let Some(to) = pattern(dst) else {
        return bad(
            at,
            format!("'{dst}' is not a target address (a@x, a@*, *@x or <>)"),
        );
    };
    let wild = matches!(&to, AddressPattern::Address { local, domain } if local.is_none() || domain.is_none());
    if from == AddressPattern::Null && wild {
        return bad(
            at,
            "a * in the target needs a source address to take it from",
        );
    }
    if !dst.is_ascii() {
        return bad(at, "the target address must be ASCII");
    }
    Ok(RewriteRule { from, to, span })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(rules: &[&str]) -> RewriteList {
        let span = || Span::new(&std::sync::Arc::from("t.conf"), 1, 1);
        RewriteList {
            name: "l".into(),
            rules: rules
                .iter()
                .map(|r| parse_mail_from(r, span()).unwrap())
                .collect(),
            from_domains: Vec::new(),
        }
    }

    #[test]
    fn from_domain_rules_match_exact_below_and_any() {
        let span = || Span::new(&std::sync::Arc::from("t.conf"), 1, 1);
        let mut l = list(&[]);
        for r in [
            "Old.example new.example",
            "*.sub.example sub.example",
            "* other.example",
        ] {
            l.from_domains.push(parse_from_domain(r, span()).unwrap());
        }
        assert_eq!(l.from_domain("OLD.example"), Some("new.example"));
        assert_eq!(l.from_domain("a.b.sub.example"), Some("sub.example"));
        assert_eq!(l.from_domain("sub.example"), Some("other.example"));
        assert_eq!(l.from_domain("xsub.example"), Some("other.example"));
        let err = |v: &str| parse_from_domain(v, span()).unwrap_err().msg;
        assert!(err("a*.x y.z").contains("not a domain pattern"));
        assert!(err("x.com y@z").contains("not a domain name"));
        assert!(err("x.com").contains("expected"));
    }

    #[test]
    fn powermta_forms_rewrite_the_sender() {
        let l = list(&[
            "foo@* *@bar.com",
            "*@old.example *@new.example",
            "<> bounces@host.example",
        ]);
        assert_eq!(l.mail_from("foo@xyz.com").as_deref(), Some("foo@bar.com"));
        assert_eq!(
            l.mail_from("ann@OLD.example").as_deref(),
            Some("ann@new.example")
        );
        assert_eq!(l.mail_from("").as_deref(), Some("bounces@host.example"));
        assert_eq!(l.mail_from("ann@other.example"), None);
        let l = list(&["*@* <>", "a@x.com b@*"]);
        assert_eq!(l.mail_from("z@q.example").as_deref(), Some(""));
        assert_eq!(l.mail_from(""), None, "*@* does not match the null sender");
    }

    #[test]
    fn bad_rules_are_refused() {
        let span = || Span::new(&std::sync::Arc::from("t.conf"), 1, 1);
        let err = |v: &str| parse_mail_from(v, span()).unwrap_err().msg;
        assert!(err("<> *@foo.com").contains("needs a source address"));
        assert!(err("a@x.com foo@bücher.de").contains("ASCII"));
        assert!(err("a*b@x.com c@d").contains("not an address pattern"));
        assert!(err("only-one").contains("expected"));
    }
}
