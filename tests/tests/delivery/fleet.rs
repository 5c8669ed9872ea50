//! The fleet: three pmtad processes share one real redis-server, and a cluster-wide
//! `cluster-max-smtp-out` holds at the sink they all deliver to.

use pmta_tests::TestDns;
use pmta_tests::daemon::Pmtad;
use pmta_tests::redis::RedisServer;
use pmta_tests::sink::SmtpSink;

use super::harness::{WAIT, World, base_config, msg, sink_on};
use super::limits::{ctl_json, ctl_until};
use super::relay::wait_for;

const NODES: usize = 3;
const PER_NODE: u64 = 120;

fn fleet_config(dns: &TestDns, port: u16, redis: &RedisServer, node: usize, limit: u32) -> String {
    base_config(dns, port)
        + &format!(
            "cluster-redis-url {url}\n\
             cluster-node-id node{node}\n\
             <domain fleet.test>\n  max-smtp-out 20\n  cluster-max-smtp-out {limit}\n  \
             max-msg-per-connection 2\n  connection-idle-timeout 0\n</domain>\n",
            url = redis.url()
        )
}

pub(super) fn expect_ok(out: std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Three nodes with the queue paused get their backlog, then all resume at once.
async fn fleet_with_backlog(redis: &RedisServer, sink: &SmtpSink, limit: u32) -> Vec<World> {
    let dns = TestDns::builder()
        .a("fleet.test", &sink.addr().ip().to_string())
        .start()
        .await
        .unwrap();
    let port = sink.addr().port();
    let nodes: Vec<World> = (1..=NODES)
        .map(|n| World::start(&fleet_config(&dns, port, redis, n, limit)))
        .collect();
    // The DNS server must outlive the nodes' lookups.
    std::mem::forget(dns);
    for (n, world) in nodes.iter().enumerate() {
        expect_ok(world.pmtad.pmtactl(&["pause", "queue", "fleet.test/*"]));
        let base = n as u64 * PER_NODE;
        let msgs: Vec<_> = (base..base + PER_NODE)
            .map(|i| msg("s@src.test", &[&format!("r{i}@fleet.test")], i))
            .collect();
        let replies = world.inject(&msgs).await;
        assert!(replies.iter().all(|r| r.code == 250), "{replies:?}");
    }
    for world in &nodes {
        expect_ok(world.pmtad.pmtactl(&["resume", "queue", "fleet.test/*"]));
    }
    nodes
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_max_smtp_out_holds_across_three_nodes() {
    let Some(redis) = RedisServer::start_or_skip("cluster_max_smtp_out_holds_across_three_nodes")
    else {
        return;
    };
    let sink = sink_on("127.0.0.227", SmtpSink::builder()).await;
    let nodes = fleet_with_backlog(&redis, &sink, 6).await;
    let total = NODES * PER_NODE as usize;
    sink.wait_for_messages(total, WAIT * 3)
        .await
        .expect("every node's mail arrives");
    let max = sink.max_concurrent(sink.addr());
    eprintln!("fleet: the sink saw at most {max} connections at once");
    assert!(max <= 6, "the sink saw {max} connections at once");
    // Every node delivered its own share of the backlog through the shared leases.
    // (Accounting is flushed by a writer task: wait for the records, not just the sink.)
    for world in &nodes {
        wait_for(|| {
            let delivered = world.acct().iter().filter(|r| r["type"] == "d").count();
            delivered == PER_NODE as usize
        })
        .await;
    }
    // Every lease was handed back when its connection closed.
    let left = redis.command("ZCARD pmtad:{pmtad}:smtp-out:fleet.test/{default}");
    assert!(left.starts_with(":0"), "leases left: {left}");
}

/// True once `world`'s queue for fleet.test holds `rcpts` recipients, paused.
fn paused_with(world: &World, rcpts: u64) -> bool {
    let v = ctl_json(world, &["show", "queues", "fleet.test"]);
    v["queues"][0]["paused"] == true && v["queues"][0]["rcpts"] == rcpts
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_wide_pause_holds_every_node_and_a_restart() {
    let Some(redis) = RedisServer::start_or_skip("fleet_wide_pause_holds_every_node_and_a_restart")
    else {
        return;
    };
    let sink = sink_on("127.0.0.228", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("fleet.test", "127.0.0.228")
        .start()
        .await
        .unwrap();
    let port = sink.addr().port();
    let mut nodes: Vec<World> = (1..=NODES)
        .map(|n| World::start(&fleet_config(&dns, port, &redis, n, 6)))
        .collect();
    expect_ok(
        nodes[0]
            .pmtad
            .pmtactl(&["pause", "queue", "fleet.test/*", "--cluster"]),
    );
    // Every node logs the fleet-wide pause when its heartbeat takes it up.
    for world in &nodes {
        wait_for(|| {
            std::fs::read_to_string(world.path("log/pmtad.log"))
                .is_ok_and(|l| l.contains("cluster: fleet-wide pauses now fleet.test/*"))
        })
        .await;
    }
    for (n, world) in nodes.iter().enumerate() {
        let msgs: Vec<_> = (0..10u64)
            .map(|i| msg("s@src.test", &[&format!("r{n}-{i}@fleet.test")], i))
            .collect();
        world.inject(&msgs).await;
    }
    for world in &nodes {
        wait_for(|| paused_with(world, 10)).await;
    }
    // A restarted node is held by the fleet's pause before it opens any connection.
    nodes[2].pmtad.stop();
    let config = nodes[2].pmtad.config.clone();
    nodes[2].pmtad = Pmtad::start_file(nodes[2].dir.path(), &config).expect("restart node 3");
    assert!(
        paused_with(&nodes[2], 10),
        "the restarted node is paused at once"
    );
    assert_eq!(sink.state().accepted, 0, "nothing was sent while paused");
    let status = ctl_json(&nodes[1], &["show", "cluster"]);
    assert_eq!(
        status["paused"],
        serde_json::json!(["fleet.test/*"]),
        "{status:#}"
    );
    let ids: Vec<&str> = status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{status:#}");
    for id in ["node1", "node2", "node3"] {
        assert!(ids.contains(&id), "{status:#}");
    }
    expect_ok(
        nodes[1]
            .pmtad
            .pmtactl(&["resume", "queue", "fleet.test/*", "--cluster"]),
    );
    sink.wait_for_messages(30, WAIT)
        .await
        .expect("every node sends once the fleet resumes");
    std::mem::forget(dns);
}

/// The open connections the sink holds now (its greeting held back).
fn open_now(sink: &SmtpSink) -> usize {
    sink.state().open.get(&sink.addr()).copied().unwrap_or(0)
}

/// Live leases per node as `show cluster` on `world` reads them.
fn leases_per_node(world: &World) -> Vec<(String, u64)> {
    let v = ctl_json(world, &["show", "cluster"]);
    let Some(limit) = v["limits"].as_array().and_then(|l| l.first()) else {
        return Vec::new();
    };
    limit["per_node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["node"].as_str().unwrap().to_string(),
                u["connections"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_gives_its_leases_back_within_the_ttl() {
    let Some(redis) =
        RedisServer::start_or_skip("a_killed_node_gives_its_leases_back_within_the_ttl")
    else {
        return;
    };
    let sink = sink_on("127.0.0.229", SmtpSink::builder().hold_greeting()).await;
    let mut nodes = fleet_with_backlog(&redis, &sink, 6).await;
    // Greetings held: the fleet's six connections stay open.
    wait_for(|| open_now(&sink) == 6).await;
    let holder = leases_per_node(&nodes[0])
        .into_iter()
        .find(|(_, n)| *n > 0)
        .map(|(node, _)| node)
        .expect("some node holds leases");
    let victim: usize = holder.trim_start_matches("node").parse::<usize>().unwrap() - 1;
    nodes[victim].pmtad.kill9();
    let survivor = (victim + 1) % NODES;
    // Its connections die with it; its leases expire unrenewed and the others take them.
    wait_for(|| {
        let per = leases_per_node(&nodes[survivor]);
        per.iter().map(|(_, n)| n).sum::<u64>() == 6 && per.iter().all(|(n, _)| *n != holder)
    })
    .await;
    wait_for(|| open_now(&sink) == 6).await;
    sink.release();
    let others = (NODES - 1) * PER_NODE as usize;
    sink.wait_for_messages(others, WAIT * 3)
        .await
        .expect("the surviving nodes deliver everything");
    let max = sink.max_concurrent(sink.addr());
    assert!(max <= 6, "the sink saw {max} connections at once");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_redis_each_node_keeps_its_share_and_leases_resume() {
    let Some(mut redis) =
        RedisServer::start_or_skip("without_redis_each_node_keeps_its_share_and_leases_resume")
    else {
        return;
    };
    let sink = sink_on("127.0.0.230", SmtpSink::builder().hold_greeting()).await;
    let dns = TestDns::builder()
        .a("fleet.test", "127.0.0.230")
        .start()
        .await
        .unwrap();
    let port = sink.addr().port();
    let nodes: Vec<World> = (1..=NODES)
        .map(|n| World::start(&fleet_config(&dns, port, &redis, n, 6)))
        .collect();
    // Every node must have seen all three alive before Redis goes: wait for a heartbeat of
    // each one that came after the third node's first.
    let all_seen = tokio::time::Instant::now();
    wait_for(|| {
        let v = ctl_json(&nodes[0], &["show", "cluster"]);
        let list = v["nodes"].as_array().cloned().unwrap_or_default();
        list.len() == NODES
            && list.iter().all(|n| {
                n["heartbeat_age_ms"].as_u64().unwrap() < all_seen.elapsed().as_millis() as u64
            })
    })
    .await;
    redis.stop();
    for (n, world) in nodes.iter().enumerate() {
        let base = n as u64 * 20;
        let msgs: Vec<_> = (base..base + 20)
            .map(|i| msg("s@src.test", &[&format!("r{i}@fleet.test")], i))
            .collect();
        world.inject(&msgs).await;
    }
    // Each node opens its share, 6 / 3 = 2, and says why it opens no more.
    wait_for(|| open_now(&sink) == 6).await;
    for world in &nodes {
        ctl_until(world, &["domain", "detail", "fleet.test"], |v| {
            v.to_string().contains("fallback")
        })
        .await;
    }
    redis.restart();
    sink.release();
    sink.wait_for_messages(NODES * 20, WAIT * 3)
        .await
        .expect("all mail arrives after Redis returns");
    let max = sink.max_concurrent(sink.addr());
    assert!(max <= 6, "the sink saw {max} connections at once");
    std::mem::forget(dns);
}
