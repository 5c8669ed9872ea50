//! Benchmark (not a test): parse + resolve a generated 10,000-domain config, then resolve
//! the queue policy of every domain. Prints milliseconds.
//!
//! `cargo run --release -p pmta-config --example bench-config [DOMAINS]`
use std::fmt::Write;
use std::time::Instant;

/// A config shaped like a large real one: `<domain>` blocks with several directives each,
/// wildcard blocks, virtual MTAs with nested blocks, a pool, sources.
fn generate(domains: usize) -> String {
    let mut t = String::with_capacity(domains * 200);
    t.push_str("host-name mta.example.test\nsmtp-listener 127.0.0.1:2525\n");
    t.push_str(
        "<source 127.0.0.1>\nalways-allow-relaying yes\nprocess-x-virtual-mta yes\n</source>\n",
    );
    t.push_str(
        "<domain *>\nmax-smtp-out 20\nretry-after 10m,30m,1h\nbounce-after 4d12h\n</domain>\n",
    );
    for v in 0..20 {
        let _ = write!(
            t,
            "<virtual-mta vmta{v}>\nsmtp-source-host 192.0.2.{v} out{v}.example.test\n"
        );
        let _ = write!(
            t,
            "<domain gmail.com>\nmax-msg-rate {}/h\n</domain>\n</virtual-mta>\n",
            100 + v
        );
    }
    t.push_str("<virtual-mta-pool pool>\n");
    for v in 0..20 {
        let _ = writeln!(t, "virtual-mta vmta{v}");
    }
    t.push_str("</virtual-mta-pool>\n");
    for d in 0..domains {
        let _ = write!(
            t,
            "<domain d{d}.example>  # customer {d}\n  max-smtp-out {}\n  max-msg-rate {}/h\n  \
             retry-after 5m,15m\n  tls optional\n  route mx{d}.relay.example:2525\n</domain>\n",
            1 + d % 50,
            100 + d
        );
        if d % 100 == 0 {
            let _ = write!(
                t,
                "<domain [*.]d{d}.example>\n  smtp-pipeline-depth 10\n</domain>\n"
            );
        }
    }
    t
}

/// CPU time of this thread in ns (Linux `/proc/thread-self/schedstat`), so figures do
/// not depend on how busy the shared machine is; None elsewhere.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Runs `f`, returning (wall ms, CPU ms).
fn measure(f: impl FnOnce()) -> (f64, f64) {
    let (start, cpu) = (Instant::now(), cpu_ns());
    f();
    let wall = start.elapsed().as_secs_f64() * 1e3;
    let cpu = match (cpu, cpu_ns()) {
        (Some(a), Some(b)) => (b - a) as f64 / 1e6,
        _ => wall,
    };
    (wall, cpu)
}

fn main() {
    let domains: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let text = generate(domains);
    let runs = 7;
    let (mut load, mut resolve) = ((f64::MAX, f64::MAX), (f64::MAX, f64::MAX));
    for _ in 0..runs {
        let mut cfg = None;
        let l =
            measure(|| cfg = Some(config::load_str(&text, "bench.conf").expect("loads").config));
        let cfg = cfg.expect("loaded");
        let mut sum = 0u64;
        let r = measure(|| {
            for d in 0..domains {
                let vmta = if d % 2 == 0 {
                    "vmta3"
                } else {
                    config::DEFAULT_VMTA
                };
                sum += cfg.queue(&format!("d{d}.example"), vmta).max_smtp_out;
            }
        });
        assert!(sum > 0);
        load = (load.0.min(l.0), load.1.min(l.1));
        resolve = (resolve.0.min(r.0), resolve.1.min(r.1));
    }
    println!(
        "config of {domains} domains ({} lines, {} KiB), best of {runs}:\n  \
         parse+resolve (load_str): {:.1} ms CPU ({:.1} ms wall)\n  \
         queue() of all {domains} domains: {:.1} ms CPU ({:.1} ms wall), {:.2} us/queue",
        text.lines().count(),
        text.len() / 1024,
        load.1,
        load.0,
        resolve.1,
        resolve.0,
        resolve.1 * 1e3 / domains as f64,
    );
}
