//! End-to-end relay benchmark: injector -> pmtad (durable spool) -> SMTP sinks.
//!
//! Three recipient domains resolved by an in-process DNS server to three sinks on
//! 127.0.0.2-4, 2 KiB messages, one recipient each. Measures messages/s from the first
//! injection to the last message received by a sink, and pmtad's CPU time per message (from
//! /proc), once without and once with an accounting file, so the cost of accounting shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::daemon::Pmtad;
use crate::dns::TestDns;
use crate::inject::{Message, Session};
use crate::sink::SmtpSink;

const DOMAINS: [&str; 3] = ["one.bench", "two.bench", "three.bench"];

/// One relay run: (messages/s, wall seconds, pmtad CPU ms per message).
pub async fn run(
    bin: &std::path::Path,
    total: u64,
    sessions: u64,
    acct: bool,
) -> anyhow::Result<(f64, f64, f64)> {
    run_with(bin, total, sessions, acct, &Extra::default()).await
}

/// What a variant of the relay run adds: config lines, and a client scraping the HTTP
/// interface's `/metrics` this often while mail flows.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    pub config: &'static str,
    pub scrape_every: Option<Duration>,
}

/// [`run`] with `extra`.
pub async fn run_with(
    bin: &std::path::Path,
    total: u64,
    sessions: u64,
    acct: bool,
    extra: &Extra,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut sinks = Vec::new();
    let mut dns = TestDns::builder();
    let first = SmtpSink::builder()
        .listen("127.0.0.2:0".parse()?)
        .start()
        .await?;
    let port = first.addr().port();
    sinks.push(first);
    for (i, d) in DOMAINS.iter().enumerate() {
        let ip = format!("127.0.0.{}", i + 2);
        if i > 0 {
            sinks.push(
                SmtpSink::builder()
                    .listen(format!("{ip}:{port}").parse()?)
                    .start()
                    .await?,
            );
        }
        dns = dns.a(d, &ip);
    }
    let dns = dns.start().await?;
    let dir = tempfile::tempdir()?;
    let mut cfg = format!(
        "host-name bench.test\nsmtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
         log-file log/pmtad.log\nname-server {}\ntotal-max-smtp-in 1000\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n\
         <domain *>\n  smtp-port {port}\n  max-smtp-out 20\n  tls no\n  smtp-pipeline-depth 10\n</domain>\n",
        dns.addr()
    );
    if acct {
        cfg.push_str("<acct-file log/acct.csv>\n  records d,b\n</acct-file>\n");
    }
    cfg.push_str(extra.config);
    let pmtad = Pmtad::start_with(bin, dir.path(), &cfg)?;
    let scraper = match (extra.scrape_every, pmtad.http) {
        (Some(every), Some(http)) => Some(tokio::spawn(scrape(http, every))),
        _ => None,
    };
    let cpu0 = cpu_secs(pmtad.pid());
    let start = Instant::now();
    inject_all(pmtad.smtp_addr(), total, sessions).await?;
    for s in &sinks {
        let _ = s;
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while sinks
        .iter()
        .map(|s| s.state().transactions as u64)
        .sum::<u64>()
        < total
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "not everything was delivered in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_secs(pmtad.pid()) - cpu0;
    if let Some(task) = scraper {
        task.abort();
    }
    Ok((total as f64 / wall, wall, cpu * 1000.0 / total as f64))
}

/// GETs `/metrics` every `every` until aborted, as a Prometheus server would.
async fn scrape(http: std::net::SocketAddr, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let r = crate::http::get(http, "/metrics").await;
        assert_eq!(r.status, 200, "scrape failed: {}", r.body);
    }
}

async fn inject_all(addr: std::net::SocketAddr, total: u64, sessions: u64) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Session::connect(addr).await?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let rcpt = format!("user{n}@{}", DOMAINS[(n % 3) as usize]);
                let reply = s
                    .send(&Message::sized("bench@src.test", &[&rcpt], 2048, n))
                    .await?;
                anyhow::ensure!(reply.code == 250, "refused: {} {}", reply.code, reply.text);
            }
            s.quit().await?;
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// User + system CPU seconds of a process, from /proc/PID/stat.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Messages and injecting sessions of a relay run.
#[derive(Clone, Debug)]
pub struct Params {
    pub messages: u64,
    pub sessions: u64,
}

impl Params {
    pub fn at(scale: super::Scale) -> Self {
        Params {
            messages: scale.pick(20_000, 5_000, 100),
            sessions: scale.pick(50, 50, 5),
        }
    }
}

/// Relay rate and pmtad CPU per message, without and with an accounting file.
pub fn measure(p: &Params) -> anyhow::Result<super::Section> {
    use super::{Figure, Goal};
    let bin = super::workspace_bin("pmtad");
    let rt = tokio::runtime::Runtime::new()?;
    let mut s = super::Section::new(
        "relay",
        format!(
            "injector ({} pipelining sessions) -> pmtad (durable spool) -> 3 sinks on \
             127.0.0.2-4, {} single-recipient 2 KiB messages per run, all on this machine",
            p.sessions, p.messages
        ),
    );
    for acct in [false, true] {
        let (rate, _wall, cpu_ms) = rt.block_on(run(&bin, p.messages, p.sessions, acct))?;
        let with = if acct {
            "with acct d,b"
        } else {
            "no accounting"
        };
        s.push(
            Figure::new(format!("relay rate, {with}"), rate, "msgs/s").goal(Goal::AtLeast(4_000.0)),
        );
        s.push(
            Figure::new(format!("pmtad CPU per message, {with}"), cpu_ms, "ms")
                .goal(Goal::AtMost(0.15)),
        );
    }
    Ok(s)
}
