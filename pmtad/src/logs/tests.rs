//! Component tests of the sink: real files in a temp dir, read back.

use std::time::Duration;

use super::*;
use crate::outcome::{FailureKind, Outcome, Producer, Reply};

fn reply(code: u16, enhanced: &str, text: &str) -> Reply {
    Reply {
        code,
        enhanced: Some(enhanced.into()),
        text: text.into(),
    }
}

fn remote() -> Producer {
    Producer::Remote {
        host: "mx.example.com".into(),
        ip: "127.0.0.2".parse().unwrap(),
    }
}

fn sink(dir: &std::path::Path) -> LogSink {
    let opts = LogOptions {
        log_file: Some(dir.join("pmtad.log")),
        log_domain: Some(format!("{}/domains/%d.log", dir.display())),
        ..Default::default()
    };
    std::fs::create_dir(dir.join("domains")).unwrap();
    check(&opts).unwrap();
    LogSink::open(&opts).unwrap()
}

#[test]
fn log_domain_creates_one_file_per_domain_with_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    let ok = Outcome::Delivered {
        reply: reply(250, "2.0.0", "ok"),
        by: remote(),
    };
    let later = Outcome::Transient {
        reply: reply(451, "4.7.1", "greylisted"),
        by: remote(),
        kind: FailureKind::Rcpt,
    };
    let no = Outcome::Permanent {
        reply: reply(550, "5.1.1", "no such user"),
        by: remote(),
        kind: FailureKind::Rcpt,
    };
    s.outcome("a@gmail.com", "gmail.com", "mta1", &ok);
    s.outcome("b@yahoo.com", "yahoo.com", "{default}", &later);
    s.outcome("c@gmail.com", "gmail.com", "mta1", &no);
    s.connection_error(
        "yahoo.com",
        "{default}",
        "mx.yahoo.com",
        None,
        "connection refused",
    );
    let domains = dir.path().join("domains");
    let mut names: Vec<String> = std::fs::read_dir(&domains)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["gmail.com.log", "yahoo.com.log"]);
    let gmail = std::fs::read_to_string(domains.join("gmail.com.log")).unwrap();
    let lines: Vec<&str> = gmail.lines().map(|l| &l[20..]).collect();
    assert_eq!(
        lines,
        [
            "delivered a@gmail.com gmail.com/mta1 mx.example.com (127.0.0.2): 250 2.0.0 ok",
            "bounced c@gmail.com gmail.com/mta1 mx.example.com (127.0.0.2): 550 5.1.1 no such user",
        ]
    );
    let yahoo = std::fs::read_to_string(domains.join("yahoo.com.log")).unwrap();
    assert!(
        yahoo.contains("deferred b@yahoo.com yahoo.com/{default}"),
        "{yahoo}"
    );
    assert!(yahoo.contains("4.7.1 greylisted"));
    assert!(
        yahoo.contains("connection error yahoo.com/{default} to mx.yahoo.com: connection refused")
    );
    let ring = s.ring().read(0, 100, Some("gmail.com"));
    assert_eq!(ring.lines.len(), 2);
}

#[test]
fn log_data_keeps_the_first_bytes_of_a_message_and_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    let only_commands = Dialogue {
        commands: true,
        ..Dialogue::default()
    };
    assert!(s.session(1, only_commands).data_log().is_none());
    let t = s.outbound_session(
        3,
        Dialogue {
            data: true,
            ..Dialogue::default()
        },
    );
    let mut data = t.data_log().expect("log-data is on");
    data.feed(b"Subject: hi\r\n\r\n");
    let line = [b'x'; 100];
    for _ in 0..100 {
        data.feed(&line);
    }
    t.data_sent(data);
    t.sent("QUIT");
    s.sync().unwrap();
    let text = std::fs::read_to_string(dir.path().join("pmtad.log")).unwrap();
    let bodies: Vec<&str> = text.lines().map(|l| &l[20..]).collect();
    assert_eq!(bodies[0], "(out 3)<<< | Subject: hi");
    assert_eq!(bodies[1], "(out 3)<<< | ");
    assert_eq!(bodies[2].len(), "(out 3)<<< | ".len() + DATA_LOG_CAP - 15);
    assert_eq!(
        bodies[3],
        format!("(out 3)<<< [data: 10015 bytes, {DATA_LOG_CAP} logged]")
    );
    assert_eq!(bodies.len(), 4, "commands are not logged: {bodies:?}");
}

