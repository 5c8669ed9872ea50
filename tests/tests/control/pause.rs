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

impl World {
    /// Submits one message to `rcpt` that picks `vmta` by its `X-Virtual-MTA` header.
    async fn inject_via(&self, vmta: &str, rcpt: &str) {
        let mut s = Session::connect(self.pmtad.smtp_addr()).await.unwrap();
        let mut m = Message::sized("sender@src.test", &[rcpt], 300, 7);
        let header = format!("X-Virtual-MTA: {vmta}\r\n");
        m.data.splice(0..0, header.into_bytes());
        let r = s.send(&m).await.unwrap();
        assert_eq!(r.code, 250, "{r:?}");
        let _ = s.quit().await;
    }
}

/// The leak: a pause given while only `hold.test/{default}` existed must hold
/// `hold.test/vmta1`, created later by mail for that virtual MTA, also after a restart; a
/// narrower resume exempts one queue; the broad resume lets everything go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_holds_queues_created_later_and_across_a_restart() {
    let vmta =
        "<virtual-mta vmta1>\n</virtual-mta>\n<domain hold.test>\n  max-smtp-out 4\n</domain>\n";
    let mut w = World::start_full("127.0.0.64", &["hold.test", "go.test"], &[], vmta).await;
    let p = w.json(&["pause", "queue", "hold.test/*"]);
    assert_eq!(p["warning"], serde_json::Value::Null, "{p}");
    w.inject(&[&["a@hold.test"]]).await;
    w.inject_via("vmta1", "b@hold.test").await;
    w.inject_via("vmta1", "c@go.test").await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["c@go.test"]);
    let q = w.json(&["show", "queues", "hold.test/vmta1"]);
    assert_eq!(q["queues"][0]["paused"], true, "{q}");

    let rules = w.json(&["show", "paused"]);
    let rule = &rules["rules"][0];
    assert_eq!(
        (
            &rule["action"],
            &rule["pattern"],
            &rule["queues"],
            &rule["rcpts"]
        ),
        (&"pause".into(), &"hold.test/*".into(), &2.into(), &2.into()),
        "{rules}"
    );

    assert_eq!(w.pmtad.stop(), Some(0));
    let saved = std::fs::read_to_string(w.path("spool/paused-queues")).unwrap();
    assert!(saved.contains("pause hold.test/*"), "{saved}");
    w.pmtad = Pmtad::start_file(w.dir.path(), &w.path("pmta.conf")).expect("restart");
    w.inject_via("vmta1", "d@hold.test").await;
    w.inject_via("vmta1", "e@go.test").await;
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["c@go.test", "e@go.test"]);

    let r = w.json(&["resume", "queue", "hold.test/vmta1"]);
    assert_eq!(
        (r["matched"].as_u64(), r["changed"].as_u64()),
        (Some(1), Some(1))
    );
    w.wait_delivered(4).await;
    assert_eq!(
        w.delivered(),
        ["b@hold.test", "c@go.test", "d@hold.test", "e@go.test"]
    );
    let q = w.json(&["show", "queues", "hold.test/{default}"]);
    assert_eq!(
        (
            q["queues"][0]["paused"].as_bool(),
            q["queues"][0]["rcpts"].as_u64()
        ),
        (Some(true), Some(1)),
        "the exemption is for vmta1 only"
    );
    w.json(&["resume", "queue", "hold.test"]);
    w.wait_delivered(5).await;
    assert_eq!(w.json(&["show", "paused"])["rules"], serde_json::json!([]));
}

/// `set queue --mode` is an order on the pattern too: a queue created later, after a
/// restart, starts in backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_order_applies_to_queues_created_later() {
    let mut w = World::start("127.0.0.65", &["slow.test"]).await;
    w.json(&["set", "queue", "--mode=backoff", "slow.test"]);
    assert_eq!(w.pmtad.stop(), Some(0));
    w.pmtad = Pmtad::start_file(w.dir.path(), &w.path("pmta.conf")).expect("restart");
    w.inject(&[&["a@slow.test"]]).await;
    let q = w.json(&["show", "queues", "slow.test"]);
    assert_eq!(q["queues"][0]["mode"], "backoff", "{q}");
    w.json(&["set", "queue", "--mode=normal", "slow.test"]);
    let q = w.json(&["show", "queues", "slow.test"]);
    assert_eq!(q["queues"][0]["mode"], "normal", "{q}");
    assert_eq!(w.json(&["show", "paused"])["rules"], serde_json::json!([]));
}

/// A pattern naming nothing configured or queued is kept (pausing ahead of the first mail
/// is legitimate) but never silently: a warning with the closest name, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typo_in_a_pause_is_kept_with_a_did_you_mean() {
    let block = "<domain gmail.com>\n  max-smtp-out 3\n</domain>\n";
    let w = World::start_full("127.0.0.66", &["gmail.com"], &[], block).await;
    let out = w.ctl(&["pause", "queue", "gmial.com"], 0);
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning: no configured or queued domain matches gmial.com (did you mean gmail.com?)"
        ),
        "{err}"
    );
    let j = w.json(&["pause", "queue", "gmail.com/vmat1"]);
    let w2 = j["warning"].as_str().unwrap_or_default();
    assert!(
        w2.contains("no configured or queued virtual MTA matches vmat1"),
        "{j}"
    );
    let known = w.json(&["pause", "queue", "gmail.com"]);
    assert_eq!(known["warning"], serde_json::Value::Null);
    let rules = w.json(&["show", "paused"]);
    assert_eq!(rules["rules"].as_array().map(Vec::len), Some(2), "{rules}");
    // Verbs that need an existing queue refuse a typo, naming the closest domain.
    for verb in [
        &["schedule", "gmai.com"][..],
        &["resume", "queue", "gmai.com"],
    ] {
        let err = stderr(&w.ctl(verb, 1));
        assert!(
            err.contains("no queue matches gmai.com/* (did you mean gmail.com?)"),
            "{verb:?}: {err}"
        );
    }
}
