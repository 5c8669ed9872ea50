//! `pause queue` stops deliveries and `resume queue` restarts them; pauses outlive the
//! daemon. Each check waits for mail to another domain that shares the scheduler pass, so
//! "not delivered" is observed after the daemon demonstrably had its chance.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_deliveries_and_resume_restarts_them() {
    let w = World::start("127.0.0.62", &["hold.test", "go.test"]).await;
    w.json(&["pause", "queue", "hold.test"]);
    w.inject(&[&["a@hold.test"], &["b@go.test"]]).await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["b@go.test"]);
    let q = w.json(&["show", "queues", "hold.test"]);
    assert_eq!(
        (
            q["queues"][0]["paused"].as_bool(),
            q["queues"][0]["rcpts"].as_u64()
        ),
        (Some(true), Some(1))
    );

    let r = w.json(&["resume", "queue", "hold.test"]);
    assert_eq!(
        (r["matched"].as_u64(), r["changed"].as_u64()),
        (Some(1), Some(1))
    );
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["a@hold.test", "b@go.test"]);

    // Pausing a queue that exists works the same way, by wildcard too.
    let p = w.json(&["pause", "queue", "hold.*/*"]);
    assert_eq!(
        (p["matched"].as_u64(), p["changed"].as_u64()),
        (Some(1), Some(1))
    );
    w.inject(&[&["c@hold.test"], &["d@go.test"]]).await;
    w.wait_delivered(3).await;
    assert_eq!(w.delivered(), ["a@hold.test", "b@go.test", "d@go.test"]);
    w.json(&["resume", "queue", "hold.test"]);
    w.wait_delivered(4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pauses_survive_a_restart() {
    let mut w = World::start("127.0.0.63", &["keep.test", "free.test"]).await;
    w.json(&["pause", "queue", "keep.test/{default}"]);
    w.inject(&[&["a@keep.test"]]).await;
    w.json(&["reload"]);
    let q = w.json(&["show", "queues", "keep.test"]);
    assert_eq!(
        q["queues"][0]["paused"], true,
        "a reload never resumes a queue"
    );
    assert_eq!(w.pmtad.stop(), Some(0));
    assert!(
        !w.pmtad.socket().exists(),
        "the socket is removed at shutdown"
    );
    let saved = std::fs::read_to_string(w.path("spool/paused-queues")).unwrap();
    assert!(saved.contains("keep.test/{default}"), "{saved}");

    w.pmtad = Pmtad::start_file(w.dir.path(), &w.path("pmta.conf")).expect("restart");
    let q = w.json(&["show", "queues", "keep.test"]);
    assert_eq!(
        (
            q["queues"][0]["paused"].as_bool(),
            q["queues"][0]["rcpts"].as_u64()
        ),
        (Some(true), Some(1))
    );
    w.inject(&[&["b@free.test"]]).await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["b@free.test"]);
    w.json(&["resume", "queue", "keep.test"]);
    w.wait_delivered(2).await;
    let saved = std::fs::read_to_string(w.path("spool/paused-queues")).unwrap();
    assert!(!saved.contains("keep.test"), "{saved}");
}
