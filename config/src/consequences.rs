//! What a valid configuration will do that its author probably did not mean: lines for
//! `pmtad --check-config`, after the errors and warnings.
//!
//! A real config can load with no error and still deliver nothing: no source may relay, a
//! `<domain>` block never applies because another one wins every directive it sets, DKIM is
//! switched on with no key to sign with. Each line names the place and the consequence.

use crate::diag::Span;
use crate::global::Config;
use crate::queue::{DomainBlock, Entry, as_bool, as_text};
use crate::source::SourceBlock;
use crate::table::idx;
use crate::values::DomainPattern;

const ALWAYS_ALLOW_RELAYING: usize = idx("always-allow-relaying");
const DKIM_SIGN: usize = idx("dkim-sign");
const DKIM_IDENTITY: usize = idx("dkim-identity");

/// One consequence: where, and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consequence {
    pub span: Option<Span>,
    pub message: String,
}

impl std::fmt::Display for Consequence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.span {
            Some(s) => write!(f, "{s}: consequence: {}", self.message),
            None => write!(f, "consequence: {}", self.message),
        }
    }
}

impl Config {
    /// Every consequence of this configuration worth a line (empty for a sound config).
    pub fn consequences(&self) -> Vec<Consequence> {
        let mut out = Vec::new();
        out.extend(no_relaying(self));
        out.extend(shadowed_blocks(&self.domains.blocks));
        out.extend(unsigned_dkim(self));
        out.extend(unrecorded_reports(self));
        out
    }
}

/// A processor whose matched reports no `<acct-file>` records: they are parsed, listed by
/// `show bounces` / `show feedback`, and then lost to the suppression jobs that read the
/// accounting files.
fn unrecorded_reports(cfg: &Config) -> Vec<Consequence> {
    use crate::model::RecordType as R;
    let takes = |t: R| cfg.acct_files.iter().any(|f| f.records.contains(&t));
    let mut out = Vec::new();
    let procs = [
        (cfg.bounce_processor.as_ref(), R::RemoteBounce, "rb"),
        (cfg.feedback_loop_processor.as_ref(), R::FeedbackLoop, "f"),
    ];
    for (p, t, code) in procs {
        let Some(p) = p.filter(|_| !takes(t)) else {
            continue;
        };
        let tag = match p.kind {
            crate::processor::ProcessorKind::Bounce => "bounce-processor",
            crate::processor::ProcessorKind::FeedbackLoop => "feedback-loop-processor",
        };
        out.push(Consequence {
            span: Some(p.span.clone()),
            message: format!(
                "<{tag}>: no <acct-file> has '{code}' in its records, so the reports it \
                 matches are written to no accounting file (only show bounces/feedback list them)"
            ),
        });
    }
    out
}

/// No `<source>` sets `always-allow-relaying yes`: only mail for the relay domains, the
/// host name and local domains is accepted, from anyone.
fn no_relaying(cfg: &Config) -> Option<Consequence> {
    let relays = |b: &SourceBlock| {
        b.entries
            .iter()
            .any(|e| e.slot == ALWAYS_ALLOW_RELAYING && as_bool(&e.value))
    };
    if cfg.sources.blocks.iter().any(relays) {
        return None;
    }
    let accepted = if cfg.relay_domains.is_empty() {
        "the host name and local domains".to_string()
    } else {
        let list: Vec<String> = cfg.relay_domains.iter().map(|p| p.to_string()).collect();
        format!(
            "relay-domain {}, the host name and local domains",
            list.join(", ")
        )
    };
    Some(Consequence {
        span: None,
        message: format!(
            "no source may relay: no <source> sets always-allow-relaying yes, so mail is \
             accepted only for {accepted}"
        ),
    })
}

/// A block whose every directive is also set by a block that always wins over it: a later
/// block of the same pattern and scope, or (for `[*.]x`) both `x` and `*.x` in its scope.
fn shadowed_blocks(blocks: &[DomainBlock]) -> Vec<Consequence> {
    let mut out = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        let Some(first) = b.entries.first() else {
            continue;
        };
        let later_same = blocks[i + 1..]
            .iter()
            .find(|c| c.scope == b.scope && c.pattern == b.pattern && sets_all(c, b));
        let shadow = match later_same {
            Some(c) => Some(format!(
                "by the later <domain {}> at {}",
                c.pattern,
                place(c)
            )),
            None => both_halves(blocks, b),
        };
        if let Some(by) = shadow {
            out.push(Consequence {
                span: Some(first.span.clone()),
                message: format!(
                    "<domain {}> never applies: every directive it sets is set {by}",
                    b.pattern
                ),
            });
        }
    }
    out
}

