//! Per-domain directives enforced when mail comes in: `max-message-size`, `require-rdns`.

use pmta_tests::inject::{Message, Session};

use super::world::*;

/// example.com with `max-message-size 10K`: a declared SIZE over it is refused at RCPT with
/// 552 5.3.4 (other domains in the same transaction still accepted); an undeclared one at the
/// end of DATA; neither is ever delivered; a small message is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_max_message_size() {
    let w = World::builder(120)
        .extra("<domain example.com>\n  max-message-size 10K\n</domain>\n")
        .start()
        .await;
    let mut s = Session::connect(w.pmtad.smtp_addr()).await.unwrap();
    let r = s
        .command("MAIL FROM:<s@src.test> SIZE=20000")
        .await
        .unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    let r = s.command("RCPT TO:<big@example.com>").await.unwrap();
    assert_eq!(r.code, 552, "{r:?}");
    assert!(r.text.starts_with("5.3.4"), "{r:?}");
    let r = s.command("RCPT TO:<big@gmail.com>").await.unwrap();
    assert_eq!(r.code, 250, "another domain has no limit: {r:?}");
    let r = s.command("RSET").await.unwrap();
    assert_eq!(r.code, 250);
    let big = Message::sized("s@src.test", &["undeclared@example.com"], 20_000, 1);
    let r = s.send(&big).await.unwrap();
    assert_eq!(r.code, 552, "refused at the end of DATA: {r:?}");
    assert!(r.text.starts_with("5.3.4"), "{r:?}");
    let small = Message::sized("s@src.test", &["small@example.com"], 2_000, 2);
    assert_eq!(s.send(&small).await.unwrap().code, 250);
    let _ = s.quit().await;
    w.wait_delivered(1).await;
    // Mail to another domain queued after the small one shows the refused ones never left.
    w.inject_ok(&each(&["later@gmail.com"])).await;
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["later@gmail.com", "small@example.com"]);
}

/// With no `max-message-size` anywhere, a `<source>` takes pmtad's default of 10 MiB (not
/// PowerMTA's unlimited): EHLO advertises it, a larger SIZE= is refused at MAIL with
/// 552 5.3.4, and an undeclared larger message at the end of DATA; one at the limit is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_max_message_size_is_10_mib() {
    const MAX: usize = 10 << 20;
    let w = World::builder(122).start().await;
    let mut s = Session::connect(w.pmtad.smtp_addr()).await.unwrap();
    let r = s.command("EHLO feeder.test").await.unwrap();
    assert_eq!(r.code, 250);
    let r = s
        .command(&format!("MAIL FROM:<s@src.test> SIZE={}", MAX + 1))
        .await
        .unwrap();
    assert_eq!(r.code, 552, "{r:?}");
    assert!(r.text.starts_with("5.3.4"), "{r:?}");
    let r = s
        .command(&format!("MAIL FROM:<s@src.test> SIZE={MAX}"))
        .await
        .unwrap();
    assert_eq!(r.code, 250, "at the limit: {r:?}");
    assert_eq!(s.command("RSET").await.unwrap().code, 250);
    let big = Message::sized("s@src.test", &["big@gmail.com"], MAX + 4096, 1);
    let r = s.send(&big).await.unwrap();
    assert_eq!(r.code, 552, "refused at the end of DATA: {r:?}");
    assert!(r.text.starts_with("5.3.4"), "{r:?}");
    let small = Message::sized("s@src.test", &["small@gmail.com"], 2_000, 2);
    assert_eq!(s.send(&small).await.unwrap().code, 250);
    let _ = s.quit().await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["small@gmail.com"]);
}

/// example.com with `require-rdns yes`: a feeder whose address has no confirmed reverse DNS
/// (127.0.2.n: hickory answers `localhost`, which resolves to 127.0.0.1 only) gets
/// 550 5.7.25 at RCPT for example.com but not for gmail.com; 127.0.0.1 (confirmed) may send
/// to both. In a `<source>`, `require-rdns yes` refuses the whole session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_require_rdns() {
    let n = 121;
    let w = World::builder(n)
        .extra(&format!(
            "<domain example.com>\n  require-rdns yes\n</domain>\n\
             <source 127.0.2.0/24>\n  always-allow-relaying yes\n</source>\n\
             <source {}/32>\n  always-allow-relaying yes\n  require-rdns yes\n</source>\n",
            ip(3, n)
        ))
        .start()
        .await;
    let mut s = Session::connect_from(w.pmtad.smtp_addr(), ip(2, n))
        .await
        .unwrap();
    assert_eq!(s.command("MAIL FROM:<s@src.test>").await.unwrap().code, 250);
    let r = s.command("RCPT TO:<a@example.com>").await.unwrap();
    assert_eq!(r.code, 550, "{r:?}");
    assert!(r.text.starts_with("5.7.25"), "{r:?}");
    let r = s.command("RCPT TO:<b@gmail.com>").await.unwrap();
    assert_eq!(r.code, 250, "{r:?}");
    let _ = s.quit().await;

    let mut s = Session::connect_from(w.pmtad.smtp_addr(), ip(3, n))
        .await
        .unwrap();
    let r = s.command("MAIL FROM:<s@src.test>").await.unwrap();
    assert_eq!(r.code, 550, "the source requires rDNS: {r:?}");
    assert!(r.text.starts_with("5.7.25"), "{r:?}");
    let _ = s.quit().await;

    w.inject_ok(&each(&["c@example.com"])).await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["c@example.com"]);
}
