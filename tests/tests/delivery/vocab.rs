//! PowerMTA v5 vocabulary (spec.md section 2) changes what happens on the wire, like its
//! section 1 counterparts: each test observes the effect at the sinks or in the accounting.

use std::net::IpAddr;
use std::time::Duration;

use super::harness::*;
use super::limits::via;
use super::relay::wait_for;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Message;
use pmta_tests::sink::{Action, Phase, SmtpSink};

fn to(domain: &str, n: u64) -> Vec<Message> {
    (0..n)
        .map(|i| msg("s@src.test", &[&format!("r{i}@{domain}")], i))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Another sink on `ip` with the same port as `first` (domains share one `smtp-port`).
async fn twin(first: &SmtpSink, ip: &str) -> SmtpSink {
    let addr = format!("{ip}:{}", first.addr().port()).parse().unwrap();
    SmtpSink::builder()
        .listen(addr)
        .start()
        .await
        .expect("same port on a twin address")
}

fn transient_diag(world: &World, rcpt: &str) -> Option<String> {
    world
        .acct()
        .into_iter()
        .find(|r| r["type"] == "t" && r["rcpt"] == rcpt)
        .map(|r| r["dsnDiag"].to_lowercase())
}

#[tokio::test]
async fn smtp_source_host_addresses_are_used_round_robin_with_their_names() {
    let sink = sink_on("127.0.0.38", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("rr.test", "127.0.0.38")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta rr>\n  smtp-source-host 127.0.0.36 a.rr.test\n  smtp-source-host 127.0.0.37 b.rr.test\n</virtual-mta>\n\
           <domain rr.test>\n  max-smtp-out 1\n  max-msg-per-connection 1\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<Message> = (0..4)
        .map(|i| via("rr", &format!("r{i}@rr.test"), i))
        .collect();
    world.inject(&msgs).await;
    let got = sink.wait_for_messages(4, WAIT).await.unwrap();
    let from = |a: &str| got.iter().filter(|m| m.peer.ip() == ip(a)).count();
    assert_eq!((from("127.0.0.36"), from("127.0.0.37")), (2, 2));
    for m in &got {
        let want = if m.peer.ip() == ip("127.0.0.36") {
            "a.rr.test"
        } else {
            "b.rr.test"
        };
        assert_eq!(m.helo, want);
    }
}

#[tokio::test]
async fn smtp_hosts_spread_over_a_level_and_fall_back_to_the_next_one() {
    let a = sink_on("127.0.0.39", SmtpSink::builder()).await;
    let b = twin(&a, "127.0.0.35").await;
    let c = twin(&a, "127.0.0.41").await;
    let dns = TestDns::builder()
        .a("hosta.levels.test", "127.0.0.39")
        .start()
        .await
        .unwrap();
    // Mail for levels.test goes to hosta or [127.0.0.35] (one level), never to the second
    // level while the first answers; fallback.test's first level has nothing listening.
    // Both take the port from default-smtp-port (the `<domain *>` smtp-port is wrong).
    let port = a.addr().port();
    let cfg = base_config(&dns, 9)
        + &format!(
            "<domain levels.test>\n  smtp-hosts hosta.levels.test, [127.0.0.35]; [127.0.0.41]\n\
             \x20 default-smtp-port {port}\n  max-msg-per-connection 1\n</domain>\n\
             <domain fallback.test>\n  smtp-hosts [127.0.0.43]; [127.0.0.41]\n  default-smtp-port {port}\n</domain>\n"
        );
    let world = World::start(&cfg);
    world.inject(&to("levels.test", 16)).await;
    wait_for(|| a.messages().len() + b.messages().len() == 16).await;
    assert!(!a.messages().is_empty() && !b.messages().is_empty());
    assert!(
        c.messages().is_empty(),
        "the second level is a fallback only"
    );
    world.inject(&to("fallback.test", 1)).await;
    let got = c.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(got[0].rcpts, ["r0@fallback.test"]);
}

#[tokio::test]
async fn use_starttls_and_require_starttls_decide_tls() {
    let tls = pmta_tests::certs::self_signed_server(&["mx.starttls.test"]).unwrap();
    let secure = sink_on("127.0.0.50", SmtpSink::builder().starttls(tls)).await;
    let plain = twin(&secure, "127.0.0.51").await;
    let dns = TestDns::builder()
        .a("use.test", "127.0.0.50")
        .a("nouse.test", "127.0.0.50")
        .a("require.test", "127.0.0.51")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, secure.addr().port())
        + "<domain use.test>\n  use-starttls yes\n</domain>\n\
           <domain nouse.test>\n  use-starttls no\n</domain>\n\
           <domain require.test>\n  require-starttls yes\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[
            msg("s@src.test", &["a@use.test"], 1),
            msg("s@src.test", &["b@nouse.test"], 2),
            msg("s@src.test", &["c@require.test"], 3),
        ])
        .await;
    let got = secure.wait_for_messages(2, WAIT).await.unwrap();
    let tls_of = |r: &str| got.iter().find(|m| m.rcpts[0] == r).map(|m| m.tls);
    assert_eq!(tls_of("a@use.test"), Some(true));
    assert_eq!(tls_of("b@nouse.test"), Some(false));
    wait_for(|| transient_diag(&world, "c@require.test").is_some()).await;
    let diag = transient_diag(&world, "c@require.test").unwrap();
    assert!(diag.contains("starttls"), "{diag}");
    assert!(plain.messages().is_empty());
}