#[test]
fn main_log_has_events_and_dialogue_only_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    s.event("pmtad started");
    s.reload_refused(&["x.conf:3:1: unknown directive".into()]);
    let quiet = s.session(1, Dialogue::default());
    quiet.received("EHLO quiet");
    assert!(!quiet.commands_enabled());
    let t = s.session(
        7,
        Dialogue {
            connections: true,
            commands: true,
            data: false,
        },
    );
    t.connection("accepted connection from [127.0.0.1]:4000");
    t.received("EHLO feeder\r\n");
    t.sent("250-pmtad");
    let conn_only = s.session(
        8,
        Dialogue {
            connections: true,
            commands: false,
            data: false,
        },
    );
    conn_only.connection("accepted connection from [127.0.0.1]:4001");
    conn_only.received("MAIL FROM:<x@y>");
    s.sync().unwrap();
    let text = std::fs::read_to_string(dir.path().join("pmtad.log")).unwrap();
    let bodies: Vec<&str> = text.lines().map(|l| &l[20..]).collect();
    assert_eq!(
        bodies,
        [
            "pmtad started",
            "reload refused, 1 error(s); running configuration kept",
            "error: x.conf:3:1: unknown directive",
            "(  7)accepted connection from [127.0.0.1]:4000",
            "(  7)>>> EHLO feeder",
            "(  7)<<< 250-pmtad",
            "(  8)accepted connection from [127.0.0.1]:4001",
        ]
    );
    assert!(
        text.lines()
            .all(|l| l.as_bytes()[4] == b'-' && l.as_bytes()[19] == b' ')
    );
    assert_eq!(
        s.ring().read(0, 10, None).lines.len(),
        3,
        "dialogue stays out of the ring"
    );
}

#[test]
fn tracing_errors_reach_the_main_log() {
    use tracing_subscriber::layer::SubscriberExt;
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    let subscriber = tracing_subscriber::registry().with(MainLogLayer::new(s.clone()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("not this");
        tracing::error!(path = "/x", "accounting write failed");
    });
    let text = std::fs::read_to_string(dir.path().join("pmtad.log")).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.ends_with(" error: accounting write failed path=/x\n"),
        "{text}"
    );
}

#[test]
fn check_reports_unwritable_paths() {
    let dir = tempfile::tempdir().unwrap();
    let opts = LogOptions {
        log_file: Some(dir.path().join("nodir/pmtad.log")),
        log_domain: Some(format!("{}/%d/x.log", dir.path().display())),
        ..Default::default()
    };
    let errs = check(&opts).unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(matches!(errs[1], LogError::BadDomainPattern(_)));
}

#[tokio::test]
async fn follow_returns_new_lines_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    let cursor = s.ring().head();
    let ring = s.ring().clone();
    let follower =
        tokio::spawn(async move { ring.tail(cursor, 10, Duration::from_secs(30), None).await });
    tokio::task::yield_now().await;
    s.event("reload");
    let batch = follower.await.unwrap();
    assert_eq!(batch.lines.len(), 1);
    assert_eq!(batch.lines[0].text, "reload");
}

#[test]
fn a_failing_domain_log_is_reported_in_the_main_log() {
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path());
    // A directory where the domain's file should be: the write fails.
    std::fs::create_dir(dir.path().join("domains/broken.com.log")).unwrap();
    let ok = Outcome::Delivered {
        reply: reply(250, "2.0.0", "ok"),
        by: remote(),
    };
    s.outcome("a@broken.com", "broken.com", "mta1", &ok);
    let text = std::fs::read_to_string(dir.path().join("pmtad.log")).unwrap();
    assert!(text.contains("error: log file"), "{text}");
    assert_eq!(s.ring().read(0, 10, Some("broken.com")).lines.len(), 1);
}
