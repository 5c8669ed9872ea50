//! MX rollup cost (issue 16): what `<mx-rollup-list>` adds per recipient, and what listing
//! 10,000 rolled-up domains costs against the real daemon.
//!
//! In-process, with the shipped `config/provider-defaults.conf` list: matching one domain's
//! most-preferred MX hosts against every rollup (done once per domain queue before it
//! connects, and per message domain in a rollup queue through the resolver's cache), and
//! the intake route of one recipient (`queue-to`, then the learnt rollup) with 10,000
//! domains already learnt. Against a release pmtad: 10,000 domains whose MX is Google's,
//! one recipient each; every domain queue learns from its MX answer that it belongs to
//! `gmail.rollup` and moves its recipient there (the rollup queue is paused, so nothing
//! leaves), then pmtactl lists queues, domains and the rollup's detail with its members.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pmtad::daemon::Policies;
use pmtad::daemon::{Routes, route};

use super::measure::Samples;
use super::{Figure, Scale, Section, workspace_bin};
use crate::daemon::Pmtad;
use crate::dns::TestDns;

#[derive(Clone, Debug)]
pub struct Params {
    /// Rolled-up domains (in-process and in the daemon).
    pub domains: usize,
    /// MX-set matches and recipient routes timed in-process.
    pub lookups: usize,
    /// pmtactl runs per command (the median is reported).
    pub runs: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            domains: scale.pick(10_000, 10_000, 50),
            lookups: scale.pick(1_000_000, 200_000, 1_000),
            runs: scale.pick(20, 10, 2),
        }
    }
}

fn provider_defaults() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/provider-defaults.conf")
}

fn domain(i: usize) -> String {
    format!("d{i}.bench.test")
}

/// Most-preferred MX host sets as mail to a mixed list of domains meets them: Google,
/// Microsoft 365, Yahoo, and (a third) the domain's own hosts, which match no rollup and so
/// cost the most (every pattern is tried).
fn mx_sets(n: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| match i % 6 {
            0 | 1 => vec![
                "aspmx.l.google.com".into(),
                "alt1.aspmx.l.google.com".into(),
            ],
            2 => vec![format!("d{i}-test.mail.protection.outlook.com")],
            3 => vec![
                "mta5.am0.yahoodns.net".into(),
                "mta6.am0.yahoodns.net".into(),
            ],
            _ => vec![format!("mx1.d{i}.example"), format!("mx2.d{i}.example")],
        })
        .collect()
}

/// CPU ns per `Config::mx_rollup_for` over the mixed MX sets.
fn match_cost(cfg: &config::Config, lookups: usize) -> f64 {
    let sets = mx_sets(600);
    let refs: Vec<Vec<&str>> = sets
        .iter()
        .map(|s| s.iter().map(String::as_str).collect())
        .collect();
    best_ns(lookups, |i| {
        std::hint::black_box(cfg.mx_rollup_for(&refs[i % refs.len()], &[]));
    })
}

/// Wall ns per call of `f` over `n` calls, the best of five rounds (the loops are too
/// short for the scheduler's CPU accounting; the best round is the one least disturbed).
fn best_ns(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for i in 0..n {
            f(i);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / n.max(1) as f64);
    }
    best
}

/// CPU ns per intake route of one recipient, `domains` domains learnt as rollup members.
fn route_cost(policies: &Policies, domains: usize, lookups: usize) -> f64 {
    let mut routes = Routes::default();
    let names: Vec<String> = (0..domains).map(domain).collect();
    for d in &names {
        routes.set(d, Some("gmail.rollup"));
    }
    // First pass: each domain's policy is computed once and cached, as in the daemon.
    for d in &names {
        route(policies, &mut routes, d, "{default}");
    }
    best_ns(lookups, |i| {
        let r = route(policies, &mut routes, &names[i % names.len()], "{default}");
        std::hint::black_box(r);
    })
}

