//! `POST /command` runs pmtactl's verbs in the daemon: pause then resume changes what the
//! sink receives, and the results are the verbs' own reports.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_resume_over_http_changes_delivery_at_the_sink() {
    let w = Web::start("127.0.0.203", &["hold.test", "go.test"]).await;
    let r = w.command("127.0.0.1", "pause queue hold.test").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["pattern"], "hold.test/*");
    w.inject(&[&["a@hold.test"], &["b@go.test"]]).await;
    // go.test shares the scheduler pass: once it arrived, hold.test had its chance.
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["b@go.test"]);
    let q = w.ctl_json(&["show", "queues", "hold.test"]);
    assert_eq!(q["queues"][0]["paused"], true);

    let r = w.command("127.0.0.1", "resume queue hold.test").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = r.json();
    assert_eq!(
        (
            doc["data"]["matched"].as_u64(),
            doc["data"]["changed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["a@hold.test", "b@go.test"]);

    // Read-only verbs answer in the endpoints' shape, in XML too.
    let body = format!(
        "command={}&format=xml",
        form_encode("show topqueues --maxitems=1")
    );
    let r = Request::post_form("/command", &body)
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("<total>2</total>") && r.body.contains("<queue>"),
        "{}",
        r.body
    );
    let r = w
        .command("127.0.0.1", "set queue --mode=backoff go.test")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let q = w.ctl_json(&["show", "queues", "go.test"]);
    assert_eq!(q["queues"][0]["mode"], "backoff");
    let r = w.command("127.0.0.1", "reload").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = w.command("127.0.0.1", "frobnicate").await;
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_over_http_empties_the_queue() {
    let w = Web::start("127.0.0.204", &["gone.test"]).await;
    w.command("127.0.0.1", "pause queue gone.test").await;
    w.inject(&[&["a@gone.test"], &["b@gone.test"]]).await;
    let r = w.command("127.0.0.1", "delete --queue=gone.test").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["deleted"], 2, "{}", r.body);
    let q = w.ctl_json(&["show", "queues", "gone.test"]);
    assert_eq!(q["queues"][0]["rcpts"], 0);
}
