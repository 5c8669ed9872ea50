//! `<pattern-list>` at intake: the sender, a recipient or a header picks the virtual MTA
//! (seen at the sink as that virtual MTA's EHLO name, and in accounting); a processed
//! `X-Virtual-MTA` header still comes first; mail no rule matches keeps the default. And
//! `<rewrite-list>`: envelope senders and `From:` domains rewritten at intake (by the source's
//! list and the virtual MTA's); `max-errors-per-connection`.

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Message;
use pmta_tests::sink::SmtpSink;

fn with_headers(headers: &str, from: &str, rcpt: &str, n: u64) -> Message {
    let mut m = msg(from, &[rcpt], n);
    let mut data = headers.as_bytes().to_vec();
    data.extend_from_slice(&m.data);
    m.data = data;
    m
}

#[tokio::test]
async fn a_pattern_list_picks_the_virtual_mta() {
    let (sink, _dns, world) = sink_world(
        &["gmail.test"],
        "  pattern-list by-campaign\n",
        "<virtual-mta bulk>\n  host-name bulk.pmtad.test\n</virtual-mta>\n\
         <virtual-mta news>\n  host-name news.pmtad.test\n</virtual-mta>\n\
         <pattern-list by-campaign>\n\
           header X-Campaign /^promo-/ virtual-mta=bulk\n\
           mail-from /@news\\.src\\.test$/ virtual-mta=news\n\
           rcpt-to /^vip@/ virtual-mta=news\n\
         </pattern-list>\n",
    )
    .await;
    let r = world
        .inject(&[
            with_headers("X-Campaign: promo-7\r\n", "a@src.test", "one@gmail.test", 1),
            with_headers("", "editor@news.src.test", "two@gmail.test", 2),
            with_headers("", "a@src.test", "vip@gmail.test", 3),
            with_headers("", "a@src.test", "plain@gmail.test", 4),
            with_headers(
                "X-Virtual-MTA: news\r\nX-Campaign: promo-8\r\n",
                "a@src.test",
                "header@gmail.test",
                5,
            ),
        ])
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    sink.wait_for_messages(5, WAIT).await.expect("all five");
    let helo_of = |rcpt: &str| {
        let m = sink.messages();
        let m = m.iter().find(|m| m.rcpts == [rcpt]).unwrap();
        m.helo.clone()
    };
    assert_eq!(helo_of("one@gmail.test"), "bulk.pmtad.test");
    assert_eq!(helo_of("two@gmail.test"), "news.pmtad.test");
    assert_eq!(helo_of("vip@gmail.test"), "news.pmtad.test");
    assert_eq!(helo_of("plain@gmail.test"), "pmtad.test");
    assert_eq!(helo_of("header@gmail.test"), "news.pmtad.test");
    // The accounting writer is a thread of its own: its records may follow the delivery.
    let is_r1 = |r: &std::collections::HashMap<String, String>| {
        r["type"] == "r" && r["rcpt"] == "one@gmail.test"
    };
    wait_for(|| world.acct().iter().any(is_r1)).await;
    let rows = world.acct();
    let r1 = rows.iter().find(|r| is_r1(r)).unwrap();
    assert_eq!(r1["vmta"], "bulk");
}

/// `<rewrite-list>` with `mail-from` rules: the source's envelope senders are rewritten
/// before spooling (the sink and the accounting see the new sender); others stay.
#[tokio::test]
async fn a_rewrite_list_rewrites_the_envelope_sender() {
    let (sink, _dns, world) = sink_world(
        &["gmail.test"],
        "  rewrite-list senders\n",
        "<rewrite-list senders>\n\
           mail-from *@old.src.test *@new.src.test\n\
           mail-from alerts@* noreply@*\n\
         </rewrite-list>\n",
    )
    .await;
    let r = world
        .inject(&[
            msg("ann@old.src.test", &["one@gmail.test"], 1),
            msg("alerts@ops.src.test", &["two@gmail.test"], 2),
            msg("bob@kept.src.test", &["three@gmail.test"], 3),
        ])
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    sink.wait_for_messages(3, WAIT).await.expect("all three");
    let from_of = |rcpt: &str| {
        let m = sink.messages();
        m.iter()
            .find(|m| m.rcpts == [rcpt])
            .unwrap()
            .mail_from
            .clone()
    };
    assert_eq!(from_of("one@gmail.test"), "ann@new.src.test");
    assert_eq!(from_of("two@gmail.test"), "noreply@ops.src.test");
    assert_eq!(from_of("three@gmail.test"), "bob@kept.src.test");
    let rows = world.acct();
    let r1 = rows
        .iter()
        .find(|r| r["type"] == "r" && r["rcpt"] == "one@gmail.test")
        .unwrap();
    assert_eq!(r1["orig"], "ann@new.src.test");
}

fn from_header(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let line = text.lines().find(|l| l.starts_with("From:")).unwrap_or("");
    line.to_string()
}

