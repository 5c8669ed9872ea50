//! Delay notices: a recipient that asked for NOTIFY=DELAY and keeps getting 4xx past
//! `notify-of-delay-every` gets one RFC 3464 `Action: delayed` DSN per period.

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{SmtpSink, reply};

#[tokio::test]
async fn a_4xx_past_notify_of_delay_every_gives_exactly_one_delay_dsn() {
    let sink = sink_on(
        "127.0.0.162",
        SmtpSink::builder()
            .on_rcpt("wait@slow.test", reply(451, "4.7.1 try again later"))
            .on_rcpt("quiet@slow.test", reply(451, "4.7.1 try again later")),
    )
    .await;
    let dns = TestDns::builder()
        .a("slow.test", "127.0.0.162")
        .a("src.test", "127.0.0.162")
        .start()
        .await
        .unwrap();
    // One period (3s) fits before expiry (5s): exactly one delay notice, then the bounce.
    // The 2s between them leave room for a retry that a loaded machine runs late.
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain slow.test>\n  notify-of-delay-every 3s\n  bounce-after 5s\n  retry-after 1s\n</domain>\n";
    let world = World::start(&cfg);
    let m = msg(
        "sender@src.test",
        &["wait@slow.test NOTIFY=DELAY,FAILURE", "quiet@slow.test"],
        1,
    );
    world.inject(&[m]).await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "b").count() == 2).await;
    let dsns = || -> Vec<String> {
        sink.messages()
            .iter()
            .filter(|m| m.mail_from.is_empty())
            .map(|m| String::from_utf8_lossy(&m.data).into_owned())
            .collect()
    };
    wait_for(|| dsns().iter().any(|t| t.contains("Action: failed"))).await;
    let all = dsns();
    let delayed: Vec<&String> = all
        .iter()
        .filter(|t| t.contains("Action: delayed"))
        .collect();
    assert_eq!(delayed.len(), 1, "{all:#?}");
    let d = delayed[0];
    assert!(d.contains("Final-Recipient: rfc822; wait@slow.test"), "{d}");
    assert!(
        !d.contains("quiet@slow.test"),
        "no NOTIFY, no delay notice: {d}"
    );
    assert!(d.contains("Status: 4.7.1"), "{d}");
    assert!(d.contains("Will-Retry-Until: "), "{d}");
    assert!(d.contains("Subject: Delayed Mail"), "{d}");
    let t = world.acct().into_iter().find(|r| r["type"] == "t").unwrap();
    assert_eq!(t["dsnAction"], "delayed", "{t:?}");
}

#[tokio::test]
async fn notify_never_suppresses_the_failure_dsn() {
    let sink = sink_on(
        "127.0.0.163",
        SmtpSink::builder()
            .on_rcpt("a@never.test", reply(550, "5.1.1 no such user"))
            .on_rcpt("b@never.test", reply(550, "5.1.1 no such user")),
    )
    .await;
    let dns = TestDns::builder()
        .a("never.test", "127.0.0.163")
        .a("src.test", "127.0.0.163")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    let m = msg(
        "sender@src.test",
        &["a@never.test NOTIFY=NEVER", "b@never.test"],
        1,
    );
    world.inject(&[m]).await;
    sink.wait_until(WAIT, |s| {
        s.messages().iter().any(|m| m.mail_from.is_empty())
    })
    .await
    .expect("a DSN for b");
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "b").count() == 2).await;
    let dsns: Vec<String> = sink
        .messages()
        .iter()
        .filter(|m| m.mail_from.is_empty())
        .map(|m| String::from_utf8_lossy(&m.data).into_owned())
        .collect();
    assert_eq!(dsns.len(), 1, "{dsns:#?}");
    assert!(dsns[0].contains("Final-Recipient: rfc822; b@never.test"));
    assert!(
        !dsns[0].contains("Final-Recipient: rfc822; a@never.test"),
        "{}",
        dsns[0]
    );
}
