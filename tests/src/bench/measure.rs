//! CPU time, memory and latency helpers shared by the benchmarks (Linux /proc).
//!
//! CPU time rather than wall time is what load on a shared machine does not inflate, so
//! most figures are per-unit CPU; where /proc is missing the readers return zero.

use std::time::{Duration, Instant};

/// CPU time of the calling thread (`/proc/thread-self/schedstat`, in ns).
pub fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// User + system CPU time of a process (`/proc/PID/stat`, in clock ticks of 10 ms).
pub fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat_cpu(&stat)
}

/// User + system CPU time of this process.
pub fn self_cpu() -> Duration {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

fn stat_cpu(stat: &str) -> Duration {
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Resident set size of this process in bytes (`/proc/self/statm`).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Runs `f`, returning its result with the wall time and the calling thread's CPU time.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (start, cpu) = (Instant::now(), thread_cpu());
    let out = f();
    (out, start.elapsed(), thread_cpu().saturating_sub(cpu))
}

/// Sorted samples, for percentiles.
#[derive(Debug)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Samples(samples)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `q` quantile (0.5 median, 1.0 maximum) in milliseconds; 0 with no samples.
    pub fn ms(&self, q: f64) -> f64 {
        let Some(last) = self.0.len().checked_sub(1) else {
            return 0.0;
        };
        let i = ((self.0.len() as f64 * q) as usize).min(last);
        self.0[i].as_secs_f64() * 1e3
    }
}

/// Microseconds per unit.
pub fn us_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

/// Units per second.
pub fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}
