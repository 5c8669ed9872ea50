//! Where mail goes and how: `smtp-port`, `route`, `resolve-to`, `tls`, observed at sinks.

use pmta_tests::certs::self_signed_server;
use pmta_tests::sink::SmtpSink;

use super::world::*;

/// example.com with its own `smtp-port`: its mail reaches the sink on that port, while
/// gmail.com keeps the port of `<domain *>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_smtp_port() {
    let n = 110;
    let other = sink_at(ip(0, n), 0, SmtpSink::builder()).await;
    let w = World::builder(n)
        .extra(&format!(
            "<domain example.com>\n  smtp-port {}\n</domain>\n",
            other.addr().port()
        ))
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com"])).await;
    other.wait_for_messages(1, WAIT).await.unwrap();
    w.wait_delivered(1).await;
    assert_eq!(rcpts_of(&other), ["a@example.com"]);
    assert_eq!(w.delivered(), ["b@gmail.com"]);
}

/// The example's `route alt4.gmail-smtp-in.l.google.com:25` (a name, resolved by A) for
/// gmail.com through the `domain-specific` virtual MTA, and a `route [IP]:PORT` literal for
/// example.com: both skip the MX hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_route() {
    let n = 111;
    let smart = sink_at(ip(2, n), 0, SmtpSink::builder()).await;
    let literal = sink_at(ip(3, n), 0, SmtpSink::builder()).await;
    let w = World::builder(n)
        .alt4(smart.addr())
        .extra(&format!(
            "<domain example.com>\n  route [{}]:{}\n</domain>\n",
            literal.addr().ip(),
            literal.addr().port()
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
        msg("s@src.test", &["c@example.com"], 3),
    ])
    .await;
    smart.wait_for_messages(1, WAIT).await.unwrap();
    literal.wait_for_messages(1, WAIT).await.unwrap();
    w.wait_delivered(1).await;
    assert_eq!(rcpts_of(&smart), ["a@gmail.com"]);
    assert_eq!(rcpts_of(&literal), ["c@example.com"]);
    assert_eq!(
        w.delivered(),
        ["b@gmail.com"],
        "without the virtual MTA: the MX"
    );
    assert_eq!(
        smart.messages()[0].peer.ip(),
        ip(1, n),
        "from the virtual MTA's address"
    );
    let d = w.json(&["domain", "detail", "example.com"]);
    assert_eq!(d["queues"][0]["destinations"]["source"], "route", "{d:#}");
}

/// example.com with `resolve-to`: no MX lookup, the connection goes to that address (on the
/// domain's port), not to the MX (the main sink).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_resolve_to() {
    let n = 112;
    let pinned = sink_at(ip(2, n), 0, SmtpSink::builder()).await;
    let w = World::builder(n)
        .extra(&format!(
            "<domain example.com>\n  resolve-to {}\n  smtp-port {}\n</domain>\n",
            pinned.addr().ip(),
            pinned.addr().port()
        ))
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com"])).await;
    pinned.wait_for_messages(1, WAIT).await.unwrap();
    w.wait_delivered(1).await;
    assert_eq!(rcpts_of(&pinned), ["a@example.com"]);
    assert_eq!(w.delivered(), ["b@gmail.com"]);
    assert_eq!(w.dns.queries("example.com"), 0, "the MX lookup is skipped");
    assert!(w.dns.queries("gmail.com") > 0);
}

/// `tls required` toward a server without STARTTLS: never sent, a transient failure naming
/// STARTTLS; `tls optional` uses STARTTLS when offered and falls back to plain text when the
/// handshake fails; `tls no` sends in plain text although STARTTLS is offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_tls() {
    let n = 113;
    let tls = self_signed_server(&["mx.tls.test"]).unwrap();
    let tls_sink = sink_at(ip(2, n), 0, SmtpSink::builder().starttls(tls)).await;
    let broken = sink_at(ip(3, n), 0, SmtpSink::builder().starttls_broken()).await;
    let (t, b) = (tls_sink.addr(), broken.addr());
    let w = World::builder(n)
        .extra(&format!(
            "<domain example.com>\n  tls required\n</domain>\n\
             <domain opt.test>\n  tls optional\n  resolve-to {}\n  smtp-port {}\n</domain>\n\
             <domain never.test>\n  tls no\n  resolve-to {}\n  smtp-port {}\n</domain>\n\
             <domain fallback.test>\n  tls optional\n  resolve-to {}\n  smtp-port {}\n</domain>\n",
            t.ip(),
            t.port(),
            t.ip(),
            t.port(),
            b.ip(),
            b.port()
        ))
        .start()
        .await;
    w.inject_ok(&each(&[
        "a@example.com",
        "b@opt.test",
        "c@never.test",
        "d@fallback.test",
    ]))
    .await;
    tls_sink.wait_for_messages(2, WAIT).await.unwrap();
    let got = tls_sink.messages();
    let by = |r: &str| got.iter().find(|m| m.rcpts[0] == r).unwrap().tls;
    assert!(by("b@opt.test"), "optional + offered = TLS");
    assert!(!by("c@never.test"), "no = plain text");
    let fb = broken.wait_for_messages(1, WAIT).await.unwrap();
    assert!(!fb[0].tls, "optional falls back to plain text");
    let rows = w
        .wait_acct(|r| {
            r.iter()
                .any(|r| r["rcpt"] == "a@example.com" && r["type"] == "t")
        })
        .await;
    let t = rows
        .iter()
        .find(|r| r["rcpt"] == "a@example.com" && r["type"] == "t")
        .unwrap();
    assert!(t["dsnDiag"].to_lowercase().contains("starttls"), "{t:?}");
    assert!(w.delivered().is_empty(), "required: never in plain text");
    assert!(
        w.sink.state().transactions == 0,
        "not even MAIL FROM in plain text"
    );
}
