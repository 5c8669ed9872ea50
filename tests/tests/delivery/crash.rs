//! The promise of a 250: kill -9 during intake loses no acknowledged message and duplicates
//! none. Deliveries are impossible during the load (the destination refuses connections),
//! so after the restart every acknowledged message must arrive exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::harness::*;
use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Session;
use pmta_tests::sink::SmtpSink;

/// Message-ID numbers the injectors saw acknowledged with 250.
type Acked = Arc<Mutex<Vec<u64>>>;

async fn injector(addr: std::net::SocketAddr, client: u64, acked: Acked) {
    let Ok(mut s) = Session::connect(addr).await else {
        return;
    };
    for i in 0..10_000u64 {
        let n = client * 1_000_000 + i;
        let m = msg("s@src.test", &["a@crash.test"], n);
        match s.send(&m).await {
            Ok(r) if r.code == 250 => acked.lock().unwrap().push(n),
            _ => return,
        }
    }
}

#[tokio::test]
async fn kill_9_during_intake_loses_no_acknowledged_message() {
    // Reserve the sink's address now, start listening only after the crash.
    let probe = std::net::TcpListener::bind("127.0.0.30:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let dns = TestDns::builder()
        .a("crash.test", "127.0.0.30")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut pmtad = Pmtad::start(dir.path(), &base_config(&dns, port)).unwrap();
    let acked: Acked = Arc::default();
    let tasks: Vec<_> = (0..20)
        .map(|c| tokio::spawn(injector(pmtad.smtp_addr(), c, acked.clone())))
        .collect();
    while acked.lock().unwrap().len() < 300 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    pmtad.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    let sink = SmtpSink::builder()
        .listen(format!("127.0.0.30:{port}").parse().unwrap())
        .start()
        .await
        .unwrap();
    let _restarted = Pmtad::start_file(dir.path(), &pmtad.config).unwrap();
    let ids = |s: &pmta_tests::sink::SinkState| -> HashMap<u64, usize> {
        let mut seen = HashMap::new();
        for m in s.messages() {
            *seen.entry(message_number(&m.data)).or_insert(0) += 1;
        }
        seen
    };
    sink.wait_until(WAIT * 4, |s| {
        let seen = ids(s);
        acked.iter().all(|n| seen.contains_key(n))
    })
    .await
    .expect("every acknowledged message delivered after the restart");
    let seen = ids(&sink.state());
    let dups: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(dups.is_empty(), "duplicated: {dups:?}");
    assert!(acked.len() >= 300);
}

/// The spool part of `show status --json`.
fn spool_status(pmtad: &Pmtad) -> serde_json::Value {
    pmta_tests::output::json(&pmtad.pmtactl(&["--json", "show", "status"]))["spool"].clone()
}

/// Delivery outcomes are not fsynced on their own (`completion-sync-delay`): kill -9 while
/// they are unsynced re-delivers those messages after the restart, counts them
/// (`recovered_unclean`), and loses none; a clean stop syncs them and counts nothing. Fresh
/// mail is delivered from the body cache, recovered mail from the spool.
#[tokio::test]
async fn kill_9_with_unsynced_completions_redelivers_and_counts() {
    let sink = SmtpSink::builder()
        .listen("127.0.0.31:0".parse().unwrap())
        .hold_greeting()
        .start()
        .await
        .unwrap();
    let dns = TestDns::builder()
        .a("crash.test", "127.0.0.31")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = base_config(&dns, sink.addr().port()) + "completion-sync-delay 1h\n";
    let mut pmtad = Pmtad::start(dir.path(), &config).unwrap();
    // Every message stored (and synced) before any delivery: all 20 outcomes come after
    // the last commit, so with an hour's delay none of them is synced at the kill.
    let mut s = Session::connect(pmtad.smtp_addr()).await.unwrap();
    for n in 0..20u64 {
        let r = s
            .send(&msg("s@src.test", &["a@crash.test"], n))
            .await
            .unwrap();
        assert_eq!(r.code, 250, "{}", r.text);
    }
    s.quit().await.unwrap();
    sink.release();
    sink.wait_for_messages(20, WAIT)
        .await
        .expect("first deliveries");
    let deadline = std::time::Instant::now() + WAIT;
    let st = loop {
        let st = spool_status(&pmtad);
        if st["messages"] == 0 && st["unsynced_completions"] == 20 {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "outcomes not recorded: {st}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(st["recovered_unclean"], 0, "{st}");
    // Fresh mail was delivered from the body cache, with no spool read.
    assert_eq!(st["body_cache"]["hits"], 20, "{st}");
    assert_eq!(st["body_cache"]["misses"], 0, "{st}");
    pmtad.kill9();
    let mut restarted = Pmtad::start_file(dir.path(), &pmtad.config).unwrap();
    assert_eq!(spool_status(&restarted)["recovered_unclean"], 20);
    sink.wait_for_messages(40, WAIT)
        .await
        .expect("re-deliveries");
    // After a restart the cache starts empty: recovered mail is read from the spool.
    let st = spool_status(&restarted);
    assert_eq!(st["body_cache"]["hits"], 0, "{st}");
    assert!(st["body_cache"]["misses"].as_u64() >= Some(20), "{st}");
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for m in sink.messages() {
        *seen.entry(message_number(&m.data)).or_insert(0) += 1;
    }
    assert!((0..20).all(|n| seen.get(&n) == Some(&2)), "{seen:?}");
    // A clean stop syncs the re-deliveries' outcomes: nothing comes back, nothing counted.
    restarted.stop();
    let again = Pmtad::start_file(dir.path(), &pmtad.config).unwrap();
    let st = spool_status(&again);
    assert_eq!(
        (st["messages"].clone(), st["recovered_unclean"].clone()),
        (0.into(), 0.into()),
        "{st}"
    );
    assert_eq!(sink.messages().len(), 40);
}
