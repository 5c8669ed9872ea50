//! `<smtp-pattern-list>` actions beyond backoff, observed at the sinks and in the
//! accounting file: `skip-mx`, `bounce-queue`, `defer-queue`, `disable-source-ip`.

use std::time::Duration;

use super::harness::*;
use super::limits::{ctl_json, ctl_until, via};
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Message;
use pmta_tests::sink::{Phase, SmtpSink, reply};

fn pattern(name: &str, rule: &str) -> String {
    format!("<smtp-pattern-list {name}>\n  reply {rule}\n</smtp-pattern-list>\n")
}

fn to(domain: &str, from: &str, n: u64) -> Vec<Message> {
    (0..n)
        .map(|i| msg(from, &[&format!("r{i}@{domain}")], i))
        .collect()
}

/// Pause `domain`, inject `msgs`, wait until all are queued, resume: the queue then holds
/// them all at once when delivery starts.
async fn queue_then_resume(world: &World, domain: &str, msgs: &[Message]) {
    ctl_json(world, &["pause", "queue", domain]);
    world.inject(msgs).await;
    let n = msgs.len() as u64;
    ctl_until(world, &["show", "queues", domain], |v| {
        v["queues"][0]["rcpts"].as_u64() == Some(n)
    })
    .await;
    ctl_json(world, &["resume", "queue", domain]);
}

#[tokio::test]
async fn skip_mx_moves_on_to_the_next_mx_and_keeps_the_mail() {
    let first = sink_on(
        "127.0.0.27",
        SmtpSink::builder().on(Phase::Rcpt, reply(550, "5.7.1 not here, try elsewhere")),
    )
    .await;
    let port = first.addr().port();
    let second = SmtpSink::builder()
        .listen(format!("127.0.0.28:{port}").parse().unwrap())
        .start()
        .await
        .expect("same port on 127.0.0.28");
    let dns = TestDns::builder()
        .mx("skip.test", 10, "mx1.skip.test")
        .mx("skip.test", 20, "mx2.skip.test")
        .a("mx1.skip.test", "127.0.0.27")
        .a("mx2.skip.test", "127.0.0.28")
        .start()
        .await
        .unwrap();
    // retry-after 1h: only skip-mx can bring the mail to the second MX within the test.
    let cfg = base_config(&dns, port)
        + &pattern("hop", "/try elsewhere/ skip-mx")
        + "<domain skip.test>\n  smtp-pattern-list hop\n  retry-after 1h\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("skip.test", "s@src.test", 1)).await;
    let got = second.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(got[0].rcpts, ["r0@skip.test"]);
    assert!(first.messages().is_empty());
    assert_eq!(first.state().rcpt_seen.get("r0@skip.test"), Some(&1));
    wait_for(|| world.acct().iter().any(|r| r["type"] == "d")).await;
    let acct = world.acct();
    assert!(
        acct.iter().all(|r| r["type"] != "b"),
        "a 5xx with skip-mx never bounces: {acct:?}"
    );
}

#[tokio::test]
async fn bounce_queue_bounces_everything_waiting_in_the_queue() {
    let sink = sink_on(
        "127.0.0.29",
        SmtpSink::builder().on(Phase::Rcpt, reply(451, "4.2.1 mailbox store offline")),
    )
    .await;
    let dns = TestDns::builder()
        .a("bq.test", "127.0.0.29")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("drain", "/store offline/ bounce-queue")
        + "<domain bq.test>\n  smtp-pattern-list drain\n  max-smtp-out 1\n  retry-after 1h\n</domain>\n";
    let world = World::start(&cfg);
    queue_then_resume(&world, "bq.test", &to("bq.test", "", 3)).await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "b").count() == 3).await;
    let tried: u32 = sink.state().rcpt_seen.values().sum();
    assert_eq!(tried, 1, "one reply bounced the whole queue");
    let q = ctl_json(&world, &["show", "queues", "bq.test"]);
    assert_eq!(q["queues"][0]["rcpts"], 0, "{q:#}");
}

#[tokio::test]
async fn defer_queue_puts_the_whole_queue_in_retry_mode() {
    let sink = sink_on(
        "127.0.0.34",
        SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.0 deferring you")),
    )
    .await;
    let dns = TestDns::builder()
        .a("dq.test", "127.0.0.34")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("later", "/deferring you/ defer-queue")
        + "<domain dq.test>\n  smtp-pattern-list later\n  max-smtp-out 1\n  retry-after 2s\n</domain>\n";
    let world = World::start(&cfg);
    queue_then_resume(&world, "dq.test", &to("dq.test", "s@src.test", 3)).await;
    let got = sink.wait_for_messages(3, WAIT).await.unwrap();
    // Without defer-queue the connection would go on with the next message at once.
    let deferred = sink.state().connections[0].at;
    for m in &got {
        let after = m.at - deferred;
        assert!(after >= Duration::from_millis(1500), "{after:?}");
    }
}

