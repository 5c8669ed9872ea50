//! Configuration benchmark: parse + resolve a generated config of 10,000 `<domain>` blocks,
//! then resolve the queue policy of every domain. CPU time of this thread, best of N runs.

use std::fmt::Write;

use super::measure::{timed, us_per};
use super::{Figure, Goal, Scale, Section};

/// How large a config and how many runs (the best is kept).
#[derive(Clone, Debug)]
pub struct Params {
    pub domains: usize,
    pub runs: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            domains: scale.pick(10_000, 10_000, 200),
            runs: scale.pick(7, 3, 1),
        }
    }
}

/// A config shaped like a large real one: `<domain>` blocks with several directives each,
/// wildcard blocks, virtual MTAs with nested blocks, a pool, sources.
pub fn generate(domains: usize) -> String {
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

/// Best (wall, CPU) of parse+resolve and of the per-domain queue() lookups, in seconds.
fn best_of(text: &str, p: &Params) -> anyhow::Result<([f64; 2], [f64; 2])> {
    let (mut load, mut resolve) = ([f64::MAX; 2], [f64::MAX; 2]);
    for _ in 0..p.runs.max(1) {
        let (cfg, wall, cpu) = timed(|| config::load_str(text, "bench.conf"));
        let cfg = cfg?.config;
        load = [
            load[0].min(wall.as_secs_f64()),
            load[1].min(cpu.as_secs_f64()),
        ];
        let (sum, wall, cpu) = timed(|| {
            (0..p.domains)
                .map(|d| {
                    let vmta = if d % 2 == 0 {
                        "vmta3"
                    } else {
                        config::DEFAULT_VMTA
                    };
                    cfg.queue(&format!("d{d}.example"), vmta).max_smtp_out
                })
                .sum::<u64>()
        });
        anyhow::ensure!(sum > 0, "queue() resolved no connection limits");
        resolve = [
            resolve[0].min(wall.as_secs_f64()),
            resolve[1].min(cpu.as_secs_f64()),
        ];
    }
    Ok((load, resolve))
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let text = generate(p.domains);
    let (load, resolve) = best_of(&text, p)?;
    let mut s = Section::new(
        "config",
        format!(
            "{} domains ({} lines, {} KiB), best of {}; CPU of this thread",
            p.domains,
            text.lines().count(),
            text.len() / 1024,
            p.runs
        ),
    );
    let n = p.domains;
    s.push(
        Figure::new(
            format!("parse+resolve {n} domains, CPU"),
            load[1] * 1e3,
            "ms",
        )
        .goal(Goal::AtMost(100.0)),
    );
    s.push(Figure::new(
        format!("parse+resolve {n} domains, wall"),
        load[0] * 1e3,
        "ms",
    ));
    s.push(Figure::new(
        "Config::queue() per domain, CPU",
        us_per(std::time::Duration::from_secs_f64(resolve[1]), n),
        "µs",
    ));
    Ok(s)
}
