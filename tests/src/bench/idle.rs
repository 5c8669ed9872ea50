//! Idle inbound connections against the real daemon (issue 19): a release pmtad holds N
//! SMTP connections that were greeted and then say nothing; what each costs in resident
//! memory, and how long a new client waits for its greeting meanwhile.
//!
//! The memory figure is pmtad's VmRSS (/proc/PID/status) after the idle connections are
//! open minus before, divided by N: heap and task state per session (socket buffers are
//! kernel memory, not in RSS). Before the baseline, a warm-up opens and closes a batch of
//! connections so the runtime's worker threads and the allocator's arenas exist already.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

use super::measure::Samples;
use super::{Figure, Goal, Scale, Section, workspace_bin};
use crate::daemon::Pmtad;

#[derive(Clone, Debug)]
pub struct Params {
    /// Idle connections held open.
    pub idle: usize,
    /// New clients timed to their greeting, one after the other.
    pub tries: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            idle: scale.pick(2_000, 2_000, 20),
            tries: scale.pick(500, 200, 5),
        }
    }
}

/// Issue 19: with 2,000 idle connections a new client is greeted within a second.
const GOAL_MS: f64 = 1000.0;

fn config(idle: usize) -> String {
    format!(
        "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
         log-file log/pmtad.log\nname-server 127.0.0.1:9\ntotal-max-smtp-in {}\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n",
        idle + 100
    )
}

/// Lets this process (and the pmtad it starts, which inherits it) open `n` more files:
/// `prlimit` raises the soft RLIMIT_NOFILE to the hard one when it is lower than needed.
fn raise_nofile(n: usize) -> anyhow::Result<()> {
    let need = n as u64 + 256;
    let (soft, hard) = nofile();
    if soft < need {
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("prlimit")
            .args([
                "--pid",
                &pid,
                &format!("--nofile={}:{hard}", need.min(hard)),
            ])
            .status();
        anyhow::ensure!(
            status.is_ok_and(|s| s.success()),
            "cannot raise RLIMIT_NOFILE with prlimit"
        );
    }
    let (soft, _) = nofile();
    anyhow::ensure!(
        soft >= n as u64 + 64,
        "RLIMIT_NOFILE {soft} is too low for {n} connections"
    );
    Ok(())
}

/// Soft and hard RLIMIT_NOFILE of this process (/proc/self/limits; unlimited = u64::MAX).
fn nofile() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let line = text.lines().find(|l| l.starts_with("Max open files"));
    let mut nums = line
        .into_iter()
        .flat_map(|l| l.split_whitespace().skip(3))
        .take(2);
    let mut next = || match nums.next() {
        Some("unlimited") => u64::MAX,
        Some(v) => v.parse().unwrap_or(0),
        None => 0,
    };
    (next(), next())
}

/// pmtad's resident set in bytes (`VmRSS` of /proc/PID/status).
fn rss(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = text
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    kb * 1024
}

/// A connection that got its 220 greeting; the time it took.
async fn greeted(addr: SocketAddr) -> anyhow::Result<(BufReader<TcpStream>, Duration)> {
    let t = Instant::now();
    let mut rd = BufReader::new(TcpStream::connect(addr).await?);
    let mut line = String::new();
    rd.read_line(&mut line).await?;
    anyhow::ensure!(line.starts_with("220 "), "not greeted: {line:?}");
    Ok((rd, t.elapsed()))
}

/// Opens `n` greeted connections, 50 at a time.
async fn open(addr: SocketAddr, n: usize) -> anyhow::Result<Vec<BufReader<TcpStream>>> {
    let mut all = Vec::with_capacity(n);
    while all.len() < n {
        let batch = (n - all.len()).min(50);
        let opened = futures::future::join_all((0..batch).map(|_| greeted(addr))).await;
        for c in opened {
            all.push(c?.0);
        }
    }
    Ok(all)
}

/// Time to greeting of `tries` new clients, one after the other, each closed after.
async fn greetings(addr: SocketAddr, tries: usize) -> anyhow::Result<Samples> {
    let mut times = Vec::with_capacity(tries);
    for _ in 0..tries.max(1) {
        times.push(greeted(addr).await?.1);
    }
    Ok(Samples::new(times))
}

/// Lets the daemon settle (sessions spawned, RSS counted) after connections change.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    raise_nofile(p.idle + 100)?;
    let dir = tempfile::tempdir()?;
    let pmtad = Pmtad::start_with(&workspace_bin("pmtad"), dir.path(), &config(p.idle))?;
    let (addr, pid) = (pmtad.smtp_addr(), pmtad.pid());
    let rt = tokio::runtime::Runtime::new()?;
    let mut s = Section::new(
        "idle",
        format!(
            "release pmtad holding {} greeted, silent SMTP connections; {} new clients timed \
             one after the other from connect to the 220 line",
            p.idle, p.tries
        ),
    );
    rt.block_on(async {
        let quiet = greetings(addr, p.tries).await?;
        drop(open(addr, p.idle.min(200)).await?);
        settle().await;
        let before = rss(pid);
        let idle = open(addr, p.idle).await?;
        settle().await;
        let after = rss(pid);
        let busy = greetings(addr, p.tries).await?;
        let per = after.saturating_sub(before) as f64 / p.idle.max(1) as f64 / 1024.0;
        s.push(Figure::new("pmtad RSS per idle connection", per, "KiB"));
        s.push(Figure::new(
            format!("pmtad RSS with {} idle connections", p.idle),
            after as f64 / (1024.0 * 1024.0),
            "MiB",
        ));
        s.push(Figure::new(
            "time to greeting, no idle connections, p50",
            quiet.ms(0.5),
            "ms",
        ));
        let label = |q: &str| format!("time to greeting with {} idle, {q}", p.idle);
        s.push(Figure::new(label("p50"), busy.ms(0.5), "ms"));
        let mut p99 = Figure::new(label("p99"), busy.ms(0.99), "ms");
        if p.idle >= 2_000 {
            p99 = p99.goal(Goal::AtMost(GOAL_MS));
        }
        s.push(p99);
        drop(idle);
        anyhow::Ok(())
    })?;
    Ok(s)
}
