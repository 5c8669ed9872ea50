//! The client against real SMTP sinks over loopback.

use std::sync::Arc;
use std::time::Duration;

use pmta_tests::sink::SinkBuilder;
use pmta_tests::{Action, Phase, SmtpSink, certs, reply};

use super::*;

const T: Duration = Duration::from_secs(10);
const MSG: &[u8] =
    b"From: <a@x.test>\r\nTo: <b@y.test>\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n";

fn cfg() -> ClientConfig {
    ClientConfig {
        helo_name: "mta.x.test".into(),
        connect_timeout: T,
        greeting_timeout: T,
        command_timeout: T,
        data_send_timeout: T,
        data_end_timeout: T,
        ..ClientConfig::default()
    }
}

fn dest(sink: &SmtpSink) -> Destination {
    Destination {
        host: "mx.y.test".into(),
        ip: sink.addr().ip(),
        port: sink.addr().port(),
    }
}

async fn sink(b: SinkBuilder) -> SmtpSink {
    b.start().await.unwrap()
}

async fn connect(sink: &SmtpSink, cfg: ClientConfig) -> Result<SmtpConnection, SessionError> {
    SmtpConnection::connect(dest(sink), Arc::new(cfg)).await
}

fn kinds(outcomes: &[Outcome]) -> Vec<&'static str> {
    outcomes
        .iter()
        .map(|o| match o {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Transient { .. } => "transient",
            Outcome::Permanent { .. } => "permanent",
        })
        .collect()
}

#[tokio::test]
async fn delivers_and_reuses_the_connection() {
    let s = sink(SmtpSink::builder()).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    assert!(c.info().esmtp);
    assert_eq!(
        kinds(&c.send("a@x.test", &["b@y.test"], &[MSG]).await),
        ["delivered"]
    );
    let two = c
        .send("a@x.test", &["c@y.test", "d@y.test"], &[b"X: 1\r\n", MSG])
        .await;
    assert_eq!(kinds(&two), ["delivered", "delivered"]);
    assert_eq!(c.info().messages, 2);
    c.quit().await;
    let got = s.wait_for_messages(2, T).await.unwrap();
    assert_eq!(got[0].data, MSG, "dot-stuffing is undone by the server");
    assert_eq!(got[0].helo, "mta.x.test");
    assert_eq!(got[1].rcpts, ["c@y.test", "d@y.test"]);
    assert!(got[1].data.starts_with(b"X: 1\r\nFrom:"));
    let state = s.wait_for_idle(T).await.unwrap();
    assert_eq!(state.connections.len(), 1);
    assert_eq!(state.count_verb("QUIT"), 1);
    assert_eq!(state.count_verb("RSET"), 0);
}

#[tokio::test]
async fn pipelining_depth_is_observed_by_the_server() {
    let s = sink(SmtpSink::builder()).await;
    let mut c = connect(
        &s,
        ClientConfig {
            pipeline_depth: 5,
            ..cfg()
        },
    )
    .await
    .unwrap();
    let out = c
        .send("a@x.test", &["b@y.test", "c@y.test", "d@y.test"], &[MSG])
        .await;
    assert_eq!(kinds(&out), ["delivered"; 3]);
    c.quit().await;
    assert_eq!(
        s.wait_for_idle(T).await.unwrap().max_pipelined,
        5,
        "MAIL + 3 RCPT + DATA"
    );

    let s = sink(SmtpSink::builder()).await;
    let mut c = connect(
        &s,
        ClientConfig {
            pipeline_depth: 3,
            ..cfg()
        },
    )
    .await
    .unwrap();
    c.send("a@x.test", &["b@y.test", "c@y.test", "d@y.test"], &[MSG])
        .await;
    c.quit().await;
    assert_eq!(
        s.wait_for_idle(T).await.unwrap().max_pipelined,
        3,
        "never more than the depth"
    );

    for depth in [0, 1] {
        let s = sink(SmtpSink::builder()).await;
        let mut c = connect(
            &s,
            ClientConfig {
                pipeline_depth: depth,
                ..cfg()
            },
        )
        .await
        .unwrap();
        c.send("a@x.test", &["b@y.test", "c@y.test"], &[MSG]).await;
        c.quit().await;
        assert_eq!(
            s.wait_for_idle(T).await.unwrap().max_pipelined,
            1,
            "depth {depth}"
        );
    }

    let s = sink(SmtpSink::builder().no_pipelining()).await;
    let mut c = connect(
        &s,
        ClientConfig {
            pipeline_depth: 5,
            ..cfg()
        },
    )
    .await
    .unwrap();
    c.send("a@x.test", &["b@y.test", "c@y.test"], &[MSG]).await;
    c.quit().await;
    assert_eq!(
        s.wait_for_idle(T).await.unwrap().max_pipelined,
        1,
        "not offered, not used"
    );
}