#[tokio::test]
async fn type_pipe_runs_the_command_and_type_discard_drops() {
    let sink = sink_on("127.0.0.52", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("dropped.test", "127.0.0.52")
        .start()
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &format!(
            "<domain piped.test>\n  type pipe\n  command /bin/cp /dev/stdin {}/$user\n</domain>\n\
             <domain dropped.test>\n  type discard\n</domain>\n",
            out.path().display()
        );
    let world = World::start(&cfg);
    world
        .inject(&[
            msg("s@src.test", &["carol@piped.test"], 1),
            msg("s@src.test", &["dave@dropped.test"], 2),
        ])
        .await;
    let file = out.path().join("carol");
    wait_for(|| std::fs::read_to_string(&file).is_ok_and(|t| t.contains("Subject: test 1"))).await;
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 2).await;
    let acct = world.acct();
    let dlv = |rcpt: &str| {
        acct.iter()
            .find(|r| r["type"] == "d" && r["rcpt"] == rcpt)
            .map(|r| r["dlvType"].clone())
    };
    assert_eq!(dlv("carol@piped.test").as_deref(), Some("pipe"));
    assert_eq!(dlv("dave@dropped.test").as_deref(), Some("discard"));
    assert!(
        sink.state().connections.is_empty(),
        "discarded mail never leaves"
    );
}

#[tokio::test]
async fn a_virtual_mta_pool_uses_its_members_round_robin() {
    let sink = sink_on("127.0.0.53", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("pool.test", "127.0.0.53")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta m1>\n  bind-to-source-ip 127.0.0.44\n</virtual-mta>\n\
           <virtual-mta m2>\n  bind-to-source-ip 127.0.0.45\n</virtual-mta>\n\
           <virtual-mta-pool both>\n  virtual-mta m1\n  virtual-mta m2\n</virtual-mta-pool>\n";
    let world = World::start(&cfg);
    let msgs: Vec<Message> = (0..4)
        .map(|i| via("both", &format!("r{i}@pool.test"), i))
        .collect();
    world.inject(&msgs).await;
    let got = sink.wait_for_messages(4, WAIT).await.unwrap();
    let from = |a: &str| got.iter().filter(|m| m.peer.ip() == ip(a)).count();
    assert_eq!((from("127.0.0.44"), from("127.0.0.45")), (2, 2));
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 4).await;
    let acct = world.acct();
    let queues = |q: &str| acct.iter().filter(|r| r["queue"] == q).count();
    assert_eq!((queues("pool.test/m1"), queues("pool.test/m2")), (2, 2));
}

#[tokio::test]
async fn source_ip_max_smtp_out_caps_connections_per_local_address() {
    let sink = sink_on("127.0.0.54", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("srccap.test", "127.0.0.54")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta two>\n  smtp-source-host 127.0.0.46 a.two.test\n  smtp-source-host 127.0.0.47 b.two.test\n</virtual-mta>\n\
           <domain srccap.test>\n  max-smtp-out 10\n  source-ip-max-smtp-out 127.0.0.0/8 1\n  max-msg-per-connection 2\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<Message> = (0..30)
        .map(|i| via("two", &format!("r{i}@srccap.test"), i))
        .collect();
    world.inject(&msgs).await;
    let s = sink.wait_until(WAIT, |s| s.accepted >= 30).await.unwrap();
    let max = |a: &str| s.max_open_by_peer.get(&ip(a)).copied().unwrap_or(0);
    assert_eq!(
        (max("127.0.0.46"), max("127.0.0.47")),
        (1, 1),
        "{:?}",
        s.max_open_by_peer
    );
}

#[tokio::test]
async fn connect_timeout_gives_up_on_a_silent_address() {
    // A listener that never accepts, with its backlog filled by the test: the kernel drops
    // further SYNs, so pmtad's connect hangs until connect-timeout (default 2m, here 1s).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.55:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    loop {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        match tokio::time::timeout(Duration::from_millis(300), s.connect(addr)).await {
            Ok(Ok(c)) => fillers.push(c),
            _ => break,
        }
        assert!(fillers.len() < 64, "backlog never filled");
    }
    let dns = TestDns::builder().start().await.unwrap();
    let cfg = base_config(&dns, addr.port())
        + "<domain silent.test>\n  resolve-to 127.0.0.55\n  connect-timeout 1s\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("silent.test", 1)).await;
    wait_for(|| transient_diag(&world, "r0@silent.test").is_some()).await;
    let diag = transient_diag(&world, "r0@silent.test").unwrap();
    assert!(
        diag.contains("timed out") && diag.contains("connect"),
        "{diag}"
    );
    drop(listener);
}

