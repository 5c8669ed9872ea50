//! Connection and rate limits of `<domain>`: observed at the sink (connections held open at
//! the greeting, commands per read, connection times) and in `domain detail`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::world::*;

/// yahoo.com of the example: `max-smtp-out 2`. Its MX has three addresses and
/// `max-smtp-out-per-ip 1`, so only `max-smtp-out` can keep the third one idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_max_smtp_out() {
    let n = 100;
    let w = World::builder(n)
        .sink(|b| b.hold_greeting())
        .yahoo_mx_also(ip(2, n))
        .yahoo_mx_also(ip(3, n))
        .start()
        .await;
    let rcpts = ["a@yahoo.com", "b@yahoo.com", "c@yahoo.com", "d@yahoo.com"];
    w.inject_ok(&each(&rcpts)).await;
    w.sink
        .wait_until(WAIT, |s| s.open.values().sum::<usize>() >= 2)
        .await
        .unwrap();
    let d = w
        .json_until(&["domain", "detail", "yahoo.com"], |d| {
            held_kinds(&d["queues"][0]).contains(&"connection_limit".to_string())
        })
        .await;
    let q = &d["queues"][0];
    assert_eq!(q["connections"]["max_smtp_out"], 2, "{q:#}");
    assert_eq!(q["connections"]["active"], 2, "{q:#}");
    let open: usize = w.sink.state().open.values().sum();
    assert_eq!(
        open,
        2,
        "the daemon holds its limit: {:?}",
        w.sink.state().open
    );
    let peak = AtomicUsize::new(0);
    w.sink.release();
    w.sink
        .wait_until(WAIT, |s| {
            peak.fetch_max(s.open.values().sum(), Ordering::Relaxed);
            s.accepted >= 4
        })
        .await
        .unwrap();
    assert!(peak.load(Ordering::Relaxed) <= 2);
    assert_eq!(w.delivered(), rcpts);
}

/// yahoo.com: `max-smtp-out 2` but `max-smtp-out-per-ip 1` and one MX address: one
/// connection at a time, and `domain detail` says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_max_smtp_out_per_ip() {
    let w = World::builder(101)
        .sink(|b| b.hold_greeting())
        .start()
        .await;
    w.inject_ok(&each(&["a@yahoo.com", "b@yahoo.com", "c@yahoo.com"]))
        .await;
    w.sink
        .wait_until(WAIT, |s| !s.connections.is_empty())
        .await
        .unwrap();
    let d = w
        .json_until(&["domain", "detail", "yahoo.com"], |d| {
            held_kinds(&d["queues"][0]).contains(&"per_ip_limit".to_string())
        })
        .await;
    let c = &d["queues"][0]["connections"];
    assert_eq!(c["max_smtp_out_per_ip"], 1, "{c:#}");
    assert_eq!(c["per_ip"][0]["ip"], ip(0, 101).to_string(), "{c:#}");
    assert_eq!(c["per_ip"][0]["active"], 1, "{c:#}");
    assert_eq!(w.sink.state().connections.len(), 1);
    w.sink.release();
    w.wait_delivered(3).await;
    assert_eq!(w.sink.max_concurrent(w.sink.addr()), 1);
}

/// yahoo.com: `smtp-pipeline-depth 5` sends MAIL, RCPTs and DATA in batches of at most 5;
/// example.com (default 0) one command at a time, though the sink offers PIPELINING.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_smtp_pipeline_depth() {
    let w = World::start(102).await;
    let flat = ["a@example.com", "b@example.com", "c@example.com"];
    w.inject_ok(&[msg("s@src.test", &flat, 1)]).await;
    w.wait_delivered(1).await;
    assert_eq!(w.sink.state().max_pipelined, 1, "no pipelining by default");
    let deep: Vec<String> = (0..6).map(|i| format!("r{i}@yahoo.com")).collect();
    let deep: Vec<&str> = deep.iter().map(String::as_str).collect();
    w.inject_ok(&[msg("s@src.test", &deep, 2)]).await;
    w.wait_delivered(2).await;
    let batch = w.sink.state().max_pipelined;
    assert!((3..=5).contains(&batch), "batch of {batch} commands");
}

/// yahoo.com: `delivery-interval 1` (10 in spec.md) spaces new connections; with
/// `max-msg-per-connection 1` each message needs its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_delivery_interval() {
    let w = World::builder(103)
        .extra("<domain yahoo.com>\n  max-msg-per-connection 1\n</domain>\n")
        .start()
        .await;
    // Every connection is made after this instant, the third at least two intervals after
    // the first: a lower bound that slow observation cannot break.
    let start = Instant::now();
    w.inject_ok(&each(&["a@yahoo.com", "b@yahoo.com", "c@yahoo.com"]))
        .await;
    w.sink
        .wait_until(WAIT, |s| s.connections.len() >= 3)
        .await
        .unwrap();
    let third = start.elapsed();
    w.wait_delivered(3).await;
    assert!(third >= Duration::from_millis(1900), "{third:?}");
}

/// example.com with `max-msg-per-connection 2` (and one connection at a time): six messages
/// take three connections of two transactions each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_max_msg_per_connection() {
    let w = World::builder(104)
        .extra("<domain example.com>\n  max-smtp-out 1\n  max-msg-per-connection 2\n</domain>\n")
        .start()
        .await;
    w.json(&["pause", "queue", "example.com"]);
    let rcpts: Vec<String> = (0..6).map(|i| format!("r{i}@example.com")).collect();
    let rcpts: Vec<&str> = rcpts.iter().map(String::as_str).collect();
    w.inject_ok(&each(&rcpts)).await;
    w.json(&["resume", "queue", "example.com"]);
    let msgs = w.wait_delivered(6).await;
    let mut per_conn = std::collections::BTreeMap::<u32, usize>::new();
    for m in &msgs {
        *per_conn.entry(m.conn).or_default() += 1;
    }
    assert_eq!(
        per_conn.values().copied().collect::<Vec<_>>(),
        [2, 2, 2],
        "{per_conn:?}"
    );
}

/// example.com with `max-msg-rate 2/s`: five messages cannot all go at once (a burst of two,
/// then one every half second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_max_msg_rate() {
    let w = World::builder(105)
        .extra("<domain example.com>\n  max-msg-rate 2/s\n</domain>\n")
        .start()
        .await;
    w.json(&["pause", "queue", "example.com"]);
    let rcpts = [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ];
    w.inject_ok(&each(&rcpts)).await;
    // Nothing is sent before the resume; the fifth recipient is due 1.5 s after the first.
    let start = Instant::now();
    w.json(&["resume", "queue", "example.com"]);
    w.wait_delivered(5).await;
    let last = start.elapsed();
    assert!(last >= Duration::from_millis(1400), "{last:?}");
    assert_eq!(w.delivered(), rcpts);
}
