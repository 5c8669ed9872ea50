//! Bad input, limits, timeouts, connection caps and shutdown.

use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::harness::{Client, hello, send_message, start};

#[tokio::test]
async fn refusal_codes() {
    let server = start(|_, _| {}).await;
    let mut c = server.connect().await;
    c.reply().await;
    c.expect("MAIL FROM:<a@b.example>", "503 5.5.1").await;
    c.expect("EHLO", "501 5.5.4").await;
    c.expect("EHLO c.example", "250").await;
    c.expect("FROB", "500 5.5.1").await;
    c.expect("MAIL FROM <a@b.example>", "501 5.5.4").await;
    c.expect("MAIL FROM:<a@@b>", "501 5.1.7").await;
    c.expect("MAIL FROM:<a@b.example> FOO=1", "555 5.5.4").await;
    c.expect("RCPT TO:<u@local.example>", "503 5.5.1").await;
    c.expect("DATA", "503 5.5.1").await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("MAIL FROM:<a@b.example>", "503 5.5.1").await;
    c.expect("RCPT TO:<not an address>", "501 5.1.3").await;
    c.expect("DATA", "554 5.5.1").await;
    c.expect("DATA extra", "501 5.5.4").await;
    c.expect("STARTTLS", "502 5.5.1").await;
    c.send_bytes(b"MAIL \xff\xfe\r\n").await;
    assert!(c.reply().await.lines[0].starts_with("500 5.5.2"));
    c.expect("QUIT", "221").await;
}

#[tokio::test]
async fn long_line_is_refused_and_session_continues() {
    let server = start(|_, _| {}).await;
    let mut c = hello(&server).await;
    c.send(&format!("NOOP {}\r\n", "a".repeat(100_000))).await;
    assert!(c.reply().await.lines[0].starts_with("500 5.5.6"));
    c.expect("NOOP", "250").await;
}

#[tokio::test]
async fn too_many_recipients() {
    let mut server = start(|i, _| i.source.max_rcpt_per_message = Some(2)).await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<1@local.example>", "250").await;
    c.expect("RCPT TO:<2@local.example>", "250").await;
    c.expect("RCPT TO:<3@local.example>", "452 4.5.3").await;
    c.expect("DATA", "354").await;
    c.send("\r\nx\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(server.message().await.envelope.recipients.len(), 2);
}

#[tokio::test]
async fn command_timeout_closes_with_421() {
    let server = start(|i, _| i.source.command_timeout = Duration::from_millis(200)).await;
    let mut c = hello(&server).await;
    let r = c.reply().await;
    assert!(r.lines[0].starts_with("421 4.4.2"), "{r:?}");
    assert!(c.closed().await);
}

#[tokio::test]
async fn data_timeout_closes_with_421_and_stores_nothing() {
    let mut server = start(|i, _| i.source.data_timeout = Duration::from_millis(200)).await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
    c.expect("DATA", "354").await;
    c.send("Subject: partial\r\n").await;
    assert!(c.reply().await.lines[0].starts_with("421 4.4.2"));
    assert!(c.closed().await);
    assert!(server.nothing_stored());
}

#[tokio::test]
async fn sessions_beyond_total_max_smtp_in_get_421() {
    let server = start(|_, cfg| cfg.max_sessions = 1).await;
    let mut first = hello(&server).await;
    let mut second = server.connect().await;
    assert!(second.reply().await.lines[0].starts_with("421 4.3.2"));
    assert!(second.closed().await);
    first.expect("QUIT", "221").await;
    assert!(first.closed().await);
    // The slot is released when the first session's task ends; wait for it, then connect.
    let mut again = loop {
        let mut c = server.connect().await;
        if c.reply().await.code == 220 {
            break c;
        }
        tokio::task::yield_now().await;
    };
    again.expect("EHLO c.example", "250").await;
}

#[tokio::test]
async fn too_many_errors_closes_the_session() {
    let server = start(|_, cfg| cfg.limits.max_errors = 3).await;
    let mut c = hello(&server).await;
    c.expect("BAD1", "500").await;
    c.expect("BAD2", "500").await;
    c.send("BAD3\r\n").await;
    assert_eq!(c.reply().await.code, 500);
    assert!(c.reply().await.lines[0].starts_with("421 4.7.0"));
    assert!(c.closed().await);
}

#[tokio::test]
async fn shutdown_tells_idle_sessions_and_returns() {
    let server = start(|_, _| {}).await;
    let mut c = hello(&server).await;
    server.shutdown.cancel();
    assert!(c.reply().await.lines[0].starts_with("421 4.3.2"));
    assert!(c.closed().await);
    tokio::time::timeout(crate::harness::WAIT, server.task)
        .await
        .unwrap()
        .unwrap();
}

/// Reply codes a session may give to arbitrary input.
const FUZZ_CODES: &[u16] = &[
    214, 220, 221, 250, 252, 354, 421, 500, 501, 502, 503, 550, 552, 554, 555,
];

#[tokio::test]
async fn random_input_gets_proper_replies_and_no_panic() {
    let server = start(|_, cfg| cfg.limits.max_errors = 1000).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for round in 0..20 {
        let mut c = hello(&server).await;
        let mut input = Vec::new();
        for _ in 0..50 {
            input.extend(random_line(&mut rng));
        }
        input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        c.send_bytes(&input).await;
        while let Some(r) = c.try_reply().await {
            assert!(FUZZ_CODES.contains(&r.code), "round {round}: {:?}", r.lines);
        }
    }
    // The server is still serving.
    let mut c = hello(&server).await;
    c.expect("NOOP", "250").await;
}

/// A line of random bytes, or a mangled command, with a random line ending.
fn random_line(rng: &mut impl Rng) -> Vec<u8> {
    const VERBS: &[&str] = &[
        "MAIL FROM:",
        "RCPT TO:",
        "DATA",
        "EHLO",
        "RSET",
        "NOOP",
        "VRFY",
    ];
    let mut line = Vec::new();
    if rng.random_bool(0.5) {
        line.extend_from_slice(VERBS[rng.random_range(0..VERBS.len())].as_bytes());
    }
    let n = rng.random_range(0..300);
    line.extend((0..n).map(|_| rng.random::<u8>()));
    line.extend_from_slice(if rng.random_bool(0.8) { b"\r\n" } else { b"\n" });
    line
}

#[tokio::test]
async fn client_vanishing_mid_data_stores_nothing() {
    let mut server = start(|_, _| {}).await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
    c.expect("DATA", "354").await;
    c.send("Subject: cut\r\n\r\npartial").await;
    drop(c);
    let mut c: Client<_> = hello(&server).await;
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], "\r\nok\r\n")
            .await
            .code,
        250
    );
    assert!(server.message().await.after_received().ends_with("ok\r\n"));
}

#[tokio::test]
async fn unlimited_sessions_do_not_break_the_listener() {
    let server = start(|_, cfg| cfg.max_sessions = usize::MAX).await;
    let mut c = hello(&server).await;
    c.expect("QUIT", "221").await;
    server.shutdown.cancel();
    tokio::time::timeout(crate::harness::WAIT, server.task)
        .await
        .unwrap()
        .unwrap();
}