/// `[*.]x` loses to `x` for x itself and to `*.x` for every subdomain.
fn both_halves(blocks: &[DomainBlock], b: &DomainBlock) -> Option<String> {
    let DomainPattern::SelfAndSubdomains(s) = &b.pattern else {
        return None;
    };
    let find = |p: DomainPattern| {
        blocks
            .iter()
            .find(|c| c.scope == b.scope && c.pattern == p && sets_all(c, b))
    };
    let exact = find(DomainPattern::Exact(s.clone()))?;
    let subs = find(DomainPattern::Subdomains(s.clone()))?;
    Some(format!(
        "by <domain {s}> at {} and <domain *.{s}> at {}",
        place(exact),
        place(subs)
    ))
}

fn sets_all(winner: &DomainBlock, loser: &DomainBlock) -> bool {
    let has = |e: &Entry| winner.entries.iter().any(|w| w.slot == e.slot);
    loser.entries.iter().all(has)
}

fn place(b: &DomainBlock) -> String {
    b.entries
        .first()
        .map(|e| format!("{}:{}", e.span.file, e.span.line))
        .unwrap_or_else(|| "?".into())
}

/// `dkim-sign yes` where no `domain-key` can sign: none at all, or none for the domain of
/// an explicit `dkim-identity @domain`.
fn unsigned_dkim(cfg: &Config) -> Vec<Consequence> {
    let keys: Vec<&crate::model::DomainKey> = cfg
        .domain_keys
        .iter()
        .chain(cfg.virtual_mtas.values().flat_map(|v| &v.domain_keys))
        .chain(cfg.pools.values().flat_map(|p| &p.domain_keys))
        .collect();
    let mut out = Vec::new();
    for b in &cfg.domains.blocks {
        let Some(sign) = b
            .entries
            .iter()
            .find(|e| e.slot == DKIM_SIGN && as_bool(&e.value))
        else {
            continue;
        };
        let identity = b
            .entries
            .iter()
            .find(|e| e.slot == DKIM_IDENTITY)
            .and_then(|e| as_text(&e.value));
        let domain = identity
            .as_deref()
            .and_then(|i| i.rsplit_once('@'))
            .map(|(_, d)| d.to_ascii_lowercase());
        let message = match &domain {
            _ if keys.is_empty() => format!(
                "<domain {}> has dkim-sign yes but no domain-key is configured: its mail goes \
                 out unsigned",
                b.pattern
            ),
            Some(d) if !keys.iter().any(|k| k.covers(d)) => format!(
                "<domain {}> signs as @{d} (dkim-identity) but no domain-key covers {d}: its \
                 mail goes out unsigned",
                b.pattern
            ),
            _ => continue,
        };
        out.push(Consequence {
            span: Some(sign.span.clone()),
            message,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::load_str;

    fn lines(text: &str) -> Vec<String> {
        let cfg = load_str(text, "t.conf").expect("loads").config;
        cfg.consequences().iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_config_where_no_source_relays_says_so() {
        let l = lines("relay-domain example.com\n<source 0/0>\n  smtp-service yes\n</source>\n");
        assert_eq!(l.len(), 1, "{l:?}");
        assert!(
            l[0].starts_with("consequence: no source may relay"),
            "{l:?}"
        );
        assert!(l[0].contains("relay-domain example.com"), "{l:?}");
        let ok = lines("<source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n");
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn shadowed_domain_blocks_are_named_with_the_winner() {
        let text = "<source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n\
                    <domain a.com>\n  max-smtp-out 2\n</domain>\n\
                    <domain a.com>\n  max-smtp-out 3\n  retry-after 1m\n</domain>\n\
                    <domain [*.]b.com>\n  max-smtp-out 2\n</domain>\n\
                    <domain b.com>\n  max-smtp-out 3\n</domain>\n\
                    <domain *.b.com>\n  max-smtp-out 4\n</domain>\n";
        let l = lines(text);
        assert_eq!(l.len(), 2, "{l:?}");
        assert!(
            l[0].starts_with("t.conf:5:")
                && l[0].contains("by the later <domain a.com> at t.conf:8"),
            "{l:?}"
        );
        assert!(
            l[1].contains("<domain [*.]b.com> never applies")
                && l[1].contains("<domain b.com> at t.conf:15"),
            "{l:?}"
        );
    }

    #[test]
    fn a_processor_without_its_record_type_in_any_acct_file_says_so() {
        let base = "<source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n\
                    <bounce-processor>\n<address-list>\naddress b@x.example\n</address-list>\n\
                    </bounce-processor>\n";
        let l = lines(base);
        assert_eq!(l.len(), 1, "{l:?}");
        assert!(
            l[0].starts_with("t.conf:4:") && l[0].contains("'rb'"),
            "{l:?}"
        );
        let with = format!("{base}<acct-file /tmp/a.csv>\n  records d,b,rb\n</acct-file>\n");
        assert!(lines(&with).is_empty());
    }

    #[test]
    fn dkim_without_a_key_is_unsigned_mail() {
        let text = "<source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n\
                    <domain *>\n  dkim-sign yes\n</domain>\n";
        let l = lines(text);
        assert_eq!(l.len(), 1, "{l:?}");
        assert!(l[0].contains("no domain-key is configured"), "{l:?}");
    }
}
