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