#[tokio::test]
async fn per_recipient_and_data_replies() {
    for depth in [0, 5] {
        let s = sink(
            SmtpSink::builder()
                .on_rcpt("bad@y.test", reply(550, "5.1.1 no such user"))
                .on_rcpt("later@y.test", reply(452, "4.2.2 mailbox full")),
        )
        .await;
        let mut c = connect(
            &s,
            ClientConfig {
                pipeline_depth: depth,
                ..cfg()
            },
        )
        .await
        .unwrap();
        let out = c
            .send(
                "a@x.test",
                &["bad@y.test", "later@y.test", "ok@y.test"],
                &[MSG],
            )
            .await;
        assert_eq!(
            kinds(&out),
            ["permanent", "transient", "delivered"],
            "depth {depth}"
        );
        assert_eq!(out[0].reply().enhanced.as_deref(), Some("5.1.1"));
        assert_eq!(out[0].reply().text, "no such user");
        assert!(
            matches!(&out[2], Outcome::Delivered { by: Producer::Remote { host, .. }, .. }
            if host == "mx.y.test")
        );
        c.quit().await;
        assert_eq!(
            s.wait_for_messages(1, T).await.unwrap()[0].rcpts,
            ["ok@y.test"]
        );
    }

    let s =
        sink(SmtpSink::builder().on(Phase::DataEnd, reply(554, "5.7.1 rejected as spam"))).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    let out = c.send("a@x.test", &["b@y.test", "c@y.test"], &[MSG]).await;
    assert_eq!(kinds(&out), ["permanent", "permanent"]);
    assert!(c.is_open());
}

