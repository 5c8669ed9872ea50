//! `domain detail` names where each failure happened: the failure kind travels with the
//! outcome from the code that saw it fail (resolver, SMTP client step, policy) to the queue's
//! recent events, and is never guessed from the reply text. One test per place a queue can
//! fail, each against a real pmtad, checked in `--json` and in the text output.

use pmta_tests::output::stdout;
use pmta_tests::sink::{Phase, SmtpSink, reply};

use super::*;

/// Polls `domain detail DOMAIN --json` until a recent error records failure `failure`;
/// returns that event.
async fn failed_at(w: &World, domain: &str, failure: &str) -> serde_json::Value {
    let d = w
        .json_until(&["domain", "detail", domain], |d| {
            event(d, failure).is_some()
        })
        .await;
    event(&d, failure).unwrap()
}

fn event(d: &serde_json::Value, failure: &str) -> Option<serde_json::Value> {
    d["queues"][0]["recent_errors"]
        .as_array()?
        .iter()
        .find(|e| e["failure"] == failure)
        .cloned()
}

/// The text output lists the event under "Recent errors" with its kind and failure side by
/// side (the KIND and FAILURE columns).
fn assert_text_row(w: &World, domain: &str, kind: &str, failure: &str) -> String {
    let text = stdout(&w.ctl(&["domain", "detail", domain], 0));
    let errors = text
        .split_once("Recent errors:")
        .unwrap_or_else(|| panic!("no recent errors in\n{text}"))
        .1;
    let row = errors.lines().find(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.windows(2).any(|p| p == [kind, failure])
    });
    assert!(row.is_some(), "no {kind} {failure} row in\n{text}");
    row.unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_failure_is_a_dns_event() {
    let w = World::start_failing("127.0.15.1", &[], &["kdns.test"]).await;
    w.inject(&[&["a@kdns.test"]]).await;
    let e = failed_at(&w, "kdns.test", "dns").await;
    assert_eq!(e["kind"], "dns_error", "{e:#}");
    assert!(
        e["diag"].as_str().unwrap().starts_with("451 4.4.3"),
        "{e:#}"
    );
    assert_text_row(&w, "kdns.test", "dns_error", "dns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_a_connect_event() {
    // Nothing listens on the route's port.
    let extra = "<domain kconn.test>\n  route [127.0.15.2]:2599\n</domain>\n";
    let w = World::start_full("127.0.15.3", &[], &[], extra).await;
    w.inject(&[&["a@kconn.test"]]).await;
    let e = failed_at(&w, "kconn.test", "connect").await;
    assert_eq!(e["kind"], "connection_error", "{e:#}");
    assert_eq!(e["rcpt"], serde_json::Value::Null, "a queue event: {e:#}");
    assert_text_row(&w, "kconn.test", "connection_error", "connect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_required_but_not_offered_is_a_tls_event() {
    // The sink does not offer STARTTLS.
    let extra = "<domain ktls.test>\n  tls required\n</domain>\n";
    let w = World::start_full("127.0.15.4", &["ktls.test"], &[], extra).await;
    w.inject(&[&["a@ktls.test"]]).await;
    let e = failed_at(&w, "ktls.test", "tls").await;
    assert_eq!(e["kind"], "tls_error", "{e:#}");
    assert!(
        e["diag"]
            .as_str()
            .unwrap()
            .contains("server does not offer STARTTLS"),
        "{e:#}"
    );
    let d = w.json(&["domain", "detail", "ktls.test"]);
    assert_eq!(
        d["queues"][0]["held_back"][0]["kind"], "tls_required_not_offered",
        "{d:#}"
    );
    assert_text_row(&w, "ktls.test", "tls_error", "tls");
    assert!(w.delivered().is_empty());
}

/// A 5xx to RCPT bounces the recipient: the bounce is a recent error with the recipient,
/// its category, and the step that refused it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_to_rcpt_is_a_bounce_at_rcpt() {
    let sink = SmtpSink::builder().on_rcpt("nobody@krcpt.test", reply(550, "5.1.1 no such user"));
    let w = World::start_sink(sink, "127.0.15.5", &["krcpt.test"], &[], "").await;
    w.inject(&[&["nobody@krcpt.test"]]).await;
    let e = failed_at(&w, "krcpt.test", "rcpt").await;
    assert_eq!(e["kind"], "bounced", "{e:#}");
    assert_eq!(e["rcpt"], "nobody@krcpt.test");
    assert_eq!(e["category"], "bad-mailbox");
    assert!(
        e["diag"].as_str().unwrap().starts_with("550 5.1.1"),
        "{e:#}"
    );
    let row = assert_text_row(&w, "krcpt.test", "bounced", "rcpt");
    assert!(
        row.contains("nobody@krcpt.test") && row.contains("bad-mailbox"),
        "{row}"
    );
    w.wait_acct("nobody@krcpt.test", 1).await;
}

/// A 4xx after the message was sent defers every recipient at DATA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_to_data_is_a_deferral_at_data() {
    let sink = SmtpSink::builder().on(Phase::DataEnd, reply(451, "4.3.0 try again later"));
    let extra = "<domain kdata.test>\n  retry-after 10m\n</domain>\n";
    let w = World::start_sink(sink, "127.0.15.6", &["kdata.test"], &[], extra).await;
    w.inject(&[&["a@kdata.test"]]).await;
    let e = failed_at(&w, "kdata.test", "data").await;
    assert_eq!(e["kind"], "deferred", "{e:#}");
    assert!(
        e["diag"].as_str().unwrap().starts_with("451 4.3.0"),
        "{e:#}"
    );
    assert_text_row(&w, "kdata.test", "deferred", "data");
}
