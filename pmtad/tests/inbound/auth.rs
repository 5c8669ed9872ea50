//! SMTP AUTH (RFC 4954) on the listener: when it is offered, PLAIN and LOGIN, the rules of
//! authenticated sessions, every bad input with its reply code, and the failure rate.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pmtad::inbound::SourceRules;
use rustls_pki_types::ServerName;

use crate::harness::{Client, HOST, TestServer, WAIT, hello, send_message, start};
use crate::starttls::{certificate, connector};

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

fn plain(user: &str, password: &str) -> String {
    b64(&format!("\0{user}\0{password}"))
}

/// A server with user alice (password s3cret) whose sessions may relay once logged in.
async fn server(adjust: impl FnOnce(&mut SourceRules)) -> TestServer {
    start(|c, _| {
        c.users.insert("alice".into(), "s3cret".into());
        c.source.policy.allow_unencrypted_plain_auth = true;
        adjust(&mut c.source);
        let mut auth = c.source.clone();
        auth.policy.always_allow_relaying = true;
        c.auth_source = Some(auth);
    })
    .await
}

#[tokio::test]
async fn plain_and_login_log_in_and_the_auth_rules_grant_relay() {
    let mut s = server(|_| {}).await;
    let mut c = s.connect().await;
    c.reply().await;
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(
        ehlo.lines.iter().any(|l| l == "250-AUTH PLAIN LOGIN"),
        "{ehlo:?}"
    );
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<x@remote.example>", "550 5.7.1").await;
    c.expect("RSET", "250").await;
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "235 2.7.0",
    )
    .await;
    let r = send_message(&mut c, "a@b.example", &["x@remote.example"], "\r\nhi\r\n").await;
    assert_eq!(r.code, 250);
    assert_eq!(
        s.message().await.envelope.recipients[0].address,
        "x@remote.example"
    );

    // LOGIN, with the user name as initial response and without.
    let mut c = hello(&s).await;
    c.expect(&format!("AUTH LOGIN {}", b64("alice")), "334 UGFzc3dvcmQ6")
        .await;
    c.expect(&b64("s3cret"), "235").await;
    let mut c = hello(&s).await;
    c.expect("AUTH LOGIN", "334 VXNlcm5hbWU6").await;
    c.expect(&b64("alice"), "334 UGFzc3dvcmQ6").await;
    c.expect(&b64("s3cret"), "235").await;
    // PLAIN without an initial response: an empty challenge first.
    let mut c = hello(&s).await;
    assert_eq!(c.cmd("AUTH PLAIN").await.lines, ["334"]); // "334 ", trimmed
    c.expect(&plain("alice", "s3cret"), "235").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_535() {
    let s = server(|_| {}).await;
    let mut c = hello(&s).await;
    let wrong = c
        .cmd(&format!("AUTH PLAIN {}", plain("alice", "guess")))
        .await;
    let unknown = c
        .cmd(&format!("AUTH PLAIN {}", plain("mallory", "s3cret")))
        .await;
    assert!(wrong.lines[0].starts_with("535 5.7.8"), "{wrong:?}");
    assert_eq!(wrong.lines, unknown.lines);
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<x@remote.example>", "550 5.7.1").await;
}

#[tokio::test]
async fn bad_input_gets_the_rfc_4954_codes() {
    let s = server(|_| {}).await;
    let mut c = s.connect().await;
    c.reply().await;
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "503 5.5.1",
    )
    .await; // before EHLO
    c.expect("EHLO client.test.example", "250").await;
    c.expect("AUTH CRAM-MD5", "504 5.5.4").await;
    c.expect("AUTH PLAIN %%%notbase64", "501 5.5.2").await;
    c.expect("AUTH LOGIN", "334").await;
    c.expect("*", "501 5.0.0").await;
    c.expect("AUTH PLAIN", "334").await;
    c.expect(&"A".repeat(5000), "500 5.5.6").await;
    c.expect(
        &format!("AUTH PLAIN {}", b64(&"x".repeat(1000))),
        "535 5.7.8",
    )
    .await; // decodes, but no NULs
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "503 5.5.1",
    )
    .await; // inside a transaction
    c.expect("RSET", "250").await;
    c.expect(&format!("AUTH PLAIN {}", plain("alice", "s3cret")), "235")
        .await;
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "503 5.5.1",
    )
    .await; // twice
    c.expect("QUIT", "221").await;
}

