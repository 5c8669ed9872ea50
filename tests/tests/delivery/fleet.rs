//! The fleet: three pmtad processes share one real redis-server, and a cluster-wide
//! `cluster-max-smtp-out` holds at the sink they all deliver to.

use pmta_tests::TestDns;
use pmta_tests::daemon::Pmtad;
use pmta_tests::redis::RedisServer;
use pmta_tests::sink::SmtpSink;

use super::harness::{WAIT, World, base_config, msg, sink_on};
use super::limits::ctl_json;
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

fn expect_ok(out: std::process::Output) {
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
    for world in &nodes {
        let delivered = world.acct().iter().filter(|r| r["type"] == "d").count();
        assert_eq!(delivered, PER_NODE as usize);
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
