//! `cluster-fallback`: what one node of a fleet does when its Redis stops answering, shown
//! in `/metrics`, `domain detail` and the log; and the reload rules of the fleet's settings.

use pmta_tests::redis::RedisServer;
use pmta_tests::sink::SmtpSink;

use super::relay::wait_for;
use crate::http::Web;

const IP: &str = "127.0.0.232";

fn fleet_lines(redis: &RedisServer, node: &str, fallback: &str) -> String {
    format!(
        "cluster-redis-url {}\ncluster-node-id {node}\n{fallback}\
         <domain fb.test>\n  cluster-max-smtp-out 2\n  cluster-max-msg-rate 600/min\n</domain>\n",
        redis.url()
    )
}

/// The `pmtad_cluster_fallback` sample of one scrape, as `policy value`.
async fn fallback_metric(web: &Web) -> String {
    let body = web.get("/metrics").await.body;
    body.lines()
        .find_map(|l| l.strip_prefix("pmtad_cluster_fallback{policy=\""))
        .map(|rest| rest.replace("\"} ", " "))
        .unwrap_or_default()
}

/// `pmtad_cluster_redis_calls_total`: the round trips the node asked of Redis.
async fn redis_calls(web: &Web) -> u64 {
    let body = web.get("/metrics").await.body;
    let value = body.lines().find_map(|l| {
        let (name, value) = l.split_once(' ')?;
        let name = name.strip_suffix("{}").unwrap_or(name);
        (name == "pmtad_cluster_redis_calls_total").then(|| value.trim().parse().ok())?
    });
    value.unwrap_or_else(|| panic!("no pmtad_cluster_redis_calls_total in\n{body}"))
}

async fn wait_metric(web: &Web, want: &str) {
    let deadline = std::time::Instant::now() + super::harness::WAIT;
    loop {
        let got = fallback_metric(web).await;
        if got == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "metric {got:?}, want {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn log_count(web: &Web, needle: &str) -> usize {
    let log = std::fs::read_to_string(web.dir.path().join("log/pmtad.log")).unwrap_or_default();
    log.matches(needle).count()
}

/// Rewrites the config with other fleet lines and reloads: the exit code.
fn reload_with(web: &Web, base: &str, lines: &str) -> Option<i32> {
    std::fs::write(&web.pmtad.config, format!("{base}{lines}")).unwrap();
    web.pmtad.pmtactl(&["reload"]).status.code()
}

/// A reload that renames the node is refused and the node keeps its name; one that sets
/// `cluster-fallback pause` is taken. Then Redis stops: the node logs the fallback once,
/// `/metrics` flags it, `domain detail` says the queue is held, and nothing is sent; Redis
/// back, the recovery is logged once, the flag drops and the mail goes.
#[tokio::test(flavor = "multi_thread")]
async fn cluster_fallback_pause_is_flagged_and_lifted_and_the_node_id_does_not_reload() {
    let Some(mut redis) = RedisServer::start_or_skip("cluster_fallback_pause_is_flagged") else {
        return;
    };
    let lines = fleet_lines(&redis, "solo", "");
    let web = Web::start_with(IP, &["fb.test"], SmtpSink::builder(), &lines).await;
    let text = std::fs::read_to_string(&web.pmtad.config).unwrap();
    let base = text.replace(&lines, "");
    wait_metric(&web, "divide 0").await;

    let renamed = fleet_lines(&redis, "other", "");
    assert_eq!(
        reload_with(&web, &base, &renamed),
        Some(1),
        "a new node id is refused"
    );
    assert_eq!(web.ctl_json(&["show", "cluster"])["node"], "solo");
    let paused = fleet_lines(&redis, "solo", "cluster-fallback pause\n");
    assert_eq!(reload_with(&web, &base, &paused), Some(0));
    wait_metric(&web, "pause 0").await;
    let calls = redis_calls(&web).await;
    assert!(calls > 0, "the heartbeats are round trips");

    redis.stop();
    wait_metric(&web, "pause 1").await;
    web.inject(&[&["a@fb.test"], &["b@fb.test"], &["c@fb.test"]])
        .await;
    wait_for(|| {
        let v = web.ctl_json(&["domain", "detail", "fb.test"]);
        v.to_string()
            .contains("cluster-fallback pause holds new connections")
    })
    .await;
    assert_eq!(web.sink.state().accepted, 0, "nothing goes while paused");
    redis.restart();
    web.wait_delivered(3).await;
    wait_metric(&web, "pause 0").await;
    let entered = "cluster: Redis unreachable";
    let left = "cluster: Redis answers again; cluster limits leave the fallback";
    wait_for(|| log_count(&web, left) == 1).await;
    assert_eq!(log_count(&web, entered), 1, "the fallback is logged once");
    assert_eq!(log_count(&web, left), 1, "the recovery is logged once");
    assert!(redis_calls(&web).await > calls, "the counter only grows");
}
