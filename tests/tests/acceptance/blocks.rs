//! Block rules of spec.md §1: domain pattern specificity, `<domain>` inside `<virtual-mta>`,
//! virtual MTA selection, `<source>` longest prefix.

use std::net::SocketAddr;

use pmta_tests::sink::SmtpSink;

use super::world::*;

fn route(addr: SocketAddr) -> String {
    format!("route [{}]:{}", addr.ip(), addr.port())
}

/// `*` < `*.x` < exact, per directive and whatever the order in the file: the blocks below
/// are written most specific first. `route` picks the sink; the exact block of
/// `merged.sub.test` sets only another directive, so the wildcard's route still applies.
/// `[*.]dual.test` covers the domain and its subdomains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_domain_pattern_specificity() {
    let n = 170;
    let star = sink_at(ip(2, n), 0, SmtpSink::builder()).await;
    let wild = sink_at(ip(3, n), 0, SmtpSink::builder()).await;
    let exact = sink_at(ip(4, n), 0, SmtpSink::builder()).await;
    let dual = sink_at(ip(5, n), 0, SmtpSink::builder()).await;
    let w = World::builder(n)
        .extra(&format!(
            "<domain exact.sub.test>\n  {}\n</domain>\n\
             <domain merged.sub.test>\n  max-msg-per-connection 1\n</domain>\n\
             <domain *.sub.test>\n  {}\n  max-msg-per-connection 5\n</domain>\n\
             <domain [*.]dual.test>\n  {}\n</domain>\n\
             <domain *>\n  {}\n</domain>\n",
            route(exact.addr()),
            route(wild.addr()),
            route(dual.addr()),
            route(star.addr()),
        ))
        .start()
        .await;
    w.inject_ok(&each(&[
        "a@other.test",
        "b@x.sub.test",
        "c@exact.sub.test",
        "d@merged.sub.test",
        "e@dual.test",
        "f@x.dual.test",
    ]))
    .await;
    for (sink, n) in [(&star, 1), (&wild, 2), (&exact, 1), (&dual, 2)] {
        sink.wait_for_messages(n, WAIT).await.unwrap();
    }
    assert_eq!(rcpts_of(&star), ["a@other.test"]);
    assert_eq!(rcpts_of(&wild), ["b@x.sub.test", "d@merged.sub.test"]);
    assert_eq!(rcpts_of(&exact), ["c@exact.sub.test"]);
    assert_eq!(rcpts_of(&dual), ["e@dual.test", "f@x.dual.test"]);
    let s = w.json(&["show", "settings", "merged.sub.test"]);
    let mpc = find(&s["queue_settings"], "name", "max-msg-per-connection");
    assert_eq!(mpc["value"], "1", "{mpc}");
}

/// gmail.com has a top-level block written after the `<virtual-mta domain-specific>` one of
/// the example: the virtual MTA's block still wins for its queue (scope before specificity
/// and file order), the top-level one applies to the `{default}` queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_vmta_domain_overrides_top_level() {
    let n = 171;
    let smart = sink_at(ip(2, n), 0, SmtpSink::builder()).await;
    let top = sink_at(ip(3, n), 0, SmtpSink::builder()).await;
    let w = World::builder(n)
        .alt4(smart.addr())
        .extra(&format!(
            "<domain gmail.com>\n  max-smtp-out 3\n  {}\n</domain>\n",
            route(top.addr())
        ))
        .start()
        .await;
    w.inject_ok(&[
        msg_with(
            "X-Virtual-MTA: domain-specific",
            "s@src.test",
            &["a@gmail.com"],
            1,
        ),
        msg("s@src.test", &["b@gmail.com"], 2),
    ])
    .await;
    smart.wait_for_messages(1, WAIT).await.unwrap();
    top.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(rcpts_of(&smart), ["a@gmail.com"]);
    assert_eq!(rcpts_of(&top), ["b@gmail.com"]);
    let vm = w.json(&["show", "settings", "gmail.com/domain-specific"]);
    let max = find(&vm["queue_settings"], "name", "max-smtp-out");
    assert_eq!(max["value"], "20", "{max}");
    let line = config_line(&w, "max-smtp-out 20");
    assert!(
        max["origin"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{line}")),
        "{max}"
    );
    let dflt = w.json(&["show", "settings", "gmail.com"]);
    assert_eq!(
        find(&dflt["queue_settings"], "name", "max-smtp-out")["value"],
        "3"
    );
}

