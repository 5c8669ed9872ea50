//! mylocal.com of the example: `local yes` + `mailbox-command` (a script writing into the
//! test directory).

use super::world::*;

/// `local yes`: mail for mylocal.com is delivered on this host (the command), never by SMTP
/// (its MX would be the sink), and accounted as a pipe delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_local() {
    let w = World::builder(130)
        .dns(|d| d.mx("mylocal.com", 10, "mx.gmail.com"))
        .start()
        .await;
    w.inject_ok(&[
        msg("s@src.test", &["alice@mylocal.com"], 1),
        msg("s@src.test", &["b@gmail.com"], 2),
    ])
    .await;
    let text = w
        .wait_text("mail/alice", |t| t.contains("Subject: test 1"))
        .await;
    assert!(text.contains("To: <alice@mylocal.com>"), "{text}");
    w.wait_delivered(1).await;
    let rows = w
        .wait_acct(|r| r.iter().any(|r| r["rcpt"] == "alice@mylocal.com"))
        .await;
    let d = rows
        .iter()
        .find(|r| r["rcpt"] == "alice@mylocal.com")
        .unwrap();
    assert_eq!(d["type"], "d", "{d:?}");
    assert_eq!(d["dlvType"], "pipe", "{d:?}");
    assert_eq!(
        w.delivered(),
        ["b@gmail.com"],
        "local mail never goes out by SMTP"
    );
    assert_eq!(w.dns.queries("mylocal.com"), 0, "nor is its MX looked up");
}

/// `mailbox-command PATH $user $from $to $domain`: run once per recipient with the message on stdin and
/// the arguments expanded; exit 0 delivers, 75 (EX_TEMPFAIL) retries, 67 (EX_NOUSER) bounces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_mailbox_command() {
    let w = World::start(131).await;
    w.inject_ok(&[
        msg(
            "sender@src.test",
            &["bob@mylocal.com", "carol@mylocal.com"],
            1,
        ),
        msg("", &["tempfail@mylocal.com"], 2),
        msg("", &["nouser@mylocal.com"], 3),
    ])
    .await;
    let bob = w
        .wait_text("mail/bob", |t| t.contains("Subject: test 1"))
        .await;
    assert!(
        bob.starts_with("from=sender@src.test to=bob@mylocal.com domain=mylocal.com\n"),
        "{bob}"
    );
    let carol = w
        .wait_text("mail/carol", |t| t.contains("Subject: test 1"))
        .await;
    assert!(
        carol.contains("\r\n\r\n"),
        "the whole message on stdin: {carol}"
    );
    w.wait_text("mail/tempfail", |t| t.contains("Subject: test 2"))
        .await;
    let rows = w
        .wait_acct(|r| {
            r.iter().any(|r| r["rcpt"] == "nouser@mylocal.com")
                && r.iter()
                    .any(|r| r["rcpt"] == "tempfail@mylocal.com" && r["type"] == "d")
        })
        .await;
    let of = |rcpt: &str, kind: &str| {
        rows.iter()
            .filter(|r| r["rcpt"] == rcpt && r["type"] == kind)
            .count()
    };
    assert_eq!(of("tempfail@mylocal.com", "t"), 1, "{rows:?}");
    assert_eq!(of("tempfail@mylocal.com", "d"), 1, "{rows:?}");
    assert_eq!(of("nouser@mylocal.com", "b"), 1, "{rows:?}");
    assert_eq!(of("bob@mylocal.com", "d"), 1, "{rows:?}");
    assert!(!w.path("mail/nouser").exists());
}