fn ctl(pmtactl: &Path, socket: &Path, args: &[&str]) -> anyhow::Result<(Duration, Vec<u8>)> {
    let t = Instant::now();
    let out = Command::new(pmtactl)
        .arg("--socket")
        .arg(socket)
        .args(args)
        .output()?;
    let took = t.elapsed();
    anyhow::ensure!(
        out.status.success(),
        "pmtactl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((took, out.stdout))
}

/// Recipients queued in `gmail.rollup/{default}`, from `show queues --json`.
fn in_rollup(pmtactl: &Path, socket: &Path) -> anyhow::Result<u64> {
    let (_, out) = ctl(
        pmtactl,
        socket,
        &["--json", "show", "queues", "--maxitems=0"],
    )?;
    let v: serde_json::Value = serde_json::from_slice(&out)?;
    let rows = v["queues"].as_array().cloned().unwrap_or_default();
    Ok(rows
        .iter()
        .filter(|q| q["domain"] == "gmail.rollup")
        .filter_map(|q| q["rcpts"].as_u64())
        .sum())
}

fn daemon_config(dns: &TestDns) -> String {
    format!(
        "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
         log-file log/pmtad.log\nname-server {}\ninclude {}\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n",
        dns.addr(),
        provider_defaults().display()
    )
}

/// The pmtactl commands timed against the daemon.
fn cases(member: &str) -> [(&'static str, Vec<String>); 4] {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    [
        (
            "show queues --json --maxitems=0",
            v(&["--json", "show", "queues", "--maxitems=0"]),
        ),
        (
            "show domains --json --maxitems=0",
            v(&["--json", "show", "domains", "--maxitems=0"]),
        ),
        (
            "domain detail gmail.rollup --json (its members listed)",
            v(&["--json", "domain", "detail", "gmail.rollup"]),
        ),
        (
            "domain detail MEMBER --json (names its rollup)",
            v(&["--json", "domain", "detail", member]),
        ),
    ]
}

/// Injects one recipient per domain and waits until every one sits in the rollup queue;
/// the wall time of the whole (injection, MX lookups, moves).
fn fill_rollup(
    rt: &tokio::runtime::Runtime,
    pmtad: &Pmtad,
    pmtactl: &Path,
    domains: usize,
) -> anyhow::Result<Duration> {
    let t = Instant::now();
    rt.block_on(super::control::fill(pmtad.smtp_addr(), domains))?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while in_rollup(pmtactl, &pmtad.socket())? < domains as u64 {
        anyhow::ensure!(Instant::now() < deadline, "domains never all rolled up");
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(t.elapsed())
}

fn daemon_figures(p: &Params, s: &mut Section) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let mut b = TestDns::builder().a("aspmx.l.google.com", "127.0.0.1");
    for i in 0..p.domains {
        b = b.mx(&domain(i), 10, "aspmx.l.google.com");
    }
    let dns = rt.block_on(b.start())?;
    let dir = tempfile::tempdir()?;
    let pmtad = Pmtad::start_with(&workspace_bin("pmtad"), dir.path(), &daemon_config(&dns))?;
    let pmtactl = workspace_bin("pmtactl");
    let socket = pmtad.socket();
    ctl(&pmtactl, &socket, &["pause", "queue", "gmail.rollup/*"])?;
    let took = fill_rollup(&rt, &pmtad, &pmtactl, p.domains)?;
    s.push(Figure::new(
        format!("{} domains injected and rolled up (wall)", p.domains),
        took.as_secs_f64(),
        "s",
    ));
    let rows = |verb: &str, key: &str| -> anyhow::Result<usize> {
        let (_, out) = ctl(&pmtactl, &socket, &["--json", "show", verb, "--maxitems=0"])?;
        let v: serde_json::Value = serde_json::from_slice(&out)?;
        Ok(v[key].as_array().map_or(0, Vec::len))
    };
    s.workload.push_str(&format!(
        "; listings: {} queue rows, {} domain rows",
        rows("queues", "queues")?,
        rows("domains", "domains")?
    ));
    let member = domain(p.domains / 2);
    for (label, argv) in cases(&member) {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let times = (0..p.runs.max(1))
            .map(|_| ctl(&pmtactl, &socket, &argv).map(|r| r.0))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let name = format!("pmtactl {label}, median");
        s.push(Figure::new(name, Samples::new(times).ms(0.5), "ms"));
    }
    Ok(())
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let loaded = config::load(&provider_defaults())
        .map_err(|d| anyhow::anyhow!("provider-defaults.conf: {d}"))?;
    let cfg = loaded.config;
    let rollups = cfg.mx_rollups.len();
    let policies = Policies::new(cfg.clone())?;
    let mut s = Section::new(
        "rollup",
        format!(
            "config/provider-defaults.conf ({rollups} rollups); {} MX-set matches over a mix \
             (1/3 Google, 1/6 Microsoft 365, 1/6 Yahoo, 1/3 own hosts matching none) and {} \
             intake routes over {} learnt member domains, wall ns per call, best of 5 rounds; release pmtad \
             with {} domains on Google's MX (rollup queue paused), median of {} pmtactl \
             processes per command",
            p.lookups, p.lookups, p.domains, p.domains, p.runs
        ),
    );
    s.push(Figure::new(
        "MX rollup match per domain (provider-defaults)",
        match_cost(&cfg, p.lookups),
        "ns",
    ));
    s.push(Figure::new(
        format!(
            "intake route per recipient, {} rolled-up domains",
            p.domains
        ),
        route_cost(&policies, p.domains, p.lookups),
        "ns",
    ));
    daemon_figures(p, &mut s)?;
    Ok(s)
}
