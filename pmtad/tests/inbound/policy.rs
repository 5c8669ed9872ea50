//! Source and recipient-domain policy: relaying, sizes, virtual MTA selection, rDNS, the
//! Received header options, smtp-service.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use pmtad::logs::{LogOptions, LogSink};

use crate::harness::{hello, send_message, start};

#[tokio::test]
async fn relaying_is_denied_unless_allowed() {
    let server = start(|_, _| {}).await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<x@gmail.example>", "550 5.7.1").await;
    c.expect("RCPT TO:<x@LOCAL.example>", "250").await;

    let mut open = start(|i, _| i.source.policy.always_allow_relaying = true).await;
    let mut c = hello(&open).await;
    let r = send_message(&mut c, "a@b.example", &["x@gmail.example"], "\r\nhi\r\n").await;
    assert_eq!(r.code, 250);
    assert_eq!(
        open.message().await.envelope.recipients[0].address,
        "x@gmail.example"
    );
}

#[tokio::test]
async fn smtp_service_no_gets_521() {
    let server = start(|i, _| i.source.policy.smtp_service = false).await;
    let mut c = server.connect().await;
    let r = c.reply().await;
    assert_eq!(r.code, 521);
    assert!(c.closed().await);
}

#[tokio::test]
async fn x_virtual_mta_routes_and_is_removed() {
    let mut server = start(|i, _| {
        i.source.policy.process_x_virtual_mta = true;
        i.source.policy.default_virtual_mta = Some("mta1".to_string());
    })
    .await;
    let mut c = hello(&server).await;
    let body = "From: a@b.example\r\nX-Virtual-MTA: pool1\r\nSubject: s\r\n\r\nbody\r\n";
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], body)
            .await
            .code,
        250
    );
    let m = server.message().await;
    assert_eq!(m.envelope.vmta, "pool1");
    assert_eq!(
        m.after_received(),
        "From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n"
    );

    let body = "Subject: no header\r\n\r\nbody\r\n";
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], body)
            .await
            .code,
        250
    );
    assert_eq!(server.message().await.envelope.vmta, "mta1");

    let body = "X-Virtual-MTA: nosuch\r\n\r\nbody\r\n";
    let r = send_message(&mut c, "a@b.example", &["u@local.example"], body).await;
    assert_eq!(
        r.lines[0],
        "550 5.5.0 specified Virtual MTA 'nosuch' does not exist"
    );
    c.expect("QUIT", "221").await;
    assert!(server.nothing_stored());
}

#[tokio::test]
async fn x_virtual_mta_is_kept_when_not_processed() {
    let mut server = start(|_, _| {}).await;
    let mut c = hello(&server).await;
    let body = "X-Virtual-MTA: nosuch\r\n\r\nbody\r\n";
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], body)
            .await
            .code,
        250
    );
    let m = server.message().await;
    assert_eq!(m.envelope.vmta, pmtad::envelope::DEFAULT_VMTA);
    assert_eq!(m.after_received(), body);
}

#[tokio::test]
async fn oversize_refused_at_mail_rcpt_and_end_of_data() {
    let mut server = start(|i, _| {
        i.source.policy.max_message_size = Some(1000);
        i.domain_limits.insert("small.example".into(), 500);
        i.local_domains.insert("small.example".into());
    })
    .await;
    let mut c = hello(&server).await;
    let ehlo = c.expect("EHLO again.example", "250").await;
    assert!(ehlo.lines.iter().any(|l| l == "250-SIZE 1000"), "{ehlo:?}");
    c.expect("MAIL FROM:<a@b.example> SIZE=1001", "552 5.3.4")
        .await;
    c.expect("MAIL FROM:<a@b.example> SIZE=600", "250").await;
    c.expect("RCPT TO:<u@small.example>", "552 5.3.4").await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
    c.expect("DATA", "354").await;
    c.send(&format!(
        "Subject: big\r\n\r\n{}\r\n.\r\n",
        "y".repeat(1200)
    ))
    .await;
    assert!(c.reply().await.lines[0].starts_with("552 5.3.4"));
    // The session goes on; a small message after it passes.
    let r = send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nsmall\r\n").await;
    assert_eq!(r.code, 250);
    assert!(
        server
            .message()
            .await
            .after_received()
            .ends_with("small\r\n")
    );
    assert!(server.nothing_stored());
}