#[tokio::test]
async fn auth_is_offered_only_over_tls_unless_plain_text_is_allowed() {
    let (tls, root) = certificate();
    let s = start(|c, cfg| {
        c.users.insert("alice".into(), "s3cret".into());
        cfg.tls = Some(tls).into();
    })
    .await;
    let mut c = s.connect().await;
    c.reply().await;
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(!ehlo.text().contains("AUTH"), "{ehlo:?}");
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "538 5.7.11",
    )
    .await;
    c.expect("STARTTLS", "220").await;
    let name = ServerName::try_from(HOST).unwrap();
    let tls = connector(root)
        .connect(name, c.io.into_inner())
        .await
        .unwrap();
    let mut c = Client::new(tls);
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(
        ehlo.lines.iter().any(|l| l == "250-AUTH PLAIN LOGIN"),
        "{ehlo:?}"
    );
    c.expect(&format!("AUTH PLAIN {}", plain("alice", "s3cret")), "235")
        .await;
}

#[tokio::test]
async fn starttls_before_auth_and_before_mail_can_be_required() {
    let (tls, _) = certificate();
    let s = start(|c, cfg| {
        c.users.insert("alice".into(), "s3cret".into());
        c.source.policy.allow_unencrypted_plain_auth = true;
        c.source.policy.require_starttls_before_auth = true;
        cfg.tls = Some(tls.clone()).into();
    })
    .await;
    let mut c = hello(&s).await;
    c.expect(
        &format!("AUTH PLAIN {}", plain("alice", "s3cret")),
        "530 5.7.0",
    )
    .await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;

    let s = start(|c, cfg| {
        c.source.policy.require_starttls = true;
        cfg.tls = Some(tls).into();
    })
    .await;
    let mut c = hello(&s).await;
    c.expect("NOOP", "250").await;
    c.expect("MAIL FROM:<a@b.example>", "530 5.7.0").await;
    c.expect("VRFY x", "530 5.7.0").await;
    c.expect("STARTTLS", "220").await;
}

#[tokio::test]
async fn starttls_can_be_withheld_and_auth_required() {
    let (tls, _) = certificate();
    let s = start(|c, cfg| {
        c.users.insert("alice".into(), "s3cret".into());
        c.source.policy.allow_starttls = false;
        c.source.policy.allow_unencrypted_plain_auth = true;
        c.source.policy.require_auth = true;
        cfg.tls = Some(tls).into();
    })
    .await;
    let mut c = s.connect().await;
    c.reply().await;
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(!ehlo.text().contains("STARTTLS"), "{ehlo:?}");
    c.expect("STARTTLS", "502 5.5.1").await;
    c.expect("MAIL FROM:<a@b.example>", "530 5.7.0").await;
    c.expect(&format!("AUTH PLAIN {}", plain("alice", "s3cret")), "235")
        .await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
}

#[tokio::test]
async fn the_failure_rate_locks_a_client_out_until_its_window_ends() {
    let window = Duration::from_millis(600);
    let s = server(|r| {
        r.policy.max_auth_failures = Some(config::Rate {
            count: 2,
            per: window,
        })
    })
    .await;
    let mut c = hello(&s).await;
    let wrong = format!("AUTH PLAIN {}", plain("alice", "guess"));
    let right = format!("AUTH PLAIN {}", plain("alice", "s3cret"));
    c.expect(&wrong, "535").await;
    c.expect("AUTH PLAIN !!", "501").await; // bad input counts too
    c.expect(&right, "421 4.7.0").await;
    assert!(c.closed().await);
    // Another session from the same address is refused as well, until the window ends.
    let started = tokio::time::Instant::now();
    loop {
        let mut c = hello(&s).await;
        let r = c.cmd(&right).await;
        if r.code == 235 {
            break;
        }
        assert_eq!(r.code, 421, "{r:?}");
        assert!(started.elapsed() < WAIT, "still locked out after {WAIT:?}");
        tokio::time::sleep(window / 6).await;
    }
}