/// `X-Virtual-MTA:` picks the virtual MTA when the source allows it (and is removed);
/// otherwise the source's `default-virtual-mta`; otherwise `{default}`. The virtual MTA shows
/// as the address the sink sees (`bind-to-source-ip`) and in the accounting queue field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_virtual_mta_selection() {
    let n = 172;
    let feeder = ip(7, n);
    let w = World::builder(n)
        .extra(&format!(
            "<source {feeder}/32>\n  always-allow-relaying yes\n  default-virtual-mta domain-specific\n</source>\n"
        ))
        .start()
        .await;
    let header = "X-Virtual-MTA: domain-specific";
    w.inject_ok(&[
        msg_with(header, "s@src.test", &["by-header@example.com"], 1),
        msg("s@src.test", &["plain@example.com"], 2),
    ])
    .await;
    let r = w
        .inject_from(
            feeder,
            &[
                msg("s@src.test", &["by-default@example.com"], 3),
                msg_with(
                    "X-Virtual-MTA: nosuch",
                    "s@src.test",
                    &["ignored@example.com"],
                    4,
                ),
            ],
        )
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    let msgs = w.wait_delivered(4).await;
    let peer = |rcpt: &str| {
        let m = msgs.iter().find(|m| m.rcpts[0] == rcpt).unwrap();
        (
            m.peer.ip(),
            String::from_utf8_lossy(&m.data).contains("X-Virtual-MTA"),
        )
    };
    assert_eq!(peer("by-header@example.com"), (ip(1, n), false));
    assert_ne!(peer("plain@example.com").0, ip(1, n));
    assert_eq!(peer("by-default@example.com").0, ip(1, n));
    assert_eq!(
        peer("ignored@example.com").0,
        ip(1, n),
        "the feeder's source does not process X-Virtual-MTA"
    );
    let rows = w.wait_acct(|r| r.len() >= 4).await;
    let queue = |rcpt: &str| {
        rows.iter()
            .find(|r| r["rcpt"] == rcpt)
            .map(|r| r["queue"].clone())
            .unwrap()
    };
    assert_eq!(
        queue("by-header@example.com"),
        "example.com/domain-specific"
    );
    assert_eq!(queue("plain@example.com"), "example.com/{default}");
}

/// `<source CIDR>`: the longest matching prefix wins. 127.0.8.n/32 may relay although
/// 127.0.8.0/24 may not; the rest of 127.0.0.0/8 relays through the `domain-specific` virtual
/// MTA; `0/0` (the default) does not relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_source_longest_prefix() {
    let n = 173;
    let w = World::builder(n)
        .extra(&format!(
            "<source {host}/32>\n  always-allow-relaying yes\n</source>\n\
             <source 127.0.8.0/24>\n  always-allow-relaying no\n</source>\n\
             <source 127.0.0.0/8>\n  always-allow-relaying yes\n  default-virtual-mta domain-specific\n</source>\n\
             <source 0/0>\n  always-allow-relaying no\n</source>\n",
            host = ip(8, n)
        ))
        .start()
        .await;
    let one = |rcpt: &str| vec![msg("s@src.test", &[rcpt], 1)];
    let host = w.inject_from(ip(8, n), &one("host@example.com")).await;
    assert_eq!(host[0].code, 250, "{host:?}");
    let net = w.inject_from(ip(8, n + 1), &one("net@example.com")).await;
    assert!(net[0].code >= 500, "relaying denied: {net:?}");
    let wide = w.inject_from(ip(9, n), &one("wide@example.com")).await;
    assert_eq!(wide[0].code, 250, "{wide:?}");
    let msgs = w.wait_delivered(2).await;
    let by = |rcpt: &str| {
        msgs.iter()
            .find(|m| m.rcpts[0] == rcpt)
            .map(|m| m.peer.ip())
    };
    assert_eq!(by("wide@example.com"), Some(ip(1, n)));
    assert!(by("host@example.com").is_some());
    assert_eq!(w.delivered(), ["host@example.com", "wide@example.com"]);
}
