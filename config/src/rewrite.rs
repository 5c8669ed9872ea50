//! `<rewrite-list NAME>`: rewriting of the envelope sender (MAIL FROM) at intake, before
//! the message is spooled, for sources that say `rewrite-list NAME`. Rules are PowerMTA's
//! `mail-from SOURCE-ADDRESS TARGET-ADDRESS`, tried in order, the first match rewrites:
//!
//! | source      | matches                      | target      | gives                         |
//! |-------------|------------------------------|-------------|-------------------------------|
//! | `a@x.com`   | that address                 | `a@x.com`   | that address                  |
//! | `a@*`       | local part `a`, any domain   | `a@*`       | local part `a`, source domain |
//! | `*@x.com`   | any address at `x.com`       | `*@x.com`   | source local part at `x.com`  |
//! | `*@*`       | every address but `<>`       | `<>`        | the null sender               |
//! | `<>`        | the null sender              |             |                               |

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

/// `<rewrite-list NAME>`.
#[derive(Debug, Clone, Serialize)]
pub struct RewriteList {
    pub name: String,
    pub rules: Vec<RewriteRule>,
}

impl RewriteList {
    /// The rewritten sender (`""` is the null sender), or `None` when no rule matches.
    pub fn mail_from(&self, from: &str) -> Option<String> {
        self.rules.iter().find_map(|r| r.apply(from))
    }
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
        }
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
