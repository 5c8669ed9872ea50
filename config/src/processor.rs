//! `<bounce-processor>` and `<feedback-loop-processor>`: which mailboxes receive the
//! asynchronous bounces and complaints about mail pmtad sent, and what becomes of a report
//! once it has been parsed and written to accounting (PowerMTA UG §3.3.3–3.3.6).
//!
//! A processor's `<address-list>` names the mailboxes by address, regex, bare local part
//! or domain. Mail for them is accepted from any client, without relaying rights (the
//! providers that send reports are not feeders), and is parsed instead of queued.

use regex::Regex;
use serde::Serialize;

use crate::diag::Span;
use crate::values::{DomainPattern, VResult, bad};

/// Which of the two processors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProcessorKind {
    /// `<bounce-processor>`: DSNs and non-standard bounces, `rb` records.
    Bounce,
    /// `<feedback-loop-processor>`: ARF / JMRP complaints, `f` records.
    FeedbackLoop,
}

/// One line of an `<address-list>`.
#[derive(Debug, Clone, Serialize)]
pub enum AddressEntry {
    /// `local@domain`, lower case.
    Exact(String),
    /// `/REGEX/` over the whole address, case-insensitive.
    Regex(#[serde(serialize_with = "regex_source")] Regex),
    /// A bare local part (lower case): that mailbox at any domain.
    LocalPart(String),
    /// `domain D`: every address at D.
    Domain(DomainPattern),
}

fn regex_source<S: serde::Serializer>(r: &Regex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.as_str())
}

impl AddressEntry {
    /// Whether `address` (`local@domain`, lower case) is this entry's.
    pub fn matches(&self, address: &str, local: &str, domain: &str) -> bool {
        match self {
            AddressEntry::Exact(a) => a == address,
            AddressEntry::Regex(r) => r.is_match(address),
            AddressEntry::LocalPart(l) => l == local,
            AddressEntry::Domain(d) => d.matches(domain),
        }
    }
}

/// A resolved processor block.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnProcessor {
    pub kind: ProcessorKind,
    /// The `<address-list>` lines, in file order.
    pub addresses: Vec<AddressEntry>,
    /// `deliver-unmatched-email` (default yes).
    pub deliver_unmatched: bool,
    /// `deliver-matched-email` (default no).
    pub deliver_matched: bool,
    /// `forward-unmatched-to ADDRESS`.
    pub forward_unmatched_to: Option<String>,
    /// `forward-errors-to ADDRESS`.
    pub forward_errors_to: Option<String>,
    pub span: Span,
}

impl ReturnProcessor {
    pub(crate) fn new(kind: ProcessorKind, span: Span) -> Self {
        ReturnProcessor {
            kind,
            addresses: Vec::new(),
            deliver_unmatched: true,
            deliver_matched: false,
            forward_unmatched_to: None,
            forward_errors_to: None,
            span,
        }
    }

    /// Whether `address` is one of this processor's mailboxes (any case).
    pub fn owns(&self, address: &str) -> bool {
        let address = address.to_ascii_lowercase();
        let (local, domain) = address.rsplit_once('@').unwrap_or((&address, ""));
        self.addresses
            .iter()
            .any(|e| e.matches(&address, local, domain))
    }
}

/// `ADDRESS|/REGEX/|LOCALPART`.
pub(crate) fn parse_address_entry(s: &str) -> VResult<AddressEntry> {
    let s = s.trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return bad(0, "expected one ADDRESS, /REGEX/ or LOCALPART");
    }
    if let Some(src) = s.strip_prefix('/').and_then(|r| r.strip_suffix('/')) {
        return regex::RegexBuilder::new(src)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map(AddressEntry::Regex)
            .or_else(|e| {
                let why = e.to_string();
                bad(
                    1,
                    format!("bad regex: {}", why.lines().last().unwrap_or("")),
                )
            });
    }
    let lower = s.to_ascii_lowercase();
    match lower.rsplit_once('@') {
        Some((l, d)) if !l.is_empty() && crate::values::is_hostname(d) => {
            Ok(AddressEntry::Exact(lower))
        }
        Some(_) => bad(0, format!("'{s}' is not an address (local@domain)")),
        None => Ok(AddressEntry::LocalPart(lower)),
    }
}

/// An address for `forward-*-to`: `local@domain`.
pub(crate) fn parse_forward_address(s: &str) -> VResult<String> {
    let s = s.trim().trim_start_matches('<').trim_end_matches('>');
    match s.rsplit_once('@') {
        Some((l, d)) if !l.is_empty() && crate::values::is_hostname(d) => Ok(s.to_string()),
        _ => bad(0, format!("'{s}' is not an address (local@domain)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_forms() {
        let e = |s| parse_address_entry(s).unwrap();
        assert!(e("Bounces@Example.COM").matches("bounces@example.com", "bounces", "example.com"));
        assert!(e("/^fbl-.*@/").matches("fbl-x@a.example", "fbl-x", "a.example"));
        assert!(e("abuse").matches("abuse@any.example", "abuse", "any.example"));
        assert!(!e("abuse").matches("other@any.example", "other", "any.example"));
        assert!(parse_address_entry("a@").is_err());
        assert!(parse_address_entry("/(/").is_err());
        assert!(parse_forward_address("x@y.example").is_ok());
        assert!(parse_forward_address("nobody").is_err());
    }
}
