//! A flood of idle HTTP connections costs the daemon a bounded number of connections and
//! tasks, does not stop SMTP intake or delivery, and does not keep a new HTTP client out:
//! the listener closes the oldest idle connection for it rather than making it wait for
//! the idle ones' header timeout.

use super::*;

/// The value of an unlabelled sample in a Prometheus text exposition.
fn sample(text: &str, name: &str) -> u64 {
    let line = text.lines().find(|l| {
        let metric = l.split_whitespace().next().unwrap_or("");
        metric == name || metric == format!("{name}{{}}")
    });
    let value = line.and_then(|l| l.split_whitespace().nth(1));
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_http_connections_neither_stop_smtp_nor_starve_a_new_client() {
    let w = Web::start("127.0.0.208", &["busy.test"]).await;
    let mut idle = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let s = pmta_tests::http::connect(w.http, None)
            .await
            .expect("an idle connection");
        idle.push(s);
    }
    w.inject(&[&["a@busy.test"]]).await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["a@busy.test"]);
    let q = w.ctl_json(&["show", "status"]);
    assert_eq!(q["traffic"]["total"]["outbound"]["rcpts"], 1);
    // Accepted after the 1000 (the backlog is first in, first out): it is answered while
    // they are all still held open by the client, because the oldest idle ones gave way.
    let status = w.data("/status?format=json").await;
    assert!(status.is_object(), "{status}");
    let metrics = w.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let open = sample(&metrics.body, "pmtad_http_connections");
    let shed = sample(&metrics.body, "pmtad_http_connections_shed_total");
    assert!(open <= 512, "connections stay bounded: {open}");
    assert!(shed >= 1001 - 512, "idle connections gave way: {shed}");
    drop(idle);
}