#[tokio::test]
async fn disable_source_ip_stops_using_the_address_that_got_the_reply() {
    let blocked: std::net::IpAddr = "127.0.0.31".parse().unwrap();
    let sink = sink_on(
        "127.0.0.33",
        SmtpSink::builder().on_peer(blocked, Phase::Mail, reply(451, "4.7.1 your IP is blocked")),
    )
    .await;
    let dns = TestDns::builder()
        .a("ds.test", "127.0.0.33")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("ips", "/IP is blocked/ disable-source-ip")
        + "<virtual-mta pair>\n  smtp-source-host 127.0.0.31 a.pair.test\n  smtp-source-host 127.0.0.32 b.pair.test\n</virtual-mta>\n\
           <domain ds.test>\n  smtp-pattern-list ips\n  max-smtp-out 1\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<Message> = (0..4)
        .map(|i| via("pair", &format!("r{i}@ds.test"), i))
        .collect();
    world.inject(&msgs).await;
    let got = sink.wait_for_messages(4, WAIT).await.unwrap();
    assert!(got.iter().all(|m| m.peer.ip().to_string() == "127.0.0.32"));
    assert!(got.iter().all(|m| m.helo == "b.pair.test"));
    let from_blocked = sink
        .state()
        .connections
        .iter()
        .filter(|c| c.peer.ip() == blocked)
        .count();
    assert_eq!(
        from_blocked, 1,
        "the blocked address is used once, then never again"
    );
}

#[tokio::test]
async fn backoff_to_normal_after_delivery_ends_backoff_at_the_first_delivery() {
    let sink = sink_on(
        "127.0.0.72",
        SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.0 slow down please")),
    )
    .await;
    let dns = TestDns::builder()
        .a("bod.test", "127.0.0.72")
        .start()
        .await
        .unwrap();
    // backoff-to-normal-after stays `never`: only the delivery can end the backoff.
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("throttled", "/slow down/ mode=backoff")
        + "<domain bod.test>\n  smtp-pattern-list throttled\n  backoff-retry-after 1s\n\
           \x20 backoff-to-normal-after-delivery yes\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("bod.test", "s@src.test", 1)).await;
    sink.wait_for_messages(1, WAIT).await.unwrap();
    ctl_until(&world, &["domain", "detail", "bod.test"], |v| {
        v["queues"][0]["mode"] == "normal"
    })
    .await;
    let errors = ctl_json(&world, &["domain", "detail", "bod.test"]);
    assert!(
        errors["queues"][0]["recent_errors"]
            .to_string()
            .contains("slow down"),
        "the queue did go through backoff: {errors:#}"
    );
}

#[tokio::test]
async fn reenable_source_ip_after_brings_a_disabled_address_back() {
    let blocked: std::net::IpAddr = "127.0.0.73".parse().unwrap();
    // Only the first transaction (from the first source address) is refused.
    let sink = sink_on(
        "127.0.0.75",
        SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.1 your IP is blocked")),
    )
    .await;
    let dns = TestDns::builder()
        .a("re.test", "127.0.0.75")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("ips", "/IP is blocked/ disable-source-ip")
        + "<virtual-mta back>\n  smtp-source-host 127.0.0.73 a.back.test\n  smtp-source-host 127.0.0.74 b.back.test\n</virtual-mta>\n\
           <domain re.test>\n  smtp-pattern-list ips\n  reenable-source-ip-after 1s\n  max-smtp-out 1\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&[via("back", "r0@re.test", 0)]).await;
    sink.wait_for_messages(1, WAIT).await.unwrap();
    let first = sink.state().connections[0].clone();
    assert_eq!(
        first.peer.ip(),
        blocked,
        "the first connection used the first address"
    );
    // Send one message at a time until one leaves from the re-enabled address.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut n = 1;
    loop {
        world
            .inject(&[via("back", &format!("r{n}@re.test"), n)])
            .await;
        let got = sink.wait_for_messages(n as usize + 1, WAIT).await.unwrap();
        if got.iter().any(|m| m.peer.ip() == blocked) {
            let back = got.iter().find(|m| m.peer.ip() == blocked).unwrap();
            let after = back.at - first.at;
            assert!(after >= std::time::Duration::from_millis(900), "{after:?}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never used again");
        n += 1;
    }
}

#[tokio::test]
async fn schedule_lifts_a_defer_queue_deferral() {
    let sink = sink_on(
        "127.0.0.76",
        SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.0 deferring you")),
    )
    .await;
    let dns = TestDns::builder()
        .a("dq2.test", "127.0.0.76")
        .start()
        .await
        .unwrap();
    // retry-after 1h: only `pmtactl schedule` can end the deferral within the test.
    let cfg = base_config(&dns, sink.addr().port())
        + &pattern("later", "/deferring you/ defer-queue")
        + "<domain dq2.test>\n  smtp-pattern-list later\n  max-smtp-out 1\n  retry-after 1h\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("dq2.test", "s@src.test", 2)).await;
    let d = ctl_until(&world, &["domain", "detail", "dq2.test"], |v| {
        v["queues"][0]["held_back"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["kind"] == "retry_wait"))
    })
    .await;
    assert_eq!(sink.messages().len(), 0, "{d:#}");
    let s = ctl_json(&world, &["schedule", "dq2.test"]);
    assert_eq!(s["changed"], 1, "{s:#}");
    sink.wait_for_messages(2, WAIT).await.unwrap();
}
