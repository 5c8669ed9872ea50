//! A fleet whose Redis is reached as over a network: `rediss://` with the server's
//! certificate checked against `cluster-redis-ca-file`, a client certificate, and an ACL
//! user's password in the URL, which no log line or `show cluster` answer shows.

use pmta_tests::TestDns;
use pmta_tests::redis::RedisServer;
use pmta_tests::sink::SmtpSink;

use super::fleet::expect_ok;
use super::harness::{WAIT, World, base_config, msg, sink_on};
use super::limits::ctl_json;
use super::relay::wait_for;

const PASSWORD: &str = "n0t-in-any-log";
const WRONG: &str = "wr0ng-secret";
const PER_NODE: u64 = 40;

/// One node of the fleet on the secured Redis, logging in with `url`.
fn tls_config(dns: &TestDns, port: u16, redis: &RedisServer, url: &str, node: usize) -> String {
    let s = redis.secured.as_ref().expect("secured");
    base_config(dns, port)
        + &format!(
            "cluster-redis-url {url}\n\
             cluster-redis-ca-file {ca}\n\
             cluster-redis-cert-file {cert}\n\
             cluster-redis-key-file {key}\n\
             cluster-node-id tls{node}\n\
             <domain tls.test>\n  max-smtp-out 20\n  cluster-max-smtp-out 2\n  \
             max-msg-per-connection 2\n  connection-idle-timeout 0\n</domain>\n",
            ca = s.ca_file.display(),
            cert = s.client_cert.display(),
            key = s.client_key.display(),
        )
}

fn log_of(world: &World) -> String {
    std::fs::read_to_string(world.path("log/pmtad.log")).unwrap_or_default()
}

/// Two nodes with a backlog each share `cluster-max-smtp-out 2` through a TLS Redis that
/// wants client certificates and a password: the sink never sees more than 2 connections,
/// every message arrives, `show cluster` lists both nodes and names the URL with `***`.
/// A third node with a wrong password falls back, says why, and never shows the password.
#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_on_redis_over_tls_with_a_password_shares_its_limit() {
    let test = "a_fleet_on_redis_over_tls_with_a_password_shares_its_limit";
    let Some(redis) = RedisServer::start_secured_or_skip(test, "pmtad", PASSWORD) else {
        return;
    };
    let sink = sink_on("127.0.0.233", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("tls.test", "127.0.0.233")
        .start()
        .await
        .unwrap();
    let port = sink.addr().port();
    let url = redis.tls_url();
    let nodes: Vec<World> = (1..=2)
        .map(|n| World::start(&tls_config(&dns, port, &redis, &url, n)))
        .collect();
    for (n, world) in nodes.iter().enumerate() {
        expect_ok(world.pmtad.pmtactl(&["pause", "queue", "tls.test/*"]));
        let base = n as u64 * PER_NODE;
        let msgs: Vec<_> = (base..base + PER_NODE)
            .map(|i| msg("s@src.test", &[&format!("r{i}@tls.test")], i))
            .collect();
        let replies = world.inject(&msgs).await;
        assert!(replies.iter().all(|r| r.code == 250), "{replies:?}");
    }
    for world in &nodes {
        expect_ok(world.pmtad.pmtactl(&["resume", "queue", "tls.test/*"]));
    }
    sink.wait_for_messages(2 * PER_NODE as usize, WAIT * 3)
        .await
        .expect("both nodes' mail arrives");
    let max = sink.max_concurrent(sink.addr());
    assert!(max <= 2, "the sink saw {max} connections at once");

    let status = ctl_json(&nodes[0], &["show", "cluster"]);
    let shown = format!(
        "rediss://pmtad:***@127.0.0.1:{}",
        url.rsplit(':').next().unwrap()
    );
    assert_eq!(status["redis"], shown.as_str(), "{status:#}");
    let ids: Vec<&str> = (status["nodes"].as_array().unwrap().iter())
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"tls1") && ids.contains(&"tls2"), "{status:#}");
    let table = nodes[0].pmtad.pmtactl(&["show", "cluster"]);
    expect_ok(table.clone());
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains(&shown), "{table}");
    for world in &nodes {
        let log = log_of(world);
        assert!(log.contains(&format!("fleet at {shown}")), "{log}");
        assert!(!log.contains("unreachable"), "{log}");
        assert!(
            !log.contains(PASSWORD) && !table.contains(PASSWORD),
            "{log}"
        );
    }
    // Every lease went back to Redis when its connection closed.
    let left = redis.command("ZCARD pmtad:{pmtad}:smtp-out:tls.test/{default}");
    assert!(left.starts_with(":0"), "leases left: {left}");

    let bad_url = url.replace(PASSWORD, WRONG);
    let bad = World::start(&tls_config(&dns, port, &redis, &bad_url, 3));
    wait_for(|| log_of(&bad).contains("cluster: Redis unreachable")).await;
    let log = log_of(&bad);
    assert!(log.contains("authentication failed"), "{log}");
    assert!(!log.contains(WRONG), "{log}");
    std::mem::forget(dns);
}
