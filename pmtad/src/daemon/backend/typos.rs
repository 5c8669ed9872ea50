//! Typo checks of the operator's queue patterns.
//!
//! A pause of `gmial.com` must not be refused (pausing a domain before its first mail is a
//! real need), but it must not pass silently either: the operator would believe gmail.com
//! held. So a pattern whose domain part matches no configured and no queued domain (or whose
//! virtual MTA part names no configured or queued virtual MTA) is accepted with a warning
//! naming the closest known name.

use config::Config;
use proto::QueuePattern;

use crate::daemon::State;
use crate::envelope::DEFAULT_VMTA;

/// The warning for `pattern`, or `None` when it names something the daemon knows.
pub fn unknown_target(st: &State, cfg: &Config, pattern: &QueuePattern) -> Option<String> {
    let (domains, vmtas) = known_names(st, cfg);
    if !domain_known(cfg, &domains, &pattern.domain) {
        return Some(warning(
            "no configured or queued domain matches",
            &pattern.domain,
            &domains,
        ));
    }
    if !vmta_known(&vmtas, &pattern.vmta) {
        return Some(warning(
            "no configured or queued virtual MTA matches",
            &pattern.vmta,
            &vmtas,
        ));
    }
    None
}

/// The known domain closest to `domain`, for "did you mean" on an unknown one.
pub fn closest_domain(st: &State, cfg: &Config, domain: &str) -> Option<String> {
    let (domains, _) = known_names(st, cfg);
    config::suggest(domain, domains.iter().map(String::as_str)).map(str::to_string)
}

fn warning(what: &str, name: &str, candidates: &[String]) -> String {
    let guess = config::suggest(name, candidates.iter().map(String::as_str))
        .map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default();
    format!("{what} {name}{guess}; the order is kept and applies to such queues once they exist")
}

/// Domain names (queued, and the literal part of configured patterns) and virtual MTA names
/// (configured, pools, queued, `{default}`).
fn known_names(st: &State, cfg: &Config) -> (Vec<String>, Vec<String>) {
    let mut domains: Vec<String> = cfg
        .domain_patterns()
        .into_iter()
        .filter(|p| p != "*")
        .map(|p| literal_part(&p).to_string())
        .chain(
            cfg.relay_domains
                .iter()
                .map(|p| literal_part(&p.to_string()).to_string()),
        )
        .collect();
    let mut vmtas: Vec<String> = cfg
        .virtual_mtas
        .keys()
        .chain(cfg.pools.keys())
        .cloned()
        .chain([DEFAULT_VMTA.to_string()])
        .collect();
    for i in 0..st.index.len() {
        let Some(q) = st.index.queue_at(i) else {
            continue;
        };
        let (d, v) = st.index.names_of(q);
        domains.push(d.to_string());
        vmtas.push(v.to_string());
    }
    domains.sort();
    domains.dedup();
    vmtas.sort();
    vmtas.dedup();
    (domains, vmtas)
}

/// `*.example.com` and `[*.]example.com` name example.com's family.
fn literal_part(pattern: &str) -> &str {
    pattern
        .strip_prefix("[*.]")
        .or_else(|| pattern.strip_prefix("*."))
        .unwrap_or(pattern)
}

fn domain_known(cfg: &Config, names: &[String], domain: &str) -> bool {
    if domain.chars().all(|c| c == '*') || (!domain.contains('*') && cfg.names_domain(domain)) {
        return true;
    }
    let glob = QueuePattern {
        domain: domain.to_string(),
        vmta: "*".into(),
    };
    names.iter().any(|n| glob.matches_domain(n))
}

fn vmta_known(names: &[String], vmta: &str) -> bool {
    let glob = QueuePattern {
        domain: "*".into(),
        vmta: vmta.to_string(),
    };
    names.iter().any(|n| glob.matches("x", n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        let text = "<virtual-mta vmta1>\n</virtual-mta>\n\
                    <domain gmail.com>\n  max-smtp-out 2\n</domain>\n\
                    <domain *.example.com>\n  max-smtp-out 2\n</domain>\n\
                    <domain *>\n  max-smtp-out 2\n</domain>\n";
        config::load_str(text, "t.conf").unwrap().config
    }

    fn check(p: &str) -> Option<String> {
        unknown_target(&State::default(), &cfg(), &QueuePattern::parse(p).unwrap())
    }

    #[test]
    fn configured_names_and_wildcards_pass() {
        for p in [
            "gmail.com",
            "gmail.*/*",
            "a.example.com/vmta1",
            "*/*",
            "*/{default}",
        ] {
            assert_eq!(check(p), None, "{p}");
        }
    }

    #[test]
    fn a_typo_is_named_with_the_closest_name() {
        let w = check("gmial.com").unwrap();
        assert!(w.contains("gmial.com (did you mean gmail.com?)"), "{w}");
        let w = check("gmail.com/vmat1").unwrap();
        assert!(w.contains("did you mean vmta1?"), "{w}");
        let w = check("zzzzzz.org").unwrap();
        assert!(!w.contains("did you mean"), "{w}");
    }
}
