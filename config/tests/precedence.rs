//! Which `<domain>` block wins: scope first (virtual MTA > pool > top level), then
//! specificity (`*` < `[*.]x` < `*.x` < exact), per directive, whatever the file order.

mod common;

use common::*;
use config::{Config, DEFAULT_VMTA};

fn q(cfg: &Config, domain: &str, vmta: &str) -> (u64, String) {
    let p = cfg.queue(domain, vmta);
    (p.max_smtp_out, config_retry(&p))
}

fn config_retry(p: &config::QueuePolicy) -> String {
    p.retry_after
        .iter()
        .map(|d| d.as_secs().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

const BLOCKS: [&str; 4] = [
    "<domain *>\nmax-smtp-out 1\nretry-after 1\n</domain>\n",
    "<domain [*.]port25.com>\nmax-smtp-out 2\n</domain>\n",
    "<domain *.port25.com>\nmax-smtp-out 3\nretry-after 3\n</domain>\n",
    "<domain discard.port25.com>\nmax-smtp-out 4\n</domain>\n",
];

#[test]
fn specificity_merges_per_directive_in_any_file_order() {
    let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]];
    for order in orders {
        let text: String = order.iter().map(|&i| BLOCKS[i]).collect();
        let cfg = load(&text).config;
        assert_eq!(
            q(&cfg, "discard.port25.com", DEFAULT_VMTA),
            (4, "3".into()),
            "{order:?}"
        );
        assert_eq!(
            q(&cfg, "a.port25.com", DEFAULT_VMTA),
            (3, "3".into()),
            "{order:?}"
        );
        assert_eq!(
            q(&cfg, "port25.com", DEFAULT_VMTA),
            (2, "1".into()),
            "{order:?}"
        );
        assert_eq!(
            q(&cfg, "other.com", DEFAULT_VMTA),
            (1, "1".into()),
            "{order:?}"
        );
    }
}

#[test]
fn the_guides_worked_example() {
    // powermta.md §3.5: discard.port25.com gets 1h + log-commands; a.port25.com 4d +
    // log-commands; port25.com 4d without log-commands.
    let cfg = load(
        "<domain discard.port25.com>\nbounce-after 1h\n</domain>\n<domain *.port25.com>\nlog-commands yes\n</domain>\n\
         <domain [*.]port25.com>\nbounce-after 4d\n</domain>\n<domain *>\nbounce-after 4d\n</domain>\n",
    )
    .config;
    let get = |d: &str| {
        let p = cfg.queue(d, DEFAULT_VMTA);
        (p.bounce_after.as_secs() / 3600, p.log_commands)
    };
    assert_eq!(get("discard.port25.com"), (1, true));
    assert_eq!(get("a.port25.com"), (96, true));
    assert_eq!(get("port25.com"), (96, false));
}

#[test]
fn longer_wildcard_suffix_beats_shorter() {
    let cfg = load("<domain *.b.example>\nmax-smtp-out 7\n</domain>\n<domain *.example>\nmax-smtp-out 5\n</domain>\n").config;
    assert_eq!(cfg.queue("a.b.example", DEFAULT_VMTA).max_smtp_out, 7);
    assert_eq!(cfg.queue("a.c.example", DEFAULT_VMTA).max_smtp_out, 5);
}

#[test]
fn scope_beats_specificity() {
    let text = "<domain gmail.com>\nmax-smtp-out 5\nmax-msg-rate 9/h\n</domain>\n\
        <virtual-mta v1>\n<domain *>\nmax-smtp-out 11\n</domain>\n</virtual-mta>\n\
        <virtual-mta v2>\n</virtual-mta>\n\
        <virtual-mta-pool p>\nvirtual-mta v2\n<domain *>\nmax-smtp-out 13\n</domain>\n</virtual-mta-pool>\n\
        <virtual-mta v3>\n<domain [*.]gmail.com>\nmax-smtp-out 17\n</domain>\n</virtual-mta>\n\
        <virtual-mta-pool p3>\nvirtual-mta v3\n<domain gmail.com>\nmax-smtp-out 19\n</domain>\n</virtual-mta-pool>\n";
    let cfg = load(text).config;
    let get = |v: &str| {
        let p = cfg.queue("gmail.com", v);
        (p.max_smtp_out, p.max_msg_rate.map(|r| r.count))
    };
    assert_eq!(get(DEFAULT_VMTA), (5, Some(9)));
    assert_eq!(
        get("v1"),
        (11, Some(9)),
        "vmta <domain *> beats a global exact block; others inherited"
    );
    assert_eq!(get("v2"), (13, Some(9)), "pool scope beats global");
    assert_eq!(get("v3"), (17, Some(9)), "vmta scope beats pool scope");
    assert_eq!(
        get("p"),
        (13, Some(9)),
        "a pool name resolves with the pool's blocks"
    );
    let s = cfg.settings("gmail.com", "v1");
    assert_eq!(line(setting(&s, "max-smtp-out")), Some(7));
    assert_eq!(line(setting(&s, "max-msg-rate")), Some(3));
}

#[test]
fn empty_quotes_clear_an_inherited_value() {
    let cfg = load(
        "<domain *>\nroute relay.example\nmax-msg-rate 5/s\n</domain>\n<domain b.com>\nroute \"\"\nmax-msg-rate \"\"\n</domain>\n",
    )
    .config;
    assert!(cfg.queue("a.com", DEFAULT_VMTA).route.is_some());
    let b = cfg.queue("b.com", DEFAULT_VMTA);
    assert_eq!((b.route, b.max_msg_rate), (None, None));
    let s = cfg.settings("b.com", DEFAULT_VMTA);
    assert_eq!(
        (
            setting(&s, "route").value.as_str(),
            line(setting(&s, "route"))
        ),
        ("", Some(6))
    );
    assert_eq!(setting(&s, "max-msg-rate").value, "unlimited");
}

#[test]
fn later_duplicate_in_one_block_wins() {
    let cfg = load("<domain a.com>\nmax-smtp-out 1\nmax-smtp-out 2\n</domain>\n<domain a.com>\nmax-smtp-out 3\n</domain>\n").config;
    assert_eq!(cfg.queue("A.Com", DEFAULT_VMTA).max_smtp_out, 3);
}

#[test]
fn tls_forms_combine_by_precedence() {
    let cfg = load(
        "<domain *>\nrequire-starttls yes\n</domain>\n<domain a.com>\nuse-starttls no\n</domain>\n\
         <domain b.com>\ntls optional\n</domain>\n<domain c.com>\nuse-starttls yes\n</domain>\n",
    )
    .config;
    use config::TlsMode::*;
    let t = |d: &str| cfg.queue(d, DEFAULT_VMTA).tls;
    assert_eq!(
        (t("x.com"), t("a.com"), t("b.com"), t("c.com")),
        (Required, No, Optional, Required)
    );
}
