//! Rates, the virtual MTA's own connection limit, queue priority and backoff mode, observed
//! at the sinks (and in `pmtactl domain detail --json` for the mode). Timing checks are lower
//! bounds only: a limit can only make things slower than the test expects, never faster.

use std::time::Duration;

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Message;
use pmta_tests::sink::{Phase, SmtpSink, reply};

/// A message to `rcpt` that selects virtual MTA `vmta` by header.
pub fn via(vmta: &str, rcpt: &str, n: u64) -> Message {
    let mut m = msg("s@src.test", &[rcpt], n);
    m.data = [format!("X-Virtual-MTA: {vmta}\r\n").as_bytes(), &m.data].concat();
    m
}

fn to(domain: &str, n: u64) -> Vec<Message> {
    (0..n)
        .map(|i| msg("s@src.test", &[&format!("r{i}@{domain}")], i))
        .collect()
}

/// `pmtactl --json ARGS` against the world's daemon, which must succeed.
pub fn ctl_json(world: &World, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = world.pmtad.pmtactl(&all);
    assert!(out.status.success(), "pmtactl {args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).expect("pmtactl JSON")
}

/// Polls `pmtactl --json ARGS` until `pred` holds; returns that answer.
pub async fn ctl_until(
    world: &World,
    args: &[&str],
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let v = ctl_json(world, args);
        if pred(&v) {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "never true: {v:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn max_msg_rate_spaces_deliveries() {
    let sink = sink_on("127.0.0.22", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("rate.test", "127.0.0.22")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain rate.test>\n  max-msg-rate 2/s\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("rate.test", 6)).await;
    let got = sink.wait_for_messages(6, WAIT).await.unwrap();
    // 2/s with a burst of 2: the 3rd..6th message need 4 more half-second tokens, so the
    // last arrives at least 2 s after the first (1.5 s leaves room for a late first one).
    let span = got[5].at - got[0].at;
    assert!(span >= Duration::from_millis(1500), "{span:?}");
}

#[tokio::test]
async fn max_connect_rate_spaces_new_connections() {
    let sink = sink_on("127.0.0.23", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("crate.test", "127.0.0.23")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain crate.test>\n  max-connect-rate 2/s\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("crate.test", 6)).await;
    let s = sink.wait_until(WAIT, |s| s.accepted >= 6).await.unwrap();
    assert!(s.connections.len() >= 6);
    let span = s.connections[5].at - s.connections[0].at;
    assert!(span >= Duration::from_millis(1500), "{span:?}");
}

#[tokio::test]
async fn a_virtual_mta_max_smtp_out_spans_its_queues() {
    let sink = sink_on("127.0.0.24", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("one.test", "127.0.0.24")
        .a("two.test", "127.0.0.24")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta capped>\n  max-smtp-out 2\n</virtual-mta>\n\
           <domain *>\n  max-msg-per-connection 2\n</domain>\n";
    let world = World::start(&cfg);
    let mut msgs = Vec::new();
    for i in 0..30 {
        msgs.push(via("capped", &format!("a{i}@one.test"), i));
        msgs.push(via("capped", &format!("b{i}@two.test"), 100 + i));
    }
    world.inject(&msgs).await;
    let s = sink.wait_until(WAIT, |s| s.accepted >= 60).await.unwrap();
    assert!(s.max_open_total <= 2, "{}", s.max_open_total);
    let domains = |d: &str| {
        s.messages()
            .iter()
            .filter(|m| m.rcpts[0].ends_with(d))
            .count()
    };
    assert_eq!((domains("@one.test"), domains("@two.test")), (30, 30));
}

#[tokio::test]
async fn the_higher_queue_priority_drains_first_when_slots_are_short() {
    let sink = sink_on("127.0.0.25", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("low.test", "127.0.0.25")
        .a("high.test", "127.0.0.25")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta one>\n  max-smtp-out 1\n</virtual-mta>\n\
           <domain low.test>\n  queue-priority 10\n  max-msg-per-connection 1\n</domain>\n\
           <domain high.test>\n  queue-priority 90\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    // Both queues fill while paused, then compete for the one slot of the virtual MTA.
    ctl_json(&world, &["pause", "queue", "*/one"]);
    let mut msgs = Vec::new();
    for i in 0..4 {
        msgs.push(via("one", &format!("l{i}@low.test"), i));
    }
    for i in 0..4 {
        msgs.push(via("one", &format!("h{i}@high.test"), 10 + i));
    }
    world.inject(&msgs).await;
    ctl_until(&world, &["show", "queues", "*/one"], |v| {
        v["queues"]
            .as_array()
            .is_some_and(|q| q.len() == 2 && q.iter().all(|q| q["rcpts"] == 4))
    })
    .await;
    ctl_json(&world, &["resume", "queue", "*/one"]);
    let got = sink.wait_for_messages(8, WAIT).await.unwrap();
    let order: Vec<&str> = got
        .iter()
        .map(|m| m.rcpts[0].split('@').nth(1).unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "high.test",
            "high.test",
            "high.test",
            "high.test",
            "low.test",
            "low.test",
            "low.test",
            "low.test"
        ]
    );
    assert_eq!(sink.state().max_open_total, 1);
}

#[tokio::test]
async fn a_reply_pattern_switches_to_backoff_limits_and_back() {
    // The first transaction gets a reply the pattern list maps to backoff; in backoff the
    // message rate is zero, so nothing is delivered until backoff-to-normal-after returns
    // the queue to normal.
    let sink = sink_on(
        "127.0.0.26",
        SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.0 slow down please")),
    )
    .await;
    let dns = TestDns::builder()
        .a("bo.test", "127.0.0.26")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<smtp-pattern-list throttled>\n  reply /slow down/ mode=backoff\n</smtp-pattern-list>\n\
           <domain bo.test>\n  smtp-pattern-list throttled\n  max-smtp-out 5\n  backoff-max-smtp-out 1\n\
           \x20 backoff-max-msg-rate 0/h\n  backoff-to-normal-after 3s\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("bo.test", 1)).await;
    let d = ctl_until(&world, &["domain", "detail", "bo.test"], |v| {
        v["queues"][0]["mode"] == "backoff"
    })
    .await;
    assert_eq!(d["queues"][0]["connections"]["max_smtp_out"], 1, "{d:#}");
    world.inject(&to("bo.test", 3)).await;
    let got = sink.wait_for_messages(4, WAIT).await.unwrap();
    let entered = sink.state().connections[0].at;
    for m in &got {
        let after = m.at - entered;
        assert!(after >= Duration::from_millis(2500), "{after:?}");
    }
    let d = ctl_until(&world, &["domain", "detail", "bo.test"], |v| {
        v["queues"][0]["mode"] == "normal"
    })
    .await;
    assert_eq!(d["queues"][0]["connections"]["max_smtp_out"], 5, "{d:#}");
}
