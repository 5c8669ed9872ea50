//! Per-domain directives change what happens on the wire, observed at the sinks.

use std::time::{Duration, Instant};

use super::harness::*;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{Action, Phase, SmtpSink, reply};

async fn dns_a(name: &str, ip: &str) -> TestDns {
    TestDns::builder().a(name, ip).start().await.unwrap()
}

fn msgs(domain: &str, n: u64) -> Vec<pmta_tests::inject::Message> {
    (0..n)
        .map(|i| msg("s@src.test", &[&format!("r{i}@{domain}")], i))
        .collect()
}

#[tokio::test]
async fn max_smtp_out_is_never_exceeded() {
    let sink = sink_on("127.0.0.10", SmtpSink::builder()).await;
    let dns = dns_a("limit.test", "127.0.0.10").await;
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain limit.test>\n  max-smtp-out 2\n  max-msg-per-connection 5\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&msgs("limit.test", 200)).await;
    sink.wait_for_messages(200, WAIT)
        .await
        .expect("all 200 delivered");
    assert!(
        sink.max_concurrent(sink.addr()) <= 2,
        "{}",
        sink.max_concurrent(sink.addr())
    );
    assert!(
        sink.state().connections.len() >= 40,
        "max-msg-per-connection 5 forces reconnects"
    );
}

#[tokio::test]
async fn max_smtp_out_per_ip_spreads_over_the_mx_addresses() {
    let a = sink_on("127.0.0.11", SmtpSink::builder()).await;
    let port = a.addr().port();
    let b_addr = format!("127.0.0.12:{port}").parse().unwrap();
    let b = SmtpSink::builder()
        .listen(b_addr)
        .start()
        .await
        .expect("same port on 127.0.0.12");
    let dns = TestDns::builder()
        .mx("perip.test", 10, "mx.perip.test")
        .a("mx.perip.test", "127.0.0.11")
        .a("mx.perip.test", "127.0.0.12")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, port)
        + "<domain perip.test>\n  max-smtp-out 10\n  max-smtp-out-per-ip 1\n  max-msg-per-connection 2\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&msgs("perip.test", 40)).await;
    wait_for(|| a.messages().len() + b.messages().len() == 40).await;
    assert!(a.max_concurrent(a.addr()) <= 1);
    assert!(b.max_concurrent(b.addr()) <= 1);
    assert!(
        !a.messages().is_empty() && !b.messages().is_empty(),
        "both addresses used"
    );
}

#[tokio::test]
async fn delivery_interval_spaces_connection_attempts() {
    let sink = sink_on("127.0.0.13", SmtpSink::builder()).await;
    let dns = dns_a("slow.test", "127.0.0.13").await;
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain slow.test>\n  delivery-interval 1s\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&msgs("slow.test", 3)).await;
    sink.wait_until(WAIT, |s| !s.connections.is_empty())
        .await
        .unwrap();
    let first = Instant::now();
    sink.wait_until(WAIT, |s| s.connections.len() >= 3)
        .await
        .unwrap();
    let third = Instant::now();
    sink.wait_for_messages(3, WAIT).await.unwrap();
    // Two intervals of 1 s separate the first and third connection. Observation can only
    // shorten what the test measures (the first event may be seen late), so allow for that;
    // without the interval all three would connect within milliseconds.
    assert!(
        third - first >= Duration::from_millis(1500),
        "{:?}",
        third - first
    );
}

#[tokio::test]
async fn pipelining_depth_is_observed_by_the_server() {
    let deep = sink_on("127.0.0.14", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("deep.test", "127.0.0.14")
        .a("flat.test", "127.0.0.14")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, deep.addr().port())
        + "<domain deep.test>\n  smtp-pipeline-depth 5\n</domain>\n\
           <domain flat.test>\n  smtp-pipeline-depth 0\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[msg(
            "s@src.test",
            &["a@flat.test", "b@flat.test", "c@flat.test"],
            1,
        )])
        .await;
    deep.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(
        deep.state().max_pipelined,
        1,
        "depth 0: one command at a time"
    );
    world
        .inject(&[msg(
            "s@src.test",
            &["a@deep.test", "b@deep.test", "c@deep.test"],
            2,
        )])
        .await;
    deep.wait_for_messages(2, WAIT).await.unwrap();
    assert!(
        deep.state().max_pipelined >= 3,
        "{}",
        deep.state().max_pipelined
    );
}

#[tokio::test]
async fn route_resolve_to_and_smtp_port_pick_the_destination() {
    let smart = sink_on("127.0.0.15", SmtpSink::builder()).await;
    let pinned = sink_on("127.0.0.16", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("relay.smarthost.test", "127.0.0.15")
        .a("routed.test", "127.0.0.99")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, 9)
        + &format!(
            "<domain routed.test>\n  route relay.smarthost.test:{}\n</domain>\n\
             <domain pinned.test>\n  resolve-to 127.0.0.16\n  smtp-port {}\n</domain>\n",
            smart.addr().port(),
            pinned.addr().port()
        );
    let world = World::start(&cfg);
    world
        .inject(&[
            msg("s@src.test", &["a@routed.test"], 1),
            msg("s@src.test", &["b@pinned.test"], 2),
        ])
        .await;
    smart.wait_for_messages(1, WAIT).await.unwrap();
    pinned.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(smart.messages()[0].rcpts, ["a@routed.test"]);
    assert_eq!(pinned.messages()[0].rcpts, ["b@pinned.test"]);
}

