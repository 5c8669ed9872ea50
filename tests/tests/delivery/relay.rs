//! Mail goes where DNS and the config say, exactly once, with the right records.

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{Phase, SmtpSink, reply};

#[tokio::test]
async fn mail_is_relayed_to_the_mx_and_accounted() {
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .mx("gmail.test", 10, "mx1.gmail.test")
        .a("mx1.gmail.test", "127.0.0.2")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    let replies = world
        .inject(&[
            msg("sender@src.test", &["a@gmail.test", "b@gmail.test"], 1),
            msg("sender@src.test", &["c@gmail.test"], 2),
        ])
        .await;
    assert!(replies.iter().all(|r| r.code == 250), "{replies:?}");
    sink.wait_for_messages(2, WAIT)
        .await
        .expect("two messages at the sink");
    let got = sink.messages();
    let mut rcpts: Vec<String> = got.iter().flat_map(|m| m.rcpts.clone()).collect();
    rcpts.sort();
    assert_eq!(rcpts, ["a@gmail.test", "b@gmail.test", "c@gmail.test"]);
    assert!(
        got.iter()
            .all(|m| m.helo == "pmtad.test" && m.mail_from == "sender@src.test")
    );
    assert!(String::from_utf8_lossy(&got[0].data).contains("Received: from"));
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 3).await;
    let d = world.acct().into_iter().find(|r| r["type"] == "d").unwrap();
    assert_eq!(d["dsnStatus"], "2.0.0 (success)");
    assert_eq!(d["queue"], "gmail.test/{default}");
    assert!(d["dsnMta"].contains("127.0.0.2"), "{d:?}");
}

#[tokio::test]
async fn a_4xx_is_retried_and_delivered_once() {
    let sink = sink_on(
        "127.0.0.3",
        SmtpSink::builder().on_attempt(Phase::Rcpt, 1, reply(451, "4.3.0 try again later")),
    )
    .await;
    let dns = TestDns::builder()
        .a("retry.test", "127.0.0.3")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    let r = world
        .inject(&[msg("s@src.test", &["x@retry.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250);
    sink.wait_for_messages(1, WAIT)
        .await
        .expect("delivered after the retry");
    wait_for(|| world.acct().iter().any(|r| r["type"] == "d")).await;
    let acct = world.acct();
    assert_eq!(
        acct.iter().filter(|r| r["type"] == "t").count(),
        1,
        "{acct:?}"
    );
    assert_eq!(acct.iter().filter(|r| r["type"] == "d").count(), 1);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_5xx_bounces_once_with_a_dsn_to_the_sender() {
    let sink = sink_on(
        "127.0.0.4",
        SmtpSink::builder().on_rcpt("gone@bounce.test", reply(550, "5.1.1 no such user")),
    )
    .await;
    let dns = TestDns::builder()
        .a("bounce.test", "127.0.0.4")
        .a("src.test", "127.0.0.4")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    world
        .inject(&[msg(
            "sender@src.test",
            &["gone@bounce.test", "ok@bounce.test"],
            1,
        )])
        .await;
    sink.wait_until(WAIT, |s| {
        s.messages().iter().any(|m| m.mail_from.is_empty())
    })
    .await
    .expect("a DSN");
    let msgs = sink.messages();
    let dsns: Vec<_> = msgs.iter().filter(|m| m.mail_from.is_empty()).collect();
    assert_eq!(dsns.len(), 1);
    assert_eq!(dsns[0].rcpts, ["sender@src.test"]);
    let text = String::from_utf8_lossy(&dsns[0].data);
    assert!(
        text.contains("Final-Recipient: rfc822; gone@bounce.test"),
        "{text}"
    );
    assert!(text.contains("Status: 5.1.1"));
    assert!(!text.contains("Final-Recipient: rfc822; ok@bounce.test"));
    let b: Vec<_> = world
        .acct()
        .into_iter()
        .filter(|r| r["type"] == "b")
        .collect();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["bounceCat"], "bad-mailbox");
}

#[tokio::test]
async fn nxdomain_and_null_mx_bounce_servfail_retries() {
    let dns = TestDns::builder()
        .a("present.test", "127.0.0.5")
        .null_mx("nullmx.test")
        .servfail("broken.test")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, 9));
    world
        .inject(&[
            msg("", &["a@nullmx.test"], 1),
            msg("", &["b@nosuch.present.test", "c@broken.test"], 2),
        ])
        .await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "b").count() == 2).await;
    let acct = world.acct();
    let status = |rcpt: &str, kind: &str| {
        acct.iter()
            .find(|r| r["rcpt"] == rcpt && r["type"] == kind)
            .map(|r| r["dsnStatus"].clone())
    };
    assert!(
        status("a@nullmx.test", "b").unwrap().starts_with("5.1.10"),
        "{acct:?}"
    );
    assert!(
        status("b@nosuch.present.test", "b")
            .unwrap()
            .starts_with("5.1.2")
    );
    assert!(status("c@broken.test", "b").is_none());
    wait_for(|| {
        world
            .acct()
            .iter()
            .any(|r| r["rcpt"] == "c@broken.test" && r["type"] == "t")
    })
    .await;
}

/// Poll a condition on files the daemon writes (accounting is flushed by a writer task).
pub async fn wait_for(cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