/// `from-domain` rules rewrite the `From:` header's domain before spooling: the source's
/// list first, then the list of the virtual MTA the message goes through (chosen here by
/// its `X-Virtual-MTA` header, which follows `From:`), whose `mail-from` rules rewrite the
/// envelope sender too. Other header fields stay in their places.
#[tokio::test]
async fn from_domain_rules_of_the_source_and_the_virtual_mta_rewrite_the_from_header() {
    let (sink, _dns, world) = sink_world(
        &["gmail.test"],
        "  rewrite-list brand\n",
        "<rewrite-list brand>\n\
           from-domain *.shop.test shop.test\n\
         </rewrite-list>\n\
         <rewrite-list news-list>\n\
           from-domain shop.test news.shop.test\n\
           mail-from *@* bounces@news.shop.test\n\
         </rewrite-list>\n\
         <virtual-mta news>\n  host-name news.pmtad.test\n  rewrite-list news-list\n</virtual-mta>\n",
    )
    .await;
    let vmta = |m: Message| {
        let mut data = m.data.clone();
        let at = data.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
        data.splice(at..at, b"X-Virtual-MTA: news\r\n".iter().copied());
        Message { data, ..m }
    };
    let r = world
        .inject(&[
            msg("ann@eu.shop.test", &["one@gmail.test"], 1),
            vmta(msg("bob@eu.shop.test", &["two@gmail.test"], 2)),
            msg("cy@other.test", &["three@gmail.test"], 3),
        ])
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    sink.wait_for_messages(3, WAIT).await.expect("all three");
    let got = |rcpt: &str| {
        let m = sink.messages();
        let m = m.iter().find(|m| m.rcpts == [rcpt]).unwrap().clone();
        (m.mail_from.clone(), from_header(&m.data), m.data)
    };
    let (env, from, _) = got("one@gmail.test");
    assert_eq!(
        (env.as_str(), from.as_str()),
        ("ann@eu.shop.test", "From: <ann@shop.test>")
    );
    let (env, from, data) = got("two@gmail.test");
    assert_eq!(
        (env.as_str(), from.as_str()),
        ("bounces@news.shop.test", "From: <bob@news.shop.test>")
    );
    let text = String::from_utf8_lossy(&data);
    let (f, t) = (text.find("From:").unwrap(), text.find("To:").unwrap());
    assert!(f < t && !text.contains("X-Virtual-MTA"), "{text}");
    let (env, from, _) = got("three@gmail.test");
    assert_eq!(
        (env.as_str(), from.as_str()),
        ("cy@other.test", "From: <cy@other.test>")
    );
}

/// `max-errors-per-connection 1`: after a refused recipient the connection is closed and
/// the next message goes on a new one; without it one connection carries them all.
#[tokio::test]
async fn max_errors_per_connection_closes_the_connection() {
    let sink = sink_on(
        "127.0.0.2",
        SmtpSink::builder()
            .on_rcpt(
                "bad@lim.test",
                pmta_tests::sink::reply(550, "5.1.1 no such user"),
            )
            .on_rcpt(
                "bad@free.test",
                pmta_tests::sink::reply(550, "5.1.1 no such user"),
            ),
    )
    .await;
    let dns = TestDns::builder()
        .a("lim.test", "127.0.0.2")
        .a("free.test", "127.0.0.2")
        .start()
        .await
        .unwrap();
    let config = base_config(&dns, sink.addr().port())
        + "<domain lim.test>\n  max-smtp-out 1\n  max-errors-per-connection 1\n</domain>\n\
           <domain free.test>\n  max-smtp-out 1\n</domain>\n";
    let world = World::start(&config);
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    pmta_tests::output::expect_code(&ctl(&["pause", "queue", "lim.test/*"]), 0);
    pmta_tests::output::expect_code(&ctl(&["pause", "queue", "free.test/*"]), 0);
    let mut msgs = Vec::new();
    for (n, d) in [
        (1, "lim"),
        (2, "lim"),
        (3, "lim"),
        (4, "free"),
        (5, "free"),
        (6, "free"),
    ] {
        msgs.push(msg(
            "s@src.test",
            &[&format!("bad@{d}.test"), &format!("ok{n}@{d}.test")],
            n,
        ));
    }
    let r = world.inject(&msgs).await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    pmta_tests::output::expect_code(&ctl(&["resume", "queue", "lim.test/*"]), 0);
    pmta_tests::output::expect_code(&ctl(&["resume", "queue", "free.test/*"]), 0);
    sink.wait_for_messages(6, WAIT).await.expect("six messages");
    let conns = |domain: &str| {
        let mut c: Vec<u32> = sink
            .messages()
            .iter()
            .filter(|m| m.rcpts.iter().any(|r| r.ends_with(domain)))
            .map(|m| m.conn)
            .collect();
        c.sort();
        c.dedup();
        c.len()
    };
    assert_eq!(
        conns("@lim.test"),
        3,
        "one connection per refused recipient"
    );
    assert_eq!(conns("@free.test"), 1, "no limit: one connection for all");
}