#[tokio::test]
async fn tls_required_never_sends_in_clear_and_says_why() {
    let plain = sink_on("127.0.0.17", SmtpSink::builder()).await;
    let dns = dns_a("secure.test", "127.0.0.17").await;
    let cfg = base_config(&dns, plain.addr().port())
        + "<domain secure.test>\n  tls required\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[msg("s@src.test", &["a@secure.test"], 1)])
        .await;
    wait_for(|| world.acct().iter().any(|r| r["type"] == "t")).await;
    let t = world.acct().into_iter().find(|r| r["type"] == "t").unwrap();
    assert!(t["dsnDiag"].to_lowercase().contains("starttls"), "{t:?}");
    assert!(plain.messages().is_empty());
}

#[tokio::test]
async fn tls_optional_uses_starttls_when_offered() {
    let tls = pmta_tests::certs::self_signed_server(&["mx.tls.test"]).unwrap();
    let sink = sink_on("127.0.0.18", SmtpSink::builder().starttls(tls)).await;
    let dns = dns_a("tls.test", "127.0.0.18").await;
    let cfg =
        base_config(&dns, sink.addr().port()) + "<domain tls.test>\n  tls optional\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&[msg("s@src.test", &["a@tls.test"], 1)]).await;
    sink.wait_for_messages(1, WAIT).await.unwrap();
    assert!(sink.messages()[0].tls);
}

#[tokio::test]
async fn bind_to_source_ip_is_the_address_the_server_sees() {
    let sink = sink_on("127.0.0.19", SmtpSink::builder()).await;
    let dns = dns_a("bound.test", "127.0.0.19").await;
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta out1>\n  bind-to-source-ip 127.0.0.77\n  host-name out1.pmtad.test\n</virtual-mta>\n";
    let world = World::start(&cfg);
    let mut m = msg("s@src.test", &["a@bound.test"], 1);
    m.data = [b"X-Virtual-MTA: out1\r\n".as_slice(), &m.data].concat();
    world.inject(&[m]).await;
    sink.wait_for_messages(1, WAIT).await.unwrap();
    let got = &sink.messages()[0];
    assert_eq!(got.peer.ip().to_string(), "127.0.0.77");
    assert_eq!(got.helo, "out1.pmtad.test");
    assert!(!String::from_utf8_lossy(&got.data).contains("X-Virtual-MTA"));
}

#[tokio::test]
async fn undeliverable_mail_expires_into_a_bounce() {
    let sink = sink_on(
        "127.0.0.20",
        SmtpSink::builder().on(Phase::Rcpt, reply(451, "4.7.1 later")),
    )
    .await;
    let dns = dns_a("expire.test", "127.0.0.20").await;
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain expire.test>\n  bounce-after 2s\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&[msg("", &["a@expire.test"], 1)]).await;
    wait_for(|| world.acct().iter().any(|r| r["type"] == "b")).await;
    let b = world.acct().into_iter().find(|r| r["type"] == "b").unwrap();
    assert_eq!(b["bounceCat"], "message-expired", "{b:?}");
}

#[tokio::test]
async fn a_connection_dropped_mid_data_is_retried_without_loss() {
    let sink = sink_on(
        "127.0.0.21",
        SmtpSink::builder().on_attempt(Phase::Data, 1, Action::DropMidData),
    )
    .await;
    let dns = dns_a("drop.test", "127.0.0.21").await;
    let world = World::start(&base_config(&dns, sink.addr().port()));
    world
        .inject(&[msg("s@src.test", &["a@drop.test"], 1)])
        .await;
    sink.wait_for_messages(1, WAIT)
        .await
        .expect("delivered on the retry");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn local_domains_deliver_through_the_mailbox_command() {
    let dns = TestDns::builder().start().await.unwrap();
    let world_dir = tempfile::tempdir().unwrap();
    let mbox = world_dir.path().join("mail");
    std::fs::create_dir_all(&mbox).unwrap();
    let cfg = base_config(&dns, 9)
        + &format!(
            "<domain mylocal.test>\n  local yes\n  mailbox-command /bin/sh -c \"cat > {}/$user\"\n</domain>\n",
            mbox.display()
        );
    let world = World::start(&cfg);
    world
        .inject(&[msg(
            "s@src.test",
            &["alice@mylocal.test", "bob@mylocal.test"],
            1,
        )])
        .await;
    wait_for(|| mbox.join("alice").exists() && mbox.join("bob").exists()).await;
    wait_for(|| {
        std::fs::read_to_string(mbox.join("bob")).is_ok_and(|t| t.contains("Subject: test 1"))
    })
    .await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 2).await;
    assert!(
        world
            .acct()
            .iter()
            .all(|r| r["type"] != "d" || r["dlvType"] == "pipe")
    );
}
