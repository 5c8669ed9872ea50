//! Spool and queue index benchmarks (pmtad::spool, pmtad::queue).
//!
//! - intake: writers each store messages back to back for a while, like SMTP sessions
//!   waiting for the fsync before their 250: durable messages/s, fsyncs per message,
//!   latency to durable, CPU per message.
//! - recovery: fills a spool to N live messages, closes it, drops the page cache (full runs,
//!   when permitted) and times `Spool::open` cold, then warm.
//! - queue: inserts N single-recipient messages over 1,000 domains into a `QueueIndex` and
//!   reports resident bytes per queued recipient.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pmtad::envelope::{DEFAULT_VMTA, Envelope, MessageId, RcptState, Recipient};
use pmtad::queue::QueueIndex;
use pmtad::spool::{Spool, SpoolOptions};

use super::measure::{Samples, per_sec, rss_bytes, self_cpu, us_per};
use super::{Figure, Goal, Scale, Section};

#[derive(Clone, Debug)]
pub struct IntakeParams {
    pub writers: usize,
    pub size: usize,
    pub duration: Duration,
    /// Spool directory (default: a temporary directory under /var/tmp).
    pub dir: Option<PathBuf>,
}

impl IntakeParams {
    pub fn at(scale: Scale) -> Self {
        IntakeParams {
            writers: 50,
            size: 2048,
            duration: scale.pick(
                Duration::from_secs(10),
                Duration::from_secs(3),
                Duration::from_millis(300),
            ),
            dir: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RecoveryParams {
    pub messages: usize,
    pub size: usize,
    /// Drop the page cache before the cold open (needs root; empties the whole machine's
    /// cache, so only full runs do it).
    pub drop_caches: bool,
    pub dir: Option<PathBuf>,
}

impl RecoveryParams {
    pub fn at(scale: Scale) -> Self {
        RecoveryParams {
            messages: scale.pick(1_000_000, 100_000, 1_000),
            size: 2048,
            drop_caches: scale == Scale::Full,
            dir: None,
        }
    }
}

/// A spool directory: the given one, or a fresh temporary one under /var/tmp (a real disk,
/// not a tmpfs /tmp) removed when dropped.
pub struct SpoolDir {
    path: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl SpoolDir {
    pub fn new(dir: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(d) = dir {
            return Ok(SpoolDir {
                path: d.to_path_buf(),
                _tmp: None,
            });
        }
        let tmp = tempfile::Builder::new()
            .prefix("spool-bench")
            .tempdir_in("/var/tmp")?;
        Ok(SpoolDir {
            path: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn envelope(n: usize) -> Envelope {
    Envelope {
        mail_from: "bounces@sender.example".into(),
        recipients: vec![Recipient {
            address: format!("user{n}@d{}.example", n % 1000),
            orcpt: None,
            state: RcptState::Pending,
            notify: Default::default(),
        }],
        vmta: DEFAULT_VMTA.into(),
        received_at: 1_764_000_000 + (n / 1000) as u64,
        source_ip: Some("127.0.0.1".parse().expect("ip")),
        size: 0,
        env_id: None,
        job_id: Some("bench".into()),
        helo: Some("feeder.example".into()),
        acct_headers: Vec::new(),
        auth_user: None,
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn run_writer(spool: Spool, t: usize, size: usize, until: Instant) -> Vec<Duration> {
    let mut lat = Vec::new();
    let body = vec![b'a'; size];
    let mut n = t * 10_000_000;
    while Instant::now() < until {
        let start = Instant::now();
        spool
            .store(&envelope(n), body.clone().into())
            .await
            .expect("store");
        lat.push(start.elapsed());
        n += 1;
    }
    lat
}

/// Durable intake rate, fsyncs per message, latency to durable and CPU per message.
pub fn intake(p: &IntakeParams) -> anyhow::Result<Section> {
    let dir = SpoolDir::new(p.dir.as_deref())?;
    let rt = runtime()?;
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default())?;
    let before = spool.stats();
    let cpu0 = self_cpu();
    let start = Instant::now();
    let until = start + p.duration;
    let lat = rt.block_on(async {
        let tasks: Vec<_> = (0..p.writers)
            .map(|t| tokio::spawn(run_writer(spool.clone(), t, p.size, until)))
            .collect();
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.expect("writer"));
        }
        lat
    });
    let wall = start.elapsed();
    let cpu = self_cpu().saturating_sub(cpu0);
    let fsyncs = spool.stats().fsyncs - before.fsyncs;
    rt.block_on(spool.close());
    let lat = Samples::new(lat);
    let n = lat.len();
    let mut s = Section::new(
        "intake",
        format!(
            "spool alone: {} writers storing {} B messages for {:.1} s, each waiting for its fsync",
            p.writers,
            p.size,
            wall.as_secs_f64()
        ),
    );
    s.push(
        Figure::new("durable messages/s", per_sec(n, wall), "msgs/s").goal(Goal::AtLeast(10_000.0)),
    );
    let per_msg = fsyncs as f64 / n.max(1) as f64;
    s.push(Figure::new("fsyncs per message", per_msg, "fsyncs").goal(Goal::AtMost(0.1)));
    s.push(Figure::new("time to durable p50", lat.ms(0.5), "ms"));
    s.push(Figure::new("time to durable p99", lat.ms(0.99), "ms"));
    s.push(Figure::new("time to durable p99.9", lat.ms(0.999), "ms"));
    s.push(Figure::new(
        "CPU per stored message (process)",
        us_per(cpu, n),
        "µs",
    ));
    Ok(s)
}

/// Stores messages until the spool holds `target` live ones.
async fn fill(spool: &Spool, target: usize, size: usize) {
    let have = spool.stats().live_messages as usize;
    let need = target.saturating_sub(have);
    let writers = 128;
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
}

/// Drops the page cache (root only); whether it did.
fn drop_caches() -> bool {
    std::process::Command::new("sync").status().is_ok()
        && std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

/// Times `Spool::open` of `dir` until it has returned every live envelope, then closes it
/// (which releases the spool's lock before the next open).
pub fn reopen(dir: &Path) -> anyhow::Result<(usize, Duration)> {
    let start = Instant::now();
    let (spool, rec) = Spool::open(dir, SpoolOptions::default())?;
    let took = start.elapsed();
    futures::executor::block_on(spool.close());
    Ok((rec.len(), took))
}

/// Recovery time of a spool of `messages` live messages, cold then warm page cache.
pub fn recovery(p: &RecoveryParams) -> anyhow::Result<Section> {
    let dir = SpoolDir::new(p.dir.as_deref())?;
    let rt = runtime()?;
    let (spool, _) = Spool::open(dir.path(), SpoolOptions::default())?;
    rt.block_on(fill(&spool, p.messages, p.size));
    let stats = spool.stats();
    rt.block_on(spool.close());
    let mut s = Section::new(
        "recovery",
        format!(
            "Spool::open of {} live {} B messages ({} segments, {:.2} GB)",
            stats.live_messages,
            p.size,
            stats.segments,
            stats.disk_bytes as f64 / 1e9
        ),
    );
    reopen_figures(&mut s, dir.path(), p.drop_caches)?;
    Ok(s)
}

/// The cold (or "page cache kept") and warm reopen figures of the spool at `dir`.
pub fn reopen_figures(s: &mut Section, dir: &Path, cold: bool) -> anyhow::Result<()> {
    let cold = cold && drop_caches();
    let (n, took) = reopen(dir)?;
    let label = if cold {
        "cold cache"
    } else {
        "page cache not dropped"
    };
    let name = format!("recovery of {n} messages, {label}");
    let mut fig = Figure::new(name, took.as_secs_f64(), "s");
    if n >= 1_000_000 {
        fig = fig.goal(Goal::AtMost(10.0));
    }
    s.push(fig);
    let (n, took) = reopen(dir)?;
    s.push(Figure::new(
        format!("recovery of {n} messages, warm cache"),
        took.as_secs_f64(),
        "s",
    ));
    Ok(())
}

/// Resident bytes per queued recipient in a `QueueIndex` of `n` over 1,000 domains.
pub fn queue_memory(n: usize) -> anyhow::Result<Section> {
    let rss0 = rss_bytes();
    let mut qi = QueueIndex::new();
    let mut env = envelope(0);
    for i in 0..n {
        use std::fmt::Write;
        env.recipients[0].address.clear();
        let _ = write!(env.recipients[0].address, "user{i}@d{}.example", i % 1000);
        qi.insert(MessageId(i as u64 + 1), &env, 1_764_000_000);
    }
    let rss = rss_bytes().saturating_sub(rss0);
    let mut s = Section::new(
        "queue",
        format!(
            "QueueIndex of {} single-recipient messages in {} queues",
            qi.recipients(),
            qi.summaries().count()
        ),
    );
    s.push(Figure::new(
        "memory per queued recipient (RSS delta)",
        rss as f64 / n as f64,
        "bytes",
    ));
    s.push(Figure::new(
        "memory per queued recipient (by capacity)",
        qi.heap_bytes() as f64 / n as f64,
        "bytes",
    ));
    Ok(s)
}
