//! The normal dialogue, pipelining and DATA transparency.

use pmtad::envelope::DEFAULT_VMTA;

use crate::harness::{HOST, hello, send_message, start};

#[tokio::test]
async fn full_dialogue_stores_the_message() {
    let mut server = start(|_, _| {}).await;
    let mut c = server.connect().await;
    let banner = c.reply().await;
    assert_eq!(banner.code, 220);
    assert!(banner.text().contains(HOST), "{banner:?}");
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    for ext in ["PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES"] {
        assert!(
            ehlo.lines.iter().any(|l| l[4..].starts_with(ext)),
            "{ext} in {ehlo:?}"
        );
    }
    assert!(
        !ehlo.text().contains("STARTTLS"),
        "no certificate, no STARTTLS"
    );
    c.expect("NOOP", "250 2.0.0").await;
    c.expect("VRFY someone", "252").await;
    c.expect(
        "MAIL FROM:<sender@feeder.example> SIZE=100 BODY=8BITMIME ENVID=e1",
        "250 2.1.0",
    )
    .await;
    c.expect(
        "RCPT TO:<User@Local.Example> ORCPT=rfc822;orig@x.example",
        "250 2.1.5",
    )
    .await;
    c.expect("RCPT TO:<other@local.example>", "250 2.1.5").await;
    c.expect("DATA", "354").await;
    c.send("Subject: hi\r\n\r\nHello\r\n.\r\n").await;
    let done = c.reply().await;
    assert!(
        done.lines[0].starts_with("250 2.0.0 Ok: queued as"),
        "{done:?}"
    );
    c.expect("QUIT", "221 2.0.0").await;
    assert!(c.closed().await);

    let m = server.message().await;
    assert_eq!(m.envelope.mail_from, "sender@feeder.example");
    assert_eq!(m.envelope.recipients.len(), 2);
    assert_eq!(m.envelope.recipients[0].address, "User@Local.Example");
    assert_eq!(
        m.envelope.recipients[0].orcpt.as_deref(),
        Some("rfc822;orig@x.example")
    );
    assert_eq!(m.envelope.vmta, DEFAULT_VMTA);
    assert_eq!(m.envelope.env_id.as_deref(), Some("e1"));
    assert_eq!(m.envelope.source_ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(m.envelope.size, m.content.len() as u64);
    let text = m.text();
    assert!(
        text.starts_with("Received: from client.test.example ("),
        "{text}"
    );
    assert!(
        text.contains("[127.0.0.1]") && text.contains(&format!("by {HOST} (pmtad) with ESMTP;"))
    );
    assert_eq!(m.after_received(), "Subject: hi\r\n\r\nHello\r\n");
}

#[tokio::test]
async fn null_sender_rset_and_helo() {
    let mut server = start(|_, _| {}).await;
    let mut c = server.connect().await;
    c.reply().await;
    let helo = c.expect("HELO old.example", "250").await;
    assert_eq!(helo.lines.len(), 1);
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RSET", "250 2.0.0").await;
    c.expect("RCPT TO:<x@local.example>", "503 5.5.1").await;
    let r = send_message(&mut c, "", &["x@local.example"], "\r\nbounce\r\n").await;
    assert_eq!(r.code, 250);
    let m = server.message().await;
    assert_eq!(m.envelope.mail_from, "");
    assert!(m.text().contains("with SMTP;"));
}

#[tokio::test]
async fn pipelined_client_gets_every_reply() {
    let mut server = start(|_, _| {}).await;
    let mut c = server.connect().await;
    c.send(concat!(
        "EHLO pipe.example\r\n",
        "MAIL FROM:<a@pipe.example>\r\n",
        "RCPT TO:<r1@local.example>\r\n",
        "RCPT TO:<r2@elsewhere.example>\r\n",
        "RCPT TO:<r3@local.example>\r\n",
        "DATA\r\n",
        "Subject: one\r\n\r\nfirst\r\n.\r\n",
        "MAIL FROM:<b@pipe.example>\r\n",
        "RCPT TO:<r4@local.example>\r\n",
        "DATA\r\n",
        "Subject: two\r\n\r\nsecond\r\n.\r\n",
        "QUIT\r\n",
    ))
    .await;
    let mut codes = Vec::new();
    while let Some(r) = c.try_reply().await {
        codes.push(r.code);
    }
    assert_eq!(
        codes,
        [
            220, 250, 250, 250, 550, 250, 354, 250, 250, 250, 354, 250, 221
        ]
    );
    let first = server.message().await;
    assert_eq!(first.envelope.recipients.len(), 2);
    assert!(first.after_received().ends_with("first\r\n"));
    let second = server.message().await;
    assert_eq!(second.envelope.recipients[0].address, "r4@local.example");
    assert!(second.after_received().ends_with("second\r\n"));
}

#[tokio::test]
async fn dot_stuffed_lines_are_unstuffed() {
    let mut server = start(|i, _| i.source.policy.add_received_header = false).await;
    let mut c = hello(&server).await;
    let body = "Subject: dots\r\n\r\n..leading\r\n...\r\n.\t.\r\nmid.dle\r\n";
    assert_eq!(
        send_message(&mut c, "a@b.example", &["u@local.example"], body)
            .await
            .code,
        250
    );
    let m = server.message().await;
    assert_eq!(
        m.text(),
        "Subject: dots\r\n\r\n.leading\r\n..\r\n\t.\r\nmid.dle\r\n"
    );
}

#[tokio::test]
async fn data_split_across_many_writes() {
    let mut server = start(|i, _| i.source.policy.add_received_header = false).await;
    let mut c = hello(&server).await;
    c.expect("MAIL FROM:<a@b.example>", "250").await;
    c.expect("RCPT TO:<u@local.example>", "250").await;
    c.expect("DATA", "354").await;
    let mut expected = String::from("Subject: big\r\n\r\n");
    c.send("Subject: big\r\n\r\n").await;
    for i in 0..2000 {
        let line = format!("line {i} {}\r\n", "x".repeat(i % 100));
        expected.push_str(&line);
        // Split each line at an awkward place, including inside the final CRLF.
        let (a, b) = line.split_at(line.len() - 1);
        c.send(a).await;
        c.send(b).await;
    }
    c.send(".").await;
    c.send("\r").await;
    c.send("\n").await;
    assert!(c.reply().await.lines[0].starts_with("250"));
    assert_eq!(server.message().await.text(), expected);
}
