//! The return path end to end: pmtad sends four messages of job j1 through virtual MTA
//! vmta-a to a sink; a remote host without relaying rights then sends back, by SMTP, an
//! RFC 3464 DSN, a Gmail-style and a Microsoft-style bounce and a Yahoo-style ARF abuse
//! report built around the headers the sink received. Each gives the right `rb` / `f`
//! record, matched to the recipient, job and virtual MTA; `show bounces` / `show
//! feedback` list them; a forged DSN is unmatched and goes to `forward-unmatched-to`.

use std::collections::HashMap;

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::{Message, Session};
use pmta_tests::output::{expect_code, json, stdout};
use pmta_tests::sink::SmtpSink;
use pmtad::returnpath::samples;

const RCPTS: [&str; 4] = [
    "a@remote.test",
    "b@gmail.test",
    "c@outlook.test",
    "d@yahoo.test",
];

fn config(dns: &TestDns, port: u16) -> String {
    let base = base_config(dns, port)
        .replace(
            "  process-x-virtual-mta yes\n",
            "  process-x-virtual-mta yes\n  process-x-job yes\n  retain-x-job yes\n",
        )
        .replace("records d,b,t,r\n", "records d,b,t,r,rb,f\n");
    format!(
        "{base}<virtual-mta vmta-a>\n</virtual-mta>\n\
         <bounce-processor>\n  deliver-unmatched-email no\n  forward-unmatched-to ops@ops.test\n\
         \x20 <address-list>\n    address bounces@returns.test\n  </address-list>\n</bounce-processor>\n\
         <feedback-loop-processor>\n  <address-list>\n    domain fbl.test\n  </address-list>\n\
         </feedback-loop-processor>\n"
    )
}

/// A campaign message: job j1, virtual MTA vmta-a, sender the bounce mailbox.
fn campaign(rcpt: &str, n: u64) -> Message {
    let mut m = msg("bounces@returns.test", &[rcpt], n);
    let mut data = b"X-Job: j1\r\nX-Virtual-MTA: vmta-a\r\n".to_vec();
    data.extend_from_slice(&m.data);
    m.data = data;
    m
}

/// The header the sink received for `rcpt` (no trailing blank line).
fn header_sent_to(sink: &SmtpSink, rcpt: &str) -> String {
    let m = sink
        .messages()
        .into_iter()
        .find(|m| m.rcpts == [rcpt])
        .expect("sent");
    let text = String::from_utf8_lossy(&m.data).into_owned();
    text.split("\r\n\r\n").next().unwrap().to_string()
}

/// A report from 127.0.0.9 (no relaying rights) to `to`.
fn report(to: &str, data: String) -> Message {
    Message {
        from: String::new(),
        rcpts: vec![to.to_string()],
        data: data.into_bytes(),
    }
}

fn row<'a>(
    rows: &'a [HashMap<String, String>],
    kind: &str,
    rcpt: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r["type"] == kind && r["rcpt"] == rcpt)
        .unwrap_or_else(|| panic!("no {kind} record for {rcpt}: {rows:#?}"))
}

