//! The sink against the injector over loopback.

use std::time::Duration;

use super::*;
use crate::inject::{Message, Session};

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn records_messages_and_pipelining() {
    let sink = SmtpSink::builder().start().await.unwrap();
    let mut s = Session::connect(sink.addr()).await.unwrap();
    let msg = Message::sized("a@x.test", &["b@y.test", "c@y.test"], 300, 1);
    assert_eq!(s.send(&msg).await.unwrap().code, 250);
    s.quit().await.unwrap();
    let got = sink.wait_for_messages(1, T).await.unwrap();
    assert_eq!(got[0].mail_from, "a@x.test");
    assert_eq!(got[0].rcpts, ["b@y.test", "c@y.test"]);
    assert_eq!(got[0].data, msg.data);
    assert!(!got[0].tls);
    let state = sink.wait_for_idle(T).await.unwrap();
    assert_eq!(
        state.max_pipelined, 4,
        "MAIL, 2 RCPT and DATA arrive in one batch"
    );
    assert_eq!(sink.max_concurrent(sink.addr()), 1);
}

#[tokio::test]
async fn scripted_replies_by_recipient_and_attempt() {
    let sink = SmtpSink::builder()
        .no_pipelining()
        .on_rcpt("bad@y.test", reply(550, "5.1.1 no such user"))
        .on_attempt(Phase::DataEnd, 1, reply(451, "4.3.0 try later"))
        .start()
        .await
        .unwrap();
    let mut s = Session::connect(sink.addr()).await.unwrap();
    let msg = Message::sized("a@x.test", &["bad@y.test", "ok@y.test"], 200, 1);
    assert_eq!(s.send(&msg).await.unwrap().code, 451);
    assert_eq!(s.send(&msg).await.unwrap().code, 250);
    let got = sink.wait_for_messages(1, T).await.unwrap();
    assert_eq!(got[0].rcpts, ["ok@y.test"]);
    assert_eq!(got[0].transaction, 2);
    let state = sink.state();
    assert_eq!(state.transfers.len(), 2);
    assert_eq!(state.max_pipelined, 1);
    assert_eq!(state.rcpt_seen["bad@y.test"], 2);
}

#[tokio::test]
async fn count_only_keeps_counters_but_no_records() {
    let sink = SmtpSink::builder().count_only().start().await.unwrap();
    let mut s = Session::connect(sink.addr()).await.unwrap();
    for n in 0..3 {
        let msg = Message::sized("a@x.test", &["b@y.test", "c@y.test"], 500, n);
        assert_eq!(s.send(&msg).await.unwrap().code, 250);
    }
    s.quit().await.unwrap();
    sink.wait_for_rcpts(6, T).await.unwrap();
    let state = sink.state();
    assert_eq!((state.accepted, state.accepted_rcpts), (3, 6));
    assert!(state.transfers.is_empty() && state.commands.is_empty());
}
