//! The HTTP management interface against the real daemon: request latency with 10,000
//! domains queued, and what a Prometheus scrape every second costs the relay.
//!
//! Latency: a release pmtad with one recipient in each of N domains (every queue paused, so
//! nothing leaves the machine), then `GET /status?format=json`, `GET /queues?format=json`
//! (20 rows) and `GET /metrics` (top 100 queues of N), each a new TCP connection as a
//! monitoring script makes it; p50 and p99 of the wall time. Then `GET /status` again
//! with 1,000 idle connections held open (past the listener's 512, each new client makes
//! the oldest idle one give way): a new client's wait under an idle flood.
//!
//! Relay cost: the relay benchmark's run (injector -> pmtad -> 3 sinks) twice with the HTTP
//! interface on, once idle and once scraped (`/metrics`) every second, alternating which
//! goes first; the rates are compared.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::measure::Samples;
use super::{Figure, Goal, Scale, Section, workspace_bin};
use crate::daemon::Pmtad;
use crate::http::get;

#[derive(Clone, Debug)]
pub struct Params {
    pub domains: usize,
    /// Requests per endpoint.
    pub requests: usize,
    /// Idle connections held open for the last latency figure.
    pub idle: usize,
    pub relay: super::relay::Params,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            domains: scale.pick(10_000, 10_000, 100),
            requests: scale.pick(300, 100, 5),
            idle: scale.pick(1000, 1000, 50),
            relay: super::relay::Params::at(scale),
        }
    }
}

const CONFIG: &str = "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
                      log-file log/pmtad.log\nname-server 127.0.0.1:9\n\
                      http-mgmt-port 127.0.0.1:0\nhttp-access 127.0.0.1 admin\n\
                      <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n";

/// The relay with a scrape every second must stay within 3% of the relay without.
const SCRAPE_GOAL_PCT: f64 = 97.0;

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let mut s = Section::new(
        "http",
        format!(
            "release pmtad, {} domains queued (paused), {} requests per endpoint, one TCP \
             connection each; relay: {} messages, {} sessions, /metrics scraped every second \
             vs not",
            p.domains, p.requests, p.relay.messages, p.relay.sessions
        ),
    );
    latency(p, &mut s)?;
    scrape_cost(p, &mut s)?;
    Ok(s)
}

fn latency(p: &Params, s: &mut Section) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let pmtad = Pmtad::start_with(&workspace_bin("pmtad"), dir.path(), CONFIG)?;
    let http = pmtad
        .http
        .ok_or_else(|| anyhow::anyhow!("no HTTP listener"))?;
    let out = pmtad.pmtactl(&["pause", "queue", "*/*"]);
    anyhow::ensure!(out.status.success(), "pause failed");
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(super::control::fill(pmtad.smtp_addr(), p.domains))?;
    for (label, path) in [
        ("GET /status?format=json", "/status?format=json"),
        (
            "GET /queues?format=json (20 rows)",
            "/queues?format=json&maxitems=20",
        ),
        ("GET /metrics (top 100 queues)", "/metrics"),
    ] {
        let times = rt.block_on(time_requests(http, path, p.requests))?;
        push_latency(s, label, times);
    }
    let idle = rt.block_on(open_idle(http, p.idle))?;
    let times = rt.block_on(time_requests(http, "/status?format=json", p.requests))?;
    let label = format!("GET /status?format=json, {} idle connections held", p.idle);
    push_latency(s, &label, times);
    drop(idle);
    Ok(())
}

fn push_latency(s: &mut Section, label: &str, times: Vec<Duration>) {
    let samples = Samples::new(times);
    for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
        s.push(Figure::new(format!("{label}, {name}"), samples.ms(q), "ms"));
    }
}

/// `n` connections that never send a request.
async fn open_idle(http: SocketAddr, n: usize) -> anyhow::Result<Vec<tokio::net::TcpStream>> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(tokio::net::TcpStream::connect(http).await?);
    }
    Ok(all)
}

async fn time_requests(http: SocketAddr, path: &str, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let r = get(http, path).await;
        times.push(t.elapsed());
        anyhow::ensure!(r.status == 200, "{path}: {} {}", r.status, r.body);
    }
    Ok(times)
}

/// Relay rate without and with a scrape every second (each twice, alternating).
fn scrape_cost(p: &Params, s: &mut Section) -> anyhow::Result<()> {
    let bin = workspace_bin("pmtad");
    let rt = tokio::runtime::Runtime::new()?;
    let (mut idle, mut scraped) = (Vec::new(), Vec::new());
    for round in 0..2 {
        for scrape in [round == 1, round == 0] {
            let opts = super::relay::Extra {
                config: "http-mgmt-port 127.0.0.1:0\nhttp-access 127.0.0.1 admin\n",
                scrape_every: scrape.then_some(Duration::from_secs(1)),
            };
            let (rate, _, _) = rt.block_on(super::relay::run_with(
                &bin,
                p.relay.messages,
                p.relay.sessions,
                false,
                &opts,
            ))?;
            if scrape { &mut scraped } else { &mut idle }.push(rate);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(&idle), mean(&scraped));
    s.push(Figure::new("relay rate, HTTP on, not scraped", a, "msgs/s"));
    s.push(Figure::new(
        "relay rate, /metrics scraped every second",
        b,
        "msgs/s",
    ));
    s.push(
        Figure::new(
            "scraped rate as % of not scraped",
            b * 100.0 / a.max(1e-9),
            "%",
        )
        .goal(Goal::AtLeast(SCRAPE_GOAL_PCT)),
    );
    Ok(())
}