#[tokio::test]
async fn reports_are_matched_recorded_listed_and_unmatched_ones_forwarded() {
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let mut dns = TestDns::builder();
    for d in [
        "remote.test",
        "gmail.test",
        "outlook.test",
        "yahoo.test",
        "ops.test",
    ] {
        dns = dns.a(d, "127.0.0.2");
    }
    let dns = dns.start().await.unwrap();
    let world = World::start(&config(&dns, sink.addr().port()));
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    let msgs: Vec<Message> = (0..4).map(|i| campaign(RCPTS[i], i as u64)).collect();
    let replies = world.inject(&msgs).await;
    assert!(replies.iter().all(|r| r.code == 250), "{replies:?}");
    sink.wait_for_messages(4, WAIT).await.expect("the campaign");
    let h: Vec<String> = RCPTS.iter().map(|r| header_sent_to(&sink, r)).collect();
    assert!(h.iter().all(|h| h.starts_with("X-Pmtad-Ref: 1.")), "{h:?}");

    let forged = h[0].replacen("X-Pmtad-Ref: 1.", "X-Pmtad-Ref: 1.f", 1);
    let reports = [
        report("bounces@returns.test", samples::dsn(&h[0], RCPTS[0])),
        report("bounces@returns.test", samples::gmail(&h[1], RCPTS[1])),
        report("bounces@returns.test", samples::microsoft(&h[2], RCPTS[2])),
        report(
            "complaints@fbl.test",
            samples::arf(&h[3], RCPTS[3], "127.0.0.1"),
        ),
        report(
            "bounces@returns.test",
            samples::dsn(&forged, "forged@remote.test"),
        ),
    ];
    let mut s = Session::connect_from(world.pmtad.smtp_addr(), "127.0.0.9".parse().unwrap())
        .await
        .expect("connect");
    for r in &reports {
        let reply = s.send(r).await.expect("send");
        assert_eq!(reply.code, 250, "{reply:?}");
    }
    // Relaying is still refused to that host for any other address.
    let other = report("someone@elsewhere.test", "Subject: x\r\n\r\nx\r\n".into());
    assert_eq!(s.send(&other).await.unwrap().code, 550);
    let _ = s.quit().await;

    sink.wait_for_messages(5, WAIT)
        .await
        .expect("the forwarded forgery");
    let forwarded = &sink.messages()[4];
    assert_eq!(
        (forwarded.rcpts.as_slice(), forwarded.mail_from.as_str()),
        (&["ops@ops.test".to_string()][..], "")
    );

    wait_for(|| {
        world
            .acct()
            .iter()
            .filter(|r| r["type"] == "rb" || r["type"] == "f")
            .count()
            == 4
    })
    .await;
    let rows = world.acct();
    for (rcpt, format) in [
        (RCPTS[0], "dsn"),
        (RCPTS[1], "gmail"),
        (RCPTS[2], "microsoft"),
    ] {
        let r = row(&rows, "rb", rcpt);
        assert_eq!(
            (r["format"].as_str(), r["bounceCat"].as_str()),
            (format, "bad-mailbox"),
            "{r:?}"
        );
        assert_eq!(
            (r["jobId"].as_str(), r["vmta"].as_str()),
            ("j1", "vmta-a"),
            "{r:?}"
        );
        assert_eq!(r["orig"], "bounces@returns.test", "{r:?}");
        assert!(r["dsnStatus"].starts_with("5.1."), "{r:?}");
    }
    let dsn = row(&rows, "rb", RCPTS[0]);
    assert_eq!(
        (dsn["dsnReportingMta"].as_str(), dsn["envId"].as_str()),
        ("mx.remote.example", "ENV-42")
    );
    let f = row(&rows, "f", RCPTS[3]);
    assert_eq!(
        (f["feedbackType"].as_str(), f["format"].as_str()),
        ("abuse", "arf"),
        "{f:?}"
    );
    assert_eq!(
        (f["jobId"].as_str(), f["vmta"].as_str()),
        ("j1", "vmta-a"),
        "{f:?}"
    );
    assert_eq!(
        (f["userAgent"].as_str(), f["repSourceIp"].as_str()),
        ("Yahoo!-Mail-Feedback/2.0", "127.0.0.9")
    );
    assert_eq!(f["header_X-job"], "j1", "{f:?}");
    assert!(
        !rows.iter().any(|r| r["rcpt"] == "forged@remote.test"),
        "a forgery makes no record"
    );

    let bounces = json(&ctl(&["show", "bounces", "--json"]));
    let list = bounces["reports"].as_array().unwrap();
    assert_eq!(list.len(), 4, "{bounces}");
    assert_eq!(list[0]["rcpt"], "forged@remote.test");
    assert_eq!(
        (
            list[0]["matched"].as_bool(),
            list[0]["disposition"].as_str()
        ),
        (Some(false), Some("delivered to ops@ops.test"))
    );
    assert!(
        list[1..].iter().all(|e| e["matched"] == true
            && e["job_id"] == "j1"
            && e["vmta"] == "vmta-a"
            && e["disposition"] == "discarded"),
        "{bounces}"
    );
    let gmail = json(&ctl(&[
        "show",
        "bounces",
        "--domain",
        "gmail.test",
        "--json",
    ]));
    assert_eq!(gmail["reports"].as_array().unwrap().len(), 1);
    assert_eq!(gmail["by_domain"][0]["category"], "bad-mailbox");
    let feedback = json(&ctl(&["show", "feedback", "--json"]));
    assert_eq!(feedback["reports"][0]["rcpt"], RCPTS[3], "{feedback}");
    assert_eq!(feedback["reports"][0]["category"], "abuse");
    let table = stdout(&ctl(&["show", "bounces"]));
    assert!(
        table.contains("Total of 4 bounce report(s).") && table.contains("microsoft"),
        "{table}"
    );
    let status = json(&ctl(&["show", "status", "--json"]));
    let c = &status["returnpath"];
    assert_eq!(
        (
            c["bounces_matched"].as_u64(),
            c["bounces_unmatched"].as_u64()
        ),
        (Some(3), Some(1)),
        "{status}"
    );
    assert_eq!(
        (c["feedback_matched"].as_u64(), c["rejected"].as_u64()),
        (Some(1), Some(0))
    );
    expect_code(&ctl(&["show", "bounces", "--last", "1"]), 0);
}