#[tokio::test]
async fn domain_limit_applies_at_end_of_data_without_size() {
    let mut server = start(|i, _| {
        i.domain_limits.insert("small.example".into(), 500);
        i.local_domains.insert("small.example".into());
    })
    .await;
    let mut c = hello(&server).await;
    let body = format!("\r\n{}\r\n", "z".repeat(600));
    let r = send_message(&mut c, "a@b.example", &["u@small.example"], &body).await;
    assert!(r.lines[0].starts_with("552 5.3.4"), "{r:?}");
    let r = send_message(&mut c, "a@b.example", &["u@small.example"], "\r\nok\r\n").await;
    assert_eq!(r.code, 250);
    server.message().await;
}

#[tokio::test]
async fn received_header_hidden_or_absent() {
    let mut server = start(|i, _| i.source.policy.hide_message_source = true).await;
    let mut c = hello(&server).await;
    send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nx\r\n").await;
    let text = server.message().await.text();
    assert!(text.starts_with("Received: by "), "{text}");
    assert!(!text.contains("127.0.0.1") && !text.contains("client.test.example"));

    let mut server = start(|i, _| i.source.policy.add_received_header = false).await;
    let mut c = hello(&server).await;
    send_message(
        &mut c,
        "a@b.example",
        &["u@local.example"],
        "S: 1\r\n\r\nx\r\n",
    )
    .await;
    assert_eq!(server.message().await.text(), "S: 1\r\n\r\nx\r\n");
}

#[tokio::test]
async fn require_rdns_in_source_checks_at_mail() {
    let server = start(|i, _| {
        i.source.policy.require_rdns = true;
        i.rdns = Some(false);
    })
    .await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "550 5.7.25").await;

    let server = start(|i, _| {
        i.source.policy.require_rdns = true;
        i.rdns = None;
    })
    .await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "450 4.7.25").await;

    let mut server = start(|i, _| i.source.policy.require_rdns = true).await;
    let mut c = hello(&server).await;
    let r = send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nx\r\n").await;
    assert_eq!(r.code, 250);
    server.message().await;
}

#[tokio::test]
async fn require_rdns_per_domain_checks_at_rcpt() {
    let server = start(|i, _| {
        i.rdns = Some(false);
        i.local_domains.insert("strict.example".into());
        i.rdns_domains.insert("strict.example".into());
    })
    .await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<u@strict.example>", "550 5.7.25").await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
}

#[tokio::test]
async fn store_failure_is_452() {
    let mut server = start(|_, _| {}).await;
    server.intake.fail_store.store(true, Ordering::Relaxed);
    let mut c = hello(&server).await;
    let r = send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nx\r\n").await;
    assert!(r.lines[0].starts_with("452 4.3.1"), "{r:?}");
    server.intake.fail_store.store(false, Ordering::Relaxed);
    let r = send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nx\r\n").await;
    assert_eq!(r.code, 250);
    server.message().await;
}

#[tokio::test]
async fn accounting_headers_are_captured() {
    let mut server = start(|i, _| {
        i.wanted_headers = Arc::from(["Message-Id".to_string(), "X-Campaign".to_string()]);
    })
    .await;
    let mut c = hello(&server).await;
    let body = "message-id: <m1@x>\r\nX-Campaign: spring\r\n sale\r\n\r\nX-Campaign: body\r\n";
    send_message(&mut c, "a@b.example", &["u@local.example"], body).await;
    let m = server.message().await;
    let want = [("Message-Id", "<m1@x>"), ("X-Campaign", "spring sale")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(m.envelope.acct_headers, want);
    assert_eq!(m.after_received(), body);
}

#[tokio::test]
async fn dialogue_is_traced_in_the_main_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pmtad.log");
    let opts = LogOptions {
        log_file: Some(path.clone()),
        ..LogOptions::default()
    };
    let sink = LogSink::open(&opts).unwrap();
    let mut server = start(|i, cfg| {
        i.source.policy.log_connections = true;
        i.source.policy.log_commands = true;
        cfg.log = Some(sink);
    })
    .await;
    let mut c = hello(&server).await;
    send_message(&mut c, "trace@b.example", &["u@local.example"], "\r\nx\r\n").await;
    c.expect("QUIT", "221").await;
    assert!(c.closed().await);
    server.message().await;
    // The close line is written after the socket is closed: wait for it.
    let log = tokio::time::timeout(crate::harness::WAIT, async {
        loop {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains("closed connection") {
                break text;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the close line is logged");
    assert!(
        log.contains("accepted connection from [127.0.0.1]"),
        "{log}"
    );
    assert!(log.contains(">>> MAIL FROM:<trace@b.example>"), "{log}");
    assert!(log.contains("<<< 250 2.1.0 Ok"), "{log}");
    assert!(log.contains("<<< 221 2.0.0 Bye"), "{log}");
}
