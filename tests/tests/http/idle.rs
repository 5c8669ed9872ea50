//! A flood of idle HTTP connections costs the daemon a bounded number of tasks and does not
//! stop SMTP intake or delivery.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_http_connections_do_not_stop_smtp() {
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
    drop(idle);
}