#[tokio::test]
async fn all_recipients_refused_then_rset_before_the_next_message() {
    for depth in [0, 5] {
        let s = sink(SmtpSink::builder().on_rcpt("bad@y.test", reply(550, "5.1.1 unknown"))).await;
        let mut c = connect(
            &s,
            ClientConfig {
                pipeline_depth: depth,
                ..cfg()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            kinds(&c.send("a@x.test", &["bad@y.test"], &[MSG]).await),
            ["permanent"]
        );
        assert_eq!(
            kinds(&c.send("a@x.test", &["ok@y.test"], &[MSG]).await),
            ["delivered"]
        );
        c.quit().await;
        let state = s.wait_for_idle(T).await.unwrap();
        assert_eq!(state.count_verb("RSET"), 1, "depth {depth}");
        assert_eq!(state.messages().len(), 1);
    }
}

#[tokio::test]
async fn mail_refused_applies_to_every_recipient() {
    let s =
        sink(SmtpSink::builder().on_attempt(Phase::Mail, 1, reply(451, "4.7.1 slow down"))).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    let out = c.send("a@x.test", &["b@y.test", "c@y.test"], &[MSG]).await;
    assert_eq!(kinds(&out), ["transient", "transient"]);
    assert_eq!(out[0].reply().code, 451);
    // 4xx first, then 2xx: delivered once on the retry.
    let out = c.send("a@x.test", &["b@y.test", "c@y.test"], &[MSG]).await;
    assert_eq!(kinds(&out), ["delivered", "delivered"]);
    c.quit().await;
    let state = s.wait_for_idle(T).await.unwrap();
    assert_eq!(state.count_verb("RCPT"), 2, "no RCPT after a refused MAIL");
    assert_eq!(state.messages().len(), 1);
}

#[tokio::test]
async fn recipients_are_split_by_max_rcpt_per_transaction() {
    let s = sink(SmtpSink::builder()).await;
    let mut c = connect(
        &s,
        ClientConfig {
            max_rcpt_per_transaction: 2,
            ..cfg()
        },
    )
    .await
    .unwrap();
    let rcpts = ["1@y.test", "2@y.test", "3@y.test", "4@y.test", "5@y.test"];
    assert_eq!(
        kinds(&c.send("a@x.test", &rcpts, &[MSG]).await),
        ["delivered"; 5]
    );
    c.quit().await;
    let got = s.wait_for_messages(3, T).await.unwrap();
    let sizes: Vec<usize> = got.iter().map(|m| m.rcpts.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert!(got.iter().all(|m| m.conn == 1));
}

#[tokio::test]
async fn drop_in_the_middle_of_data_is_transient() {
    let s = sink(SmtpSink::builder().on(Phase::Data, Action::DropMidData)).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    let big = vec![b'x'; 4 << 20];
    let out = c
        .send("a@x.test", &["b@y.test", "c@y.test"], &[MSG, &big, b"\r\n"])
        .await;
    assert_eq!(kinds(&out), ["transient", "transient"]);
    assert!(!c.is_open());
    assert_eq!(
        kinds(&c.send("a@x.test", &["b@y.test"], &[MSG]).await),
        ["transient"]
    );

    let s = sink(SmtpSink::builder().on(Phase::DataEnd, Action::Drop)).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    let out = c.send("a@x.test", &["b@y.test"], &[MSG]).await;
    assert_eq!(kinds(&out), ["transient"]);
    assert!(out[0].reply().text.contains("end of DATA"), "{:?}", out[0]);
}

#[tokio::test]
async fn tls_required_without_starttls_sends_nothing() {
    let s = sink(SmtpSink::builder()).await;
    let err = connect(
        &s,
        ClientConfig {
            tls: TlsMode::Required,
            ..cfg()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SessionError::TlsRequired(_)), "{err:?}");
    let out = err.outcome(&dest(&s));
    assert!(matches!(out, Outcome::Transient { .. }));
    assert!(
        out.reply().text.contains("does not offer STARTTLS"),
        "{out:?}"
    );
    let state = s.wait_for_idle(T).await.unwrap();
    assert_eq!(state.count_verb("MAIL"), 0);
}

#[tokio::test]
async fn tls_optional_uses_tls_when_offered() {
    let tls = certs::self_signed_server(&["mx.y.test"]).unwrap();
    let s = sink(SmtpSink::builder().starttls(tls.clone())).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    assert!(
        c.info()
            .tls
            .as_deref()
            .is_some_and(|t| t.starts_with("TLSv1")),
        "{:?}",
        c.info()
    );
    assert_eq!(
        kinds(&c.send("a@x.test", &["b@y.test"], &[MSG]).await),
        ["delivered"]
    );
    c.quit().await;
    let got = s.wait_for_messages(1, T).await.unwrap();
    assert!(got[0].tls);
    assert_eq!(got[0].helo, "mta.x.test", "EHLO again after the handshake");

    let s = sink(SmtpSink::builder().starttls(tls)).await;
    let c = connect(
        &s,
        ClientConfig {
            tls: TlsMode::No,
            ..cfg()
        },
    )
    .await
    .unwrap();
    assert!(c.info().tls.is_none());
    c.quit().await;
    assert_eq!(s.wait_for_idle(T).await.unwrap().count_verb("STARTTLS"), 0);
}

#[tokio::test]
async fn tls_optional_falls_back_to_plain_text_but_required_does_not() {
    let s = sink(SmtpSink::builder().starttls_broken()).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    assert!(c.info().tls.is_none());
    assert_eq!(
        kinds(&c.send("a@x.test", &["b@y.test"], &[MSG]).await),
        ["delivered"]
    );
    c.quit().await;
    let state = s.wait_for_idle(T).await.unwrap();
    assert_eq!(
        state.connections.len(),
        2,
        "a fresh connection for the plain-text retry"
    );
    assert_eq!(state.count_verb("STARTTLS"), 1);

    let s = sink(SmtpSink::builder().starttls_broken()).await;
    let err = connect(
        &s,
        ClientConfig {
            tls: TlsMode::Required,
            ..cfg()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SessionError::TlsRequired(_)), "{err:?}");
    assert_eq!(s.wait_for_idle(T).await.unwrap().connections.len(), 1);
}

#[tokio::test]
async fn data_injected_before_the_handshake_is_refused() {
    let tls = certs::self_signed_server(&["mx.y.test"]).unwrap();
    let s = sink(SmtpSink::builder().starttls(tls).starttls_inject()).await;
    let err = connect(
        &s,
        ClientConfig {
            tls: TlsMode::Required,
            ..cfg()
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("before the TLS handshake"),
        "{err}"
    );
}

#[tokio::test]
async fn binds_the_source_address() {
    let s = sink(SmtpSink::builder()).await;
    let source = "127.0.0.3".parse().unwrap();
    let mut c = connect(
        &s,
        ClientConfig {
            source_ip: Some(source),
            ..cfg()
        },
    )
    .await
    .unwrap();
    assert_eq!(c.info().local.ip(), source);
    c.send("a@x.test", &["b@y.test"], &[MSG]).await;
    c.quit().await;
    assert_eq!(
        s.wait_for_messages(1, T).await.unwrap()[0].peer.ip(),
        source
    );
}

#[tokio::test]
async fn size_and_8bitmime_are_honoured() {
    let s = sink(SmtpSink::builder().size(100)).await;
    let mut c = connect(&s, cfg()).await.unwrap();
    let out = c
        .send("a@x.test", &["b@y.test"], &[MSG, &[b'x'; 200]])
        .await;
    assert_eq!(kinds(&out), ["permanent"]);
    assert_eq!(out[0].reply().enhanced.as_deref(), Some("5.3.4"));
    c.send(
        "a@x.test",
        &["b@y.test"],
        &["Subject: caf\u{e9}\r\n\r\nok\r\n".as_bytes()],
    )
    .await;
    c.quit().await;
    let got = s.wait_for_messages(1, T).await.unwrap();
    assert_eq!(got[0].mail_params, "SIZE=22 BODY=8BITMIME");
    assert_eq!(
        s.state().count_verb("MAIL"),
        1,
        "the oversize message never reached MAIL"
    );
}

#[tokio::test]
async fn helo_fallback_and_refusals() {
    let s = sink(SmtpSink::builder().on(Phase::Ehlo, reply(502, "5.5.1 no ESMTP here"))).await;
    let mut c = connect(
        &s,
        ClientConfig {
            pipeline_depth: 5,
            ..cfg()
        },
    )
    .await
    .unwrap();
    assert!(!c.info().esmtp);
    assert_eq!(
        kinds(&c.send("a@x.test", &["b@y.test"], &[MSG]).await),
        ["delivered"]
    );
    c.quit().await;
    let state = s.wait_for_idle(T).await.unwrap();
    assert_eq!((state.count_verb("HELO"), state.max_pipelined), (1, 1));

    let s = sink(SmtpSink::builder().on(Phase::Greeting, reply(554, "5.7.1 go away"))).await;
    let err = connect(&s, cfg()).await.unwrap_err();
    assert!(
        matches!(err.outcome(&dest(&s)), Outcome::Permanent { .. }),
        "{err:?}"
    );

    let s = sink(SmtpSink::builder().on(Phase::Greeting, reply(421, "4.3.2 busy"))).await;
    let err = connect(&s, cfg()).await.unwrap_err();
    assert!(
        matches!(err.outcome(&dest(&s)), Outcome::Transient { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_failures_are_transient() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let d = Destination {
        host: "mx.y.test".into(),
        ip: addr.ip(),
        port: addr.port(),
    };
    let err = SmtpConnection::connect(d.clone(), Arc::new(cfg()))
        .await
        .unwrap_err();
    assert!(matches!(err, SessionError::Connect { .. }), "{err:?}");
    let out = err.outcome(&d);
    assert!(matches!(out, Outcome::Transient { .. }));
    assert_eq!(out.reply().enhanced.as_deref(), Some("4.4.1"));
}

#[tokio::test]
async fn mx_lookup_leads_to_the_right_sink() {
    let s = sink(SmtpSink::builder().listen("127.0.0.7:0".parse().unwrap())).await;
    let dns = pmta_tests::TestDns::builder()
        .mx("gmail.com", 10, "mx1.gmail.com")
        .a("mx1.gmail.com", "127.0.0.7")
        .start()
        .await
        .unwrap();
    let resolver = crate::dns::Resolver::new(&[dns.addr()]).unwrap();
    let target = resolver.mx_targets("gmail.com").await.unwrap().remove(0);
    let ip = resolver.addresses(&target.host).await.unwrap()[0];
    let d = Destination {
        host: target.host,
        ip,
        port: s.addr().port(),
    };
    let mut c = SmtpConnection::connect(d, Arc::new(cfg())).await.unwrap();
    let out = c.send("a@x.test", &["bob@gmail.com"], &[MSG]).await;
    assert!(
        matches!(&out[0], Outcome::Delivered { by: Producer::Remote { host, .. }, .. }
        if host == "mx1.gmail.com")
    );
    c.quit().await;
    let got = s.wait_for_messages(1, T).await.unwrap();
    assert_eq!(got[0].local, s.addr());
    assert_eq!(got[0].rcpts, ["bob@gmail.com"]);
}

/// Each step names itself in errors as before and records the failure kind of its place in
/// the dialogue; the kind never depends on the error's wording.
#[test]
fn session_errors_record_the_step_they_failed_at() {
    use crate::outcome::FailureKind;
    let cases = [
        (SessionError::Timeout(Step::Connect), FailureKind::Connect),
        (SessionError::Timeout(Step::Greeting), FailureKind::Greeting),
        (SessionError::Closed(Step::Ehlo), FailureKind::Greeting),
        (
            SessionError::Closed(Step::EarlierTransaction),
            FailureKind::Connect,
        ),
        (SessionError::TlsRequired("no".into()), FailureKind::Tls),
        (SessionError::Timeout(Step::Mail), FailureKind::Mail),
        (SessionError::Timeout(Step::Rcpt), FailureKind::Rcpt),
        (SessionError::Timeout(Step::DataEnd), FailureKind::Data),
    ];
    for (e, kind) in cases {
        assert_eq!(e.kind(), kind, "{e}");
    }
    let e = SessionError::Timeout(Step::DataEnd);
    assert_eq!(e.to_string(), "timed out waiting during end of DATA");
    let e = SessionError::Rejected {
        stage: Step::Rcpt,
        reply: crate::delivery::classify::reply_from_parts(550, "5.1.1 no such user"),
    };
    assert_eq!(
        e.to_string(),
        "server replied 550 5.1.1 no such user to RCPT TO"
    );
    assert_eq!(e.kind(), FailureKind::Rcpt);
}
