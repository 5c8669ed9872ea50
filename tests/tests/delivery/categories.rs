//! Bounce categories end to end: one engine gives the accounting `bounceCat` of `b` and `t`
//! records, the DSN's `X-PowerMTA-BounceCategory` and `domain detail`'s recent errors.

use super::harness::*;
use super::limits::ctl_until;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{SmtpSink, reply};

#[tokio::test]
async fn a_550_spam_reply_is_spam_related_in_accounting_and_the_dsn() {
    let sink = sink_on(
        "127.0.0.160",
        SmtpSink::builder().on_rcpt(
            "junk@cat.test",
            reply(550, "5.7.1 Message rejected as spam by content filter"),
        ),
    )
    .await;
    let dns = TestDns::builder()
        .a("cat.test", "127.0.0.160")
        .a("src.test", "127.0.0.160")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    world
        .inject(&[msg("sender@src.test", &["junk@cat.test"], 1)])
        .await;
    wait_for(|| world.acct().iter().any(|r| r["type"] == "b")).await;
    let b: Vec<_> = world
        .acct()
        .into_iter()
        .filter(|r| r["type"] == "b")
        .collect();
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0]["bounceCat"], "spam-related", "{b:?}");
    assert!(b[0]["dsnStatus"].starts_with("5.7.1"), "{b:?}");
    sink.wait_until(WAIT, |s| {
        s.messages().iter().any(|m| m.mail_from.is_empty())
    })
    .await
    .expect("a DSN");
    let dsn = sink
        .messages()
        .into_iter()
        .find(|m| m.mail_from.is_empty())
        .unwrap();
    let text = String::from_utf8_lossy(&dsn.data);
    assert!(
        text.contains("X-PowerMTA-BounceCategory: spam-related"),
        "{text}"
    );
}

#[tokio::test]
async fn configured_patterns_come_first_for_t_records_and_domain_detail() {
    let sink = sink_on(
        "127.0.0.161",
        SmtpSink::builder().on_rcpt("slow@cat2.test", reply(451, "4.7.1 Greylisted, Try Later")),
    )
    .await;
    let dns = TestDns::builder()
        .a("cat2.test", "127.0.0.161")
        .start()
        .await
        .unwrap();
    // `\S` keeps its case (a lower-cased `\s` would not match "Greylisted,").
    let cfg = base_config(&dns, sink.addr().port())
        + "<bounce-category-patterns>\n  /grey\\S+, try/ greylisting\n  /spam/ not-this-one\n</bounce-category-patterns>\n";
    let world = World::start(&cfg);
    world.inject(&[msg("", &["slow@cat2.test"], 1)]).await;
    wait_for(|| world.acct().iter().any(|r| r["type"] == "t")).await;
    let t = world.acct().into_iter().find(|r| r["type"] == "t").unwrap();
    assert_eq!(t["bounceCat"], "greylisting", "{t:?}");
    let d = ctl_until(&world, &["domain", "detail", "cat2.test"], |v| {
        v["queues"][0]["recent_errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    })
    .await;
    let e = &d["queues"][0]["recent_errors"][0];
    assert_eq!(e["category"], "greylisting", "{e:#}");
    let text = world.pmtad.pmtactl(&["domain", "detail", "cat2.test"]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("greylisting"), "{out}");
}