#[tokio::test]
async fn a_loop_a_broken_report_and_an_oversized_one_are_rejected_not_answered() {
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("ops.test", "127.0.0.2")
        .start()
        .await
        .unwrap();
    // Any host may send reports of up to 64 MB here, so the 50 MB one reaches the processor
    // (whose own cap, MAX_REPORT_SIZE, rejects it unread).
    let config = config(&dns, sink.addr().port()).replace(
        "  deliver-unmatched-email no\n  forward-unmatched-to ops@ops.test\n",
        "  deliver-unmatched-email no\n",
    ) + "<source 0/0>\n  max-message-size 64M\n</source>\n";
    let world = World::start(&config);
    let ctl = |args: &[&str]| world.pmtad.pmtactl(args);
    let loop_original = "From: MAILER-DAEMON@pmtad.test\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x";
    let mut big = String::from("Subject: big\r\n\r\n");
    let line = "0123456789".repeat(10) + "\r\n";
    while big.len() < 50 << 20 {
        big.push_str(&line);
    }
    let reports = [
        report("bounces@returns.test", samples::dsn(loop_original, "x@remote.test")),
        report("bounces@returns.test", "Content-Type: multipart/report; boundary=q\r\n\r\n--q\r\nContent-Type: message/delivery-status\r\n\r\n--q".into()),
        report("bounces@returns.test", big),
    ];
    let mut s = Session::connect_from(world.pmtad.smtp_addr(), "127.0.0.9".parse().unwrap())
        .await
        .unwrap();
    for r in &reports {
        assert_eq!(s.send(r).await.unwrap().code, 250);
    }
    let _ = s.quit().await;
    let bounces = json(&ctl(&["show", "bounces", "--json"]));
    let why: Vec<&str> = bounces["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rejected"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(why, ["too-large", "no-report", "loop"], "{bounces}");
    let status = json(&ctl(&["show", "status", "--json"]));
    assert_eq!(status["returnpath"]["rejected"], 3);
    // Nothing was queued for them: no DSN, no retry.
    let queues = json(&ctl(&["show", "queues", "--json"]));
    assert_eq!(
        queues["queues"].as_array().map_or(0, Vec::len),
        0,
        "{queues}"
    );
    assert!(world.acct().iter().all(|r| r["type"] != "rb"));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn with_deliver_unmatched_email_an_unmatched_report_is_delivered_to_its_mailbox() {
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("returns.test", "127.0.0.2")
        .start()
        .await
        .unwrap();
    let config = config(&dns, sink.addr().port()).replace(
        "  deliver-unmatched-email no\n  forward-unmatched-to ops@ops.test\n",
        "",
    );
    let world = World::start(&config);
    let foreign = samples::original("", "x@remote.test");
    let r = report(
        "bounces@returns.test",
        samples::dsn(&foreign, "x@remote.test"),
    );
    let mut s = Session::connect_from(world.pmtad.smtp_addr(), "127.0.0.9".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(s.send(&r).await.unwrap().code, 250);
    let _ = s.quit().await;
    sink.wait_for_messages(1, WAIT)
        .await
        .expect("the report, delivered");
    let got = &sink.messages()[0];
    assert_eq!(got.rcpts, ["bounces@returns.test"]);
    assert!(String::from_utf8_lossy(&got.data).contains("Final-Recipient: rfc822; x@remote.test"));
    let bounces = json(&world.pmtad.pmtactl(&["show", "bounces", "--json"]));
    let e = &bounces["reports"][0];
    assert_eq!(
        (e["matched"].as_bool(), e["disposition"].as_str()),
        (Some(false), Some("delivered to bounces@returns.test")),
        "{bounces}"
    );
    assert!(
        world.acct().iter().all(|r| r["type"] != "rb"),
        "unmatched: no rb record"
    );
}
