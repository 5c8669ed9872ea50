//! spool-bench: figures for BENCHMARKS.md (not a test; prints what it measured).
//!
//! `cargo run --release -p pmtad --example spool-bench -- [--writers 50] [--size 2048]
//!  [--seconds 10] [--recover 1000000] [--queue 1000000] [--dir D]`
//!
//! 1. intake: `--writers` tasks each store `--size`-byte messages back to back for
//!    `--seconds`, like SMTP sessions waiting for the fsync before their 250: durable
//!    messages/s, fsyncs per message, latency percentiles, CPU per message.
//! 2. recovery: fills the spool to `--recover` live messages, closes it, drops the page cache
//!    (when permitted) and times `Spool::open` (cold), then again warm.
//! 3. queue: inserts `--queue` single-recipient messages over 1,000 domains into a
//!    `QueueIndex` and reports resident bytes per queued recipient.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use pmtad::envelope::{DEFAULT_VMTA, Envelope, MessageId, RcptState, Recipient};
use pmtad::queue::QueueIndex;
use pmtad::spool::{Spool, SpoolOptions};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 50)]
    writers: usize,
    #[arg(long, default_value_t = 2048)]
    size: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Live messages for the recovery measurement (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    recover: usize,
    /// Recipients for the queue memory measurement (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    queue: usize,
    /// Spool directory (default: a temporary directory under /var/tmp).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only time opening the existing spool at `--dir` (cold, then warm).
    #[arg(long)]
    reopen_only: bool,
}

fn envelope(n: usize) -> Envelope {
    Envelope {
        mail_from: "bounces@sender.example".into(),
        recipients: vec![Recipient {
            address: format!("user{n}@d{}.example", n % 1000),
            orcpt: None,
            state: RcptState::Pending,
        }],
        vmta: DEFAULT_VMTA.into(),
        received_at: 1_764_000_000 + (n / 1000) as u64,
        source_ip: Some("127.0.0.1".parse().expect("ip")),
        size: 0,
        env_id: None,
        job_id: Some("bench".into()),
        helo: Some("feeder.example".into()),
        acct_headers: Vec::new(),
    }
}

/// user + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    (f.get(11).unwrap_or(&0) + f.get(12).unwrap_or(&0)) as f64 / 100.0
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

async fn run_writer(spool: Spool, t: usize, size: usize, until: Instant) -> Vec<u32> {
    let mut lat = Vec::new();
    let body = vec![b'a'; size];
    let mut n = t * 10_000_000;
    while Instant::now() < until {
        let start = Instant::now();
        spool
            .store(&envelope(n), body.clone().into())
            .await
            .expect("store");
        lat.push(start.elapsed().as_micros() as u32);
        n += 1;
    }
    lat
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    f64::from(sorted[i]) / 1000.0
}

async fn intake(spool: &Spool, args: &Args) {
    let before = spool.stats();
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let until = start + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.writers)
        .map(|t| tokio::spawn(run_writer(spool.clone(), t, args.size, until)))
        .collect();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("writer"));
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let after = spool.stats();
    lat.sort_unstable();
    let n = lat.len() as f64;
    let fsyncs = (after.fsyncs - before.fsyncs) as f64;
    println!(
        "intake: {} writers, {} B messages, {secs:.1} s",
        args.writers, args.size
    );
    println!("  durable messages/s   {:.0}", n / secs);
    println!(
        "  fsyncs per message   {:.4} ({fsyncs} fsyncs, {:.1} msgs per batch)",
        fsyncs / n,
        n / fsyncs
    );
    println!(
        "  latency ms p50 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 0.999),
        pct(&lat, 1.0)
    );
    println!("  CPU µs per message   {:.1}", cpu * 1e6 / n);
}

async fn fill(spool: &Spool, target: usize, size: usize) {
    let have = spool.stats().live_messages as usize;
    let need = target.saturating_sub(have);
    let writers = 128;
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|t| {
            let spool = spool.clone();
            tokio::spawn(async move {
                let body = vec![b'b'; size];
                for i in (t..need).step_by(writers) {
                    let env = envelope(500_000_000 + i);
                    spool.store(&env, body.clone().into()).await.expect("store");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("filler");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fill: stored {need} more messages with {writers} writers in {secs:.1} s ({:.0}/s)",
        need as f64 / secs
    );
}

fn drop_caches() -> bool {
    std::process::Command::new("sync").status().is_ok()
        && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Drops the page cache if permitted and says which it was.
fn cold_label() -> &'static str {
    match drop_caches() {
        true => "cold cache",
        false => "page cache NOT dropped",
    }
}

fn reopen(dir: &std::path::Path, label: &str) {
    let rss0 = rss_bytes();
    let start = Instant::now();
    let (spool, rec) = Spool::open(dir, SpoolOptions::default()).expect("open");
    let secs = start.elapsed().as_secs_f64();
    let stats = spool.stats();
    println!(
        "recovery ({label}): {} live messages in {secs:.2} s; {} segments, {:.2} GB on disk; RSS +{} MB",
        rec.len(),
        stats.segments,
        stats.disk_bytes as f64 / 1e9,
        (rss_bytes().saturating_sub(rss0)) >> 20
    );
}

async fn recovery(spool: Spool, dir: &std::path::Path, args: &Args) {
    fill(&spool, args.recover, args.size).await;
    spool.close().await;
    let cold = drop_caches();
    reopen(
        dir,
        if cold {
            "cold cache"
        } else {
            "page cache NOT dropped"
        },
    );
    reopen(dir, "warm cache");
}

fn queue_memory(n: usize) {
    let rss0 = rss_bytes();
    let mut qi = QueueIndex::new();
    let mut env = envelope(0);
    for i in 0..n {
        env.recipients[0].address.clear();
        use std::fmt::Write;
        let _ = write!(env.recipients[0].address, "user{i}@d{}.example", i % 1000);
        qi.insert(MessageId(i as u64 + 1), &env, 1_764_000_000);
    }
    let rss = rss_bytes().saturating_sub(rss0);
    println!(
        "queue index: {} recipients in {} queues: {:.1} bytes/recipient resident (RSS delta), {:.1} by capacity",
        qi.recipients(),
        qi.summaries().count(),
        rss as f64 / n as f64,
        qi.heap_bytes() as f64 / n as f64
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let tmp = tempfile::Builder::new()
        .prefix("spool-bench")
        .tempdir_in("/var/tmp")
        .expect("tempdir");
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    if args.reopen_only {
        reopen(&dir, cold_label());
        reopen(&dir, "warm cache");
        return;
    }
    if args.queue > 0 {
        queue_memory(args.queue);
    }
    let (spool, _) = Spool::open(&dir, SpoolOptions::default()).expect("open");
    intake(&spool, &args).await;
    if args.recover > 0 {
        recovery(spool, &dir, &args).await;
    }
}