#[tokio::test]
async fn smtp_greeting_timeout_gives_up_on_a_silent_server() {
    let sink = sink_on(
        "127.0.0.56",
        SmtpSink::builder().on(Phase::Greeting, Action::Hang),
    )
    .await;
    let dns = TestDns::builder()
        .a("mute.test", "127.0.0.56")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain mute.test>\n  smtp-greeting-timeout 1s\n</domain>\n";
    let world = World::start(&cfg);
    world.inject(&to("mute.test", 1)).await;
    wait_for(|| transient_diag(&world, "r0@mute.test").is_some()).await;
    let diag = transient_diag(&world, "r0@mute.test").unwrap();
    assert!(
        diag.contains("timed out") && diag.contains("greeting"),
        "{diag}"
    );
}

#[tokio::test]
async fn ignore_pipelining_sends_one_command_at_a_time() {
    let sink = sink_on("127.0.0.57", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("nopipe.test", "127.0.0.57")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain nopipe.test>\n  smtp-pipeline-depth 5\n  ignore-pipelining yes\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[msg(
            "s@src.test",
            &["a@nopipe.test", "b@nopipe.test", "c@nopipe.test"],
            1,
        )])
        .await;
    sink.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(sink.state().max_pipelined, 1);
}

#[tokio::test]
async fn bounce_upon_no_mx_bounces_instead_of_using_the_address_record() {
    let sink = sink_on("127.0.0.58", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("strict.test", "127.0.0.58")
        .a("lenient.test", "127.0.0.58")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain strict.test>\n  bounce-upon-no-mx yes\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[
            msg("", &["a@strict.test"], 1),
            msg("", &["b@lenient.test"], 2),
        ])
        .await;
    let got = sink.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(
        got[0].rcpts,
        ["b@lenient.test"],
        "no MX: the A record is the implicit MX"
    );
    wait_for(|| world.acct().iter().any(|r| r["type"] == "b")).await;
    let b = world.acct().into_iter().find(|r| r["type"] == "b").unwrap();
    assert_eq!(b["rcpt"], "a@strict.test");
    assert!(b["dsnStatus"].starts_with("5.4.4"), "{b:?}");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn data_send_timeout_gives_up_on_a_server_that_stops_reading() {
    // The sink reads nothing after its 354, with a tiny receive window: writing a message
    // larger than the socket buffers blocks until data-send-timeout (default 3m, here 1s).
    let sink = sink_on("127.0.0.60", SmtpSink::builder().stall_data()).await;
    let dns = TestDns::builder()
        .a("stall.test", "127.0.0.60")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<domain stall.test>\n  data-send-timeout 1s\n</domain>\n";
    let world = World::start(&cfg);
    world
        .inject(&[Message::sized("s@src.test", &["r0@stall.test"], 8 << 20, 1)])
        .await;
    wait_for(|| transient_diag(&world, "r0@stall.test").is_some()).await;
    let diag = transient_diag(&world, "r0@stall.test").unwrap();
    assert!(
        diag.contains("timed out") && diag.contains("data"),
        "{diag}"
    );
}

#[tokio::test]
async fn a_pool_max_smtp_out_spans_the_queues_of_its_members() {
    let sink = sink_on("127.0.0.71", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("duo.test", "127.0.0.71")
        .start()
        .await
        .unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + "<virtual-mta d1>\n</virtual-mta>\n<virtual-mta d2>\n</virtual-mta>\n\
           <virtual-mta-pool duo>\n  virtual-mta d1\n  virtual-mta d2\n  max-smtp-out 1\n</virtual-mta-pool>\n\
           <domain duo.test>\n  max-msg-per-connection 2\n</domain>\n";
    let world = World::start(&cfg);
    let msgs: Vec<Message> = (0..20)
        .map(|i| via("duo", &format!("r{i}@duo.test"), i))
        .collect();
    world.inject(&msgs).await;
    let s = sink.wait_until(WAIT, |s| s.accepted >= 20).await.unwrap();
    assert_eq!(s.max_open_total, 1);
    wait_for(|| world.acct().iter().filter(|r| r["type"] == "d").count() == 20).await;
    let acct = world.acct();
    assert!(acct.iter().any(|r| r["queue"] == "duo.test/d1"));
    assert!(acct.iter().any(|r| r["queue"] == "duo.test/d2"));
}
