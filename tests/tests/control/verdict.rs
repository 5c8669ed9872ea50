//! `domain detail`'s verdict, end to end: for each way a queue can be stuck, the first line
//! says NOT SENDING with the reason that binds and when the next attempt is, the reasons are
//! listed once each, and the text output shows no empty section and no settings unless
//! asked. The daemon computes the verdict; pmtactl prints it.

use pmta_tests::output::stdout;
use pmta_tests::sink::{SmtpSink, reply};

use super::*;

/// Polls `domain detail NAME --json` until the verdict's reason is `reason` and the failed
/// attempt is requeued (its next attempt known): the routing answer is recorded a moment
/// before the retry time, and a snapshot in between has the reason without the time.
async fn verdict_for(w: &World, domain: &str, reason: &str) -> serde_json::Value {
    w.json_until(&["domain", "detail", domain], |d| {
        d["verdict"]["reason"] == reason && d["verdict"]["next_attempt"].is_string()
    })
    .await
}

fn kinds(q: &serde_json::Value) -> Vec<String> {
    q["held_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}

/// No kind twice: the issue's `dns_failure` + `connect_failure 451 4.4.3 DNS lookup…`.
fn assert_unique(q: &serde_json::Value) {
    let mut k = kinds(q);
    let n = k.len();
    k.sort();
    k.dedup();
    assert_eq!(k.len(), n, "a reason listed twice: {q:#}");
}

fn assert_next_attempt(line: &str) {
    let (_, clock) = line
        .split_once(" — next attempt ")
        .unwrap_or_else(|| panic!("no next attempt in {line:?}"));
    let hms: Vec<&str> = clock.trim_end_matches(" UTC").split(':').collect();
    assert!(
        hms.len() == 3 && hms.iter().all(|p| p.len() == 2),
        "{line:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_queue_says_so_first_and_settings_wait_for_the_flag() {
    let extra = "<domain p.test>\n  max-smtp-out 3\n</domain>\n";
    let w = World::start_full("127.0.0.78", &["p.test"], &[], extra).await;
    w.json(&["pause", "queue", "p.test"]);
    w.inject(&[&["a@p.test"]]).await;
    let d = w.json(&["domain", "detail", "p.test"]);
    assert_eq!(d["verdict"]["state"], "not_sending", "{d:#}");
    assert_eq!(d["verdict"]["reason"], "paused");
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(
        line.starts_with("NOT SENDING: paused by the operator (pause queue p.test/*"),
        "{line}"
    );
    assert_eq!(d["queues"][0]["verdict"], d["verdict"]);

    let text = stdout(&w.ctl(&["domain", "detail", "p.test"], 0));
    assert_eq!(text.lines().next(), Some(line), "{text}");
    for absent in ["Settings:", "Recent errors", "Destinations", ": none"] {
        assert!(!text.contains(absent), "{absent:?} in\n{text}");
    }
    let text = stdout(&w.ctl(&["domain", "detail", "p.test", "--settings"], 0));
    assert!(
        text.contains("Settings:") && text.contains("max-smtp-out"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_failure_names_the_name_server_once() {
    let w = World::start_failing("127.0.0.79", &[], &["dnsfail.test"]).await;
    w.inject(&[&["a@dnsfail.test"]]).await;
    let d = verdict_for(&w, "dnsfail.test", "dns_failure").await;
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(
        line.starts_with("NOT SENDING: DNS lookup for dnsfail.test"),
        "{line}"
    );
    assert!(line.contains("(asked name server 127.0.0.1:"), "{line}");
    assert_next_attempt(line);
    assert_unique(&d["queues"][0]);
    assert!(!kinds(&d["queues"][0]).contains(&"connect_failure".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_shows_the_routes_own_port() {
    let extra = "<domain refused.test>\n  route [127.0.0.80]:2599\n</domain>\n";
    let w = World::start_full("127.0.0.81", &[], &[], extra).await;
    w.inject(&[&["a@refused.test"]]).await;
    let d = verdict_for(&w, "refused.test", "connect_failure").await;
    let q = &d["queues"][0];
    assert_eq!(q["destinations"]["source"], "route");
    assert_eq!(q["destinations"]["hosts"][0]["host"], "127.0.0.80");
    assert_eq!(q["destinations"]["hosts"][0]["port"], 2599, "{q:#}");
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(line.starts_with("NOT SENDING: "), "{line}");
    assert_next_attempt(line);
    assert_unique(q);
    let text = stdout(&w.ctl(&["domain", "detail", "refused.test"], 0));
    let row = text
        .lines()
        .find(|l| l.contains("127.0.0.80") && l.contains("2599"))
        .unwrap_or_else(|| panic!("no destination row with the port:\n{text}"));
    assert!(!row.contains(" 25 "), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_queue_waits_for_its_rate() {
    let extra = "<domain rate.test>\n  max-msg-rate 1/h\n</domain>\n";
    let w = World::start_full("127.0.0.82", &["rate.test"], &[], extra).await;
    w.inject(&[&["a@rate.test"], &["b@rate.test"]]).await;
    w.wait_delivered(1).await;
    let d = verdict_for(&w, "rate.test", "rate_limit").await;
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(line.starts_with("NOT SENDING: max-msg-rate"), "{line}");
    assert_next_attempt(line);
    assert_eq!(w.delivered().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_required_but_not_offered_is_the_verdict() {
    let extra = "<domain tlsreq.test>\n  tls required\n</domain>\n";
    let w = World::start_full("127.0.0.83", &["tlsreq.test"], &[], extra).await;
    w.inject(&[&["a@tlsreq.test"]]).await;
    let d = verdict_for(&w, "tlsreq.test", "tls_required_not_offered").await;
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(line.starts_with("NOT SENDING: "), "{line}");
    assert_next_attempt(line);
    assert_unique(&d["queues"][0]);
    assert!(w.delivered().is_empty());
}

/// A bounce is among the recent errors, with its category; the queue is then idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounces_are_recent_errors_with_their_category() {
    let sink = SmtpSink::builder().on_rcpt("nobody@bounce.test", reply(550, "5.1.1 no such user"));
    let w = World::start_sink(sink, "127.0.0.84", &["bounce.test"], &[], "").await;
    w.inject(&[&["nobody@bounce.test"], &["ok@bounce.test"]])
        .await;
    w.wait_delivered(1).await;
    let d = w
        .json_until(&["domain", "detail", "bounce.test"], |d| {
            d["queues"][0]["recent_errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["kind"] == "bounced"))
        })
        .await;
    let errors = d["queues"][0]["recent_errors"].as_array().unwrap();
    let b = errors.iter().find(|e| e["kind"] == "bounced").unwrap();
    assert_eq!(b["rcpt"], "nobody@bounce.test");
    assert_eq!(b["category"], "bad-mailbox", "{b:#}");
    assert!(
        b["diag"].as_str().unwrap().starts_with("550 5.1.1"),
        "{b:#}"
    );
    let idle = w
        .json_until(&["domain", "detail", "bounce.test"], |d| {
            d["verdict"]["state"] == "idle"
        })
        .await;
    assert_eq!(idle["verdict"]["line"], "IDLE: nothing queued");
    let text = stdout(&w.ctl(&["show", "domain", "bounce.test", "--errors"], 0));
    assert!(
        text.contains("nobody@bounce.test") && text.contains("bad-mailbox"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_domain_is_refused_with_a_did_you_mean() {
    let extra = "<domain hotmail.test>\n  max-smtp-out 3\n</domain>\n";
    let w = World::start_full("127.0.0.85", &[], &[], extra).await;
    let out = w.ctl(&["domain", "detail", "hotmial.test"], 1);
    let err = stderr(&out);
    assert!(
        err.contains(
            "hotmial.test (not configured and nothing queued; did you mean hotmail.test?)"
        ),
        "{err}"
    );
    let known = w.json(&["domain", "detail", "hotmail.test"]);
    assert_eq!(known["verdict"]["line"], "IDLE: nothing queued");
}

/// A remote temporary refusal: the queue waits for its retry, and the verdict says after
/// which reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferral_says_which_reply_the_queue_waits_after() {
    let sink = SmtpSink::builder().on_rcpt("a@later.test", reply(421, "4.7.0 try later"));
    let extra = "<domain later.test>\n  retry-after 10m\n</domain>\n";
    let w = World::start_sink(sink, "127.0.0.87", &["later.test"], &[], extra).await;
    w.inject(&[&["a@later.test"]]).await;
    let d = verdict_for(&w, "later.test", "retry_wait").await;
    let line = d["verdict"]["line"].as_str().unwrap();
    assert!(
        line.starts_with(
            "NOT SENDING: waiting for the next retry (retry-after) after 421 4.7.0 try later"
        ),
        "{line}"
    );
    assert_next_attempt(line);
}
