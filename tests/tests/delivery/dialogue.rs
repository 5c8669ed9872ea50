//! `log-connections`, `log-commands` and `log-data`: the SMTP dialogue of a `<source>`'s
//! inbound sessions and a `<domain>`'s outbound sessions in the main log, only when asked,
//! message content capped at 4096 bytes.

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

/// The cap of `log-data` (pmtad's `DATA_LOG_CAP`).
const CAP: usize = 4096;

fn main_log(world: &World) -> String {
    std::fs::read_to_string(world.path("log/pmtad.log")).unwrap_or_default()
}

/// The lines of outbound connections (`(out N)…`), without their time stamp.
fn outbound(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|l| l.find("(out ").map(|at| &l[at..]))
        .collect()
}

#[tokio::test]
async fn dialogue_is_logged_when_asked_with_data_capped() {
    let sink = sink_on("127.0.0.91", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("traced.test", "127.0.0.91")
        .a("quiet.test", "127.0.0.91")
        .start()
        .await
        .unwrap();
    let trace = "  log-connections yes\n  log-commands yes\n  log-data yes\n";
    let marker = "  process-x-virtual-mta yes\n";
    let config = base_config(&dns, sink.addr().port()).replace(marker, &format!("{marker}{trace}"))
        + &format!("<domain traced.test>\n{trace}</domain>\n");
    let world = World::start(&config);
    let big = pmta_tests::inject::Message::sized("s@src.test", &["a@traced.test"], 20_000, 1);
    let r = world
        .inject(&[big, msg("s@src.test", &["b@quiet.test"], 2)])
        .await;
    assert!(r.iter().all(|r| r.code == 250), "{r:?}");
    sink.wait_for_messages(2, WAIT)
        .await
        .expect("both delivered");
    wait_for(|| main_log(&world).contains("closed connection from [127.0.0.1]")).await;
    wait_for(|| {
        outbound(&main_log(&world))
            .iter()
            .any(|l| l.contains("closed connection to"))
    })
    .await;
    let log = main_log(&world);

    // Inbound: the source's connection, commands, replies and the capped content.
    for want in [
        "accepted connection from [127.0.0.1]",
        ">>> MAIL FROM:<s@src.test>",
        ">>> RCPT TO:<a@traced.test>",
        "<<< 354 End data",
        ">>> | Subject: test 1",
        "<<< 250 2.0.0 Ok: queued as",
    ] {
        assert!(log.contains(want), "no {want:?} in:\n{log}");
    }
    let inbound_summary = log
        .lines()
        .find(|l| l.contains(">>> [data: ") && l.contains(&format!("{CAP} logged]")))
        .unwrap_or_else(|| panic!("no capped inbound data summary in:\n{log}"));
    let total: usize = inbound_summary
        .split("[data: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(total > 19_000, "{inbound_summary}");

    // Outbound: only traced.test's queue is traced; its content is capped too.
    let out = outbound(&log);
    let has = |want: &str| out.iter().any(|l| l.contains(want));
    for want in [
        "connected to traced.test [127.0.0.91]",
        "<<< EHLO pmtad.test",
        ">>> 250",
        "<<< MAIL FROM:<s@src.test>",
        "<<< RCPT TO:<a@traced.test>",
        "<<< DATA",
        "<<< | Subject: test 1",
        ">>> 250 2.0.0 queued",
        "<<< QUIT",
        "closed connection to traced.test [127.0.0.91]",
    ] {
        assert!(has(want), "no outbound {want:?} in:\n{}", out.join("\n"));
    }
    assert!(!has("quiet.test"), "{}", out.join("\n"));
    let logged: usize = out
        .iter()
        .filter_map(|l| l.split_once("<<< | ").map(|(_, rest)| rest.len() + 2))
        .sum();
    assert!(logged <= CAP + 2, "{logged} bytes of content logged");
    assert!(
        has(&format!("{CAP} logged]")),
        "no capped summary: {}",
        out.join("\n")
    );
}

#[tokio::test]
async fn no_dialogue_is_logged_unless_asked() {
    let sink = sink_on("127.0.0.92", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("plain.test", "127.0.0.92")
        .start()
        .await
        .unwrap();
    let world = World::start(&base_config(&dns, sink.addr().port()));
    let r = world
        .inject(&[msg("s@src.test", &["a@plain.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250);
    sink.wait_for_messages(1, WAIT).await.expect("delivered");
    // The `d` record is written after the outbound transaction ended: its commands and
    // data would be in the log by now.
    wait_for(|| world.acct().iter().any(|r| r["type"] == "d")).await;
    let log = main_log(&world);
    for unwanted in [">>> ", "<<< ", "(out ", "accepted connection", "[data: "] {
        assert!(!log.contains(unwanted), "{unwanted:?} in:\n{log}");
    }
}
