//! Cluster limits on vs off (issue 18): the relay-conn workload on one node, once alone and
//! once in a fleet (a real `redis-server` on a loopback port of its own) with every queue
//! under `cluster-max-smtp-out 20` and `cluster-max-msg-rate 100000/s`, so the fleet's
//! bookkeeping is all there is between the two runs. Prints the CPU per message of each,
//! their ratio (goal: at most 1.05), and per relayed message the Redis round trips and the
//! commands they ran, both counted by the server (`INFO commandstats`, heartbeats included;
//! the commands a Lua script calls are counted there too, so a round trip is a call of one
//! of [`ROUND_TRIPS`]).

use super::relay_conn::{self, Params};
use super::{Figure, Goal, Section};
use crate::redis::RedisServer;

/// What the fleet run adds to the config.
fn cluster_lines(url: &str) -> String {
    let mut out = format!("cluster-redis-url {url}\ncluster-node-id bench1\n");
    for d in ["one.bench", "two.bench", "three.bench"] {
        out += &format!(
            "<domain {d}>\n  cluster-max-smtp-out 20\n  cluster-max-msg-rate 100000/s\n</domain>\n"
        );
    }
    out
}

/// The commands pmtad sends itself (its scripts call others, never these): one each is a
/// round trip. `hello`, `client` and `ping` are the connection's own set-up.
const ROUND_TRIPS: [&str; 9] = [
    "evalsha", "eval", "script", "zrem", "sadd", "srem", "hello", "client", "ping",
];

/// (round trips, commands) Redis has served since it started.
fn redis_counts(redis: &RedisServer) -> (u64, u64) {
    let info = redis.command("INFO commandstats");
    let mut counts = (0, 0);
    for line in info.lines() {
        let Some((name, rest)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        let calls = rest
            .split("calls=")
            .nth(1)
            .and_then(|r| r.split(',').next());
        let calls: u64 = calls.and_then(|c| c.parse().ok()).unwrap_or(0);
        let top = name.split('|').next().unwrap_or(name);
        if ROUND_TRIPS.contains(&top) {
            counts.0 += calls;
        }
        counts.1 += calls;
    }
    counts
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let Some(redis) = RedisServer::start_or_skip("bench cluster") else {
        anyhow::bail!("redis-server is not installed");
    };
    let bin = super::workspace_bin("pmtad");
    let p = Params {
        traced: 0,
        ..p.clone()
    };
    let rt = tokio::runtime::Runtime::new()?;
    let off = rt.block_on(relay_conn::run(&bin, &p, ""))?;
    let before = redis_counts(&redis);
    let on = rt.block_on(relay_conn::run(&bin, &p, &cluster_lines(&redis.url())))?;
    let after = redis_counts(&redis);
    let (trips, commands) = (after.0 - before.0, after.1 - before.1);
    // The run relays a 200-message warm-up before the timed pass.
    let relayed = p.messages + 200;
    let workload = format!(
        "relay-conn's workload ({} messages, {} sessions, connection per message), alone then \
         in a fleet of one on redis-server (cluster-max-smtp-out 20, cluster-max-msg-rate \
         100000/s on each of the 3 queues); Redis calls over the fleet run's {relayed} \
         relayed messages, heartbeats included",
        p.messages, p.sessions
    );
    let mut s = Section::new("cluster", workload);
    let rows = [
        ("relay rate, lone node", off.rate, "msgs/s"),
        ("relay rate, cluster limits on", on.rate, "msgs/s"),
        ("pmtad CPU per message, lone node", off.cpu_ms, "ms"),
        ("pmtad CPU per message, cluster on", on.cpu_ms, "ms"),
    ];
    for (name, value, unit) in rows {
        s.push(Figure::new(name, value, unit));
    }
    s.push(
        Figure::new("CPU per message, on / off", on.cpu_ms / off.cpu_ms, "x")
            .goal(Goal::AtMost(1.05)),
    );
    let per_message = |n: u64| n as f64 / relayed as f64;
    s.push(Figure::new(
        "Redis round trips per relayed message",
        per_message(trips),
        "calls",
    ));
    s.push(Figure::new(
        "Redis commands per relayed message, scripts' own included",
        per_message(commands),
        "calls",
    ));
    Ok(s)
}
