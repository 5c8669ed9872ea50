//! The relay hot path under a feeder's workload (issue 12): 20 injecting sessions that open a
//! new connection per message, 2 KiB single-recipient messages for three domains, accounting
//! `records d,b,t,r`, `max-smtp-out 20`, a durable spool; three SMTP sinks on 127.0.0.2-4.
//!
//! Prints, from one run: the end-to-end rate; pmtad's CPU per message (/proc); the raw
//! ceiling, the same injector straight into a sink with no MTA in between, and the ratio of
//! the two; and, when `strace` is installed, pmtad's syscalls per message by kind (a second
//! pass with `strace -c -f -p PID` attached, so the tracing does not slow the timed pass).
//! Without strace those rows say "not measured".

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::measure::process_cpu;
use super::{Figure, Goal, Section};
use crate::daemon::Pmtad;
use crate::dns::TestDns;
use crate::inject::{Message, Session};
use crate::sink::SmtpSink;

const DOMAINS: [&str; 3] = ["one.bench", "two.bench", "three.bench"];

/// Sizes of a run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Messages of the timed pass (and of the raw-ceiling pass).
    pub messages: u64,
    /// Messages of the traced pass (0: no syscall count).
    pub traced: u64,
    pub sessions: u64,
    pub size: usize,
}

impl Params {
    pub fn at(scale: super::Scale) -> Self {
        Params {
            messages: scale.pick(20_000, 5_000, 60),
            traced: scale.pick(5_000, 2_000, 0),
            sessions: 20,
            size: 2048,
        }
    }
}

/// Syscalls counted over a traced pass: calls per kind and the messages they served.
#[derive(Clone, Debug, Default)]
pub struct Syscalls {
    pub calls: BTreeMap<String, u64>,
    pub messages: u64,
}

impl Syscalls {
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    pub fn per_msg(&self, name: &str) -> f64 {
        self.calls.get(name).copied().unwrap_or(0) as f64 / self.messages.max(1) as f64
    }

    /// Kinds by calls, most first.
    pub fn by_kind(&self) -> Vec<(&str, f64)> {
        let mut v: Vec<_> = self
            .calls
            .keys()
            .map(|k| (k.as_str(), self.per_msg(k)))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub rate: f64,
    pub cpu_ms: f64,
    pub raw_rate: f64,
    /// Spool fdatasyncs per message of the timed pass (pmtad's own counter).
    pub fsyncs: f64,
    /// `None` when strace is not installed or the run was too small to trace.
    pub syscalls: Option<Syscalls>,
    /// Why there is no syscall count.
    pub untraced: Option<String>,
}

/// Runs the workload with the pmtad binary `bin` and the raw ceiling in the same run.
pub async fn run(bin: &Path, p: &Params, extra_config: &str) -> anyhow::Result<Outcome> {
    let sinks = sinks().await?;
    let dns = dns().await?;
    let dir = tempfile::tempdir()?;
    let cfg = config(dns.addr(), sinks[0].addr().port(), extra_config);
    let pmtad = Pmtad::start_with(bin, dir.path(), &cfg)?;
    let addr = pmtad.smtp_addr();
    let counted = || sinks.iter().map(|s| s.state().accepted as u64).sum::<u64>();
    // Warm-up: DNS answers cached, outbound connections open.
    inject(addr, 200, p.sessions, p.size).await?;
    wait_for(|| counted() >= 200).await?;
    let (cpu0, start) = (process_cpu(pmtad.pid()), Instant::now());
    let fsyncs0 = spool_fsyncs(&pmtad)?;
    inject(addr, p.messages, p.sessions, p.size).await?;
    wait_for(|| counted() >= 200 + p.messages).await?;
    let wall = start.elapsed().as_secs_f64();
    let cpu = process_cpu(pmtad.pid()).saturating_sub(cpu0).as_secs_f64();
    let fsyncs = spool_fsyncs(&pmtad)?.saturating_sub(fsyncs0);
    let (syscalls, untraced) = match traced(&pmtad, p, 200 + p.messages, &counted).await? {
        Ok(s) => (Some(s), None),
        Err(why) => (None, Some(why)),
    };
    drop(pmtad);
    let raw_rate = raw_ceiling(p).await?;
    Ok(Outcome {
        rate: p.messages as f64 / wall,
        cpu_ms: cpu * 1e3 / p.messages as f64,
        raw_rate,
        fsyncs: fsyncs as f64 / p.messages as f64,
        syscalls,
        untraced,
    })
}

/// The spool's fdatasync count (`pmtactl --json show status`, `spool.fsyncs`).
fn spool_fsyncs(pmtad: &Pmtad) -> anyhow::Result<u64> {
    let out = Command::new(super::workspace_bin("pmtactl"))
        .arg("--socket")
        .arg(pmtad.socket())
        .args(["--json", "show", "status"])
        .output()?;
    anyhow::ensure!(out.status.success(), "pmtactl show status failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(v["spool"]["fsyncs"].as_u64().unwrap_or(0))
}

async fn sinks() -> anyhow::Result<Vec<SmtpSink>> {
    let first = SmtpSink::builder()
        .listen("127.0.0.2:0".parse()?)
        .count_only()
        .start()
        .await?;
    let port = first.addr().port();
    let mut sinks = vec![first];
    for i in 1..DOMAINS.len() {
        let addr: SocketAddr = format!("127.0.0.{}:{port}", i + 2).parse()?;
        sinks.push(
            SmtpSink::builder()
                .listen(addr)
                .count_only()
                .start()
                .await?,
        );
    }
    Ok(sinks)
}

async fn dns() -> anyhow::Result<TestDns> {
    let mut dns = TestDns::builder();
    for (i, d) in DOMAINS.iter().enumerate() {
        dns = dns.a(d, &format!("127.0.0.{}", i + 2));
    }
    Ok(dns.start().await?)
}

fn config(dns: SocketAddr, port: u16, extra: &str) -> String {
    format!(
        "host-name bench.test\nsmtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
         log-file log/pmtad.log\nname-server {dns}\ntotal-max-smtp-in 1000\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n\
         <domain *>\n  smtp-port {port}\n  max-smtp-out 20\n  tls no\n</domain>\n\
         <acct-file log/acct.csv>\n  records d,b,t,r\n</acct-file>\n{extra}"
    )
}

/// `total` messages over `sessions` concurrent sessions, each message on a new connection
/// (connect, EHLO, MAIL/RCPT/DATA pipelined, QUIT), as Postfix's `smtp-source -s 20` does.
async fn inject(addr: SocketAddr, total: u64, sessions: u64, size: usize) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return anyhow::Ok(());
                }
                let rcpt = format!("user{n}@{}", DOMAINS[(n % 3) as usize]);
                let mut s = Session::connect(addr).await?;
                let reply = s
                    .send(&Message::sized("bench@src.test", &[&rcpt], size, n))
                    .await?;
                anyhow::ensure!(reply.code == 250, "refused: {} {}", reply.code, reply.text);
                s.quit().await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn wait_for(done: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "mail was not delivered in time");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// The same injector straight into one sink: what the machine can do with no MTA.
async fn raw_ceiling(p: &Params) -> anyhow::Result<f64> {
    let sink = SmtpSink::builder()
        .listen("127.0.0.5:0".parse()?)
        .count_only()
        .start()
        .await?;
    inject(sink.addr(), 200, p.sessions, p.size).await?;
    let start = Instant::now();
    inject(sink.addr(), p.messages, p.sessions, p.size).await?;
    Ok(p.messages as f64 / start.elapsed().as_secs_f64())
}

/// The traced pass: `p.traced` more messages with strace attached to every pmtad thread.
/// The outer error is a failed run, the inner one why nothing was traced.
async fn traced(
    pmtad: &Pmtad,
    p: &Params,
    before: u64,
    counted: &impl Fn() -> u64,
) -> anyhow::Result<Result<Syscalls, String>> {
    if p.traced == 0 {
        return Ok(Err("not measured (smoke run)".into()));
    }
    let out = pmtad.dir.join("strace.out");
    let Some(mut strace) = Strace::attach(pmtad.pid(), &out)? else {
        return Ok(Err("not measured (strace not installed)".into()));
    };
    inject(pmtad.smtp_addr(), p.traced, p.sessions, p.size).await?;
    wait_for(|| counted() >= before + p.traced).await?;
    let calls = strace.finish()?;
    Ok(Ok(Syscalls {
        calls,
        messages: p.traced,
    }))
}

/// A running `strace -c -f -p PID`.
struct Strace {
    child: Child,
    out: PathBuf,
}

impl Strace {
    /// Attaches and waits until every thread of `pid` is traced; `None` without strace.
    fn attach(pid: u32, out: &Path) -> anyhow::Result<Option<Strace>> {
        let spawned = Command::new("strace")
            .args(["-c", "-f", "-q", "-o"])
            .arg(out)
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !all_traced(pid) {
            anyhow::ensure!(Instant::now() < deadline, "strace did not attach");
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(Some(Strace {
            child,
            out: out.to_path_buf(),
        }))
    }

    /// Detaches (SIGINT makes strace print its summary) and parses the counts.
    fn finish(&mut self) -> anyhow::Result<BTreeMap<String, u64>> {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()?;
        self.child.wait()?;
        Ok(parse_strace(&std::fs::read_to_string(&self.out)?))
    }
}

/// True when every thread of `pid` has a tracer.
fn all_traced(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().all(|t| {
        std::fs::read_to_string(t.path().join("status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("TracerPid:"))
            .is_some_and(|v| v.trim() != "0")
    })
}

/// Calls per syscall from `strace -c`'s table (`% time seconds usecs/call calls [errors]
/// syscall`), without the total row.
pub fn parse_strace(text: &str) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 5 || cols[0].parse::<f64>().is_err() {
            continue;
        }
        let (Some(name), Ok(n)) = (cols.last(), cols[3].parse::<u64>()) else {
            continue;
        };
        if *name != "total" {
            calls.insert(name.to_string(), n);
        }
    }
    calls
}

/// The part: the figures of one run, with the goals.
pub fn measure(p: &Params) -> anyhow::Result<Section> {
    let bin = super::workspace_bin("pmtad");
    let rt = tokio::runtime::Runtime::new()?;
    let o = rt.block_on(run(&bin, p, ""))?;
    let mut s = Section::new("relay-conn", workload(p, &o));
    push_figures(&mut s, &o);
    Ok(s)
}

fn workload(p: &Params, o: &Outcome) -> String {
    let traced = match &o.syscalls {
        Some(s) => format!(
            "syscalls from strace -c -f over {} more messages: {}",
            s.messages,
            s.by_kind()
                .iter()
                .take(14)
                .map(|(k, n)| format!("{k} {n:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!(
            "syscalls {}",
            o.untraced.as_deref().unwrap_or("not measured")
        ),
    };
    format!(
        "{} injecting sessions, a new connection per message -> pmtad (durable spool, acct \
         d,b,t,r, max-smtp-out 20) -> 3 sinks on 127.0.0.2-4; {} messages of {} bytes, one \
         recipient each; raw ceiling: the same injector into one sink; {traced}",
        p.sessions, p.messages, p.size
    )
}

fn push_figures(s: &mut Section, o: &Outcome) {
    s.push(Figure::new(
        "relay rate, connection per message",
        o.rate,
        "msgs/s",
    ));
    s.push(Figure::new(
        "raw ceiling (injector -> sink)",
        o.raw_rate,
        "msgs/s",
    ));
    s.push(
        Figure::new("relay rate / raw ceiling", o.rate / o.raw_rate, "x").goal(Goal::AtLeast(0.8)),
    );
    s.push(Figure::new("pmtad CPU per message", o.cpu_ms, "ms").goal(Goal::AtMost(0.15)));
    s.push(
        Figure::new("fdatasync per message (timed pass)", o.fsyncs, "calls")
            .goal(Goal::AtMost(1.05)),
    );
    let Some(sc) = &o.syscalls else {
        return;
    };
    let per = sc.total() as f64 / sc.messages.max(1) as f64;
    s.push(Figure::new("pmtad syscalls per message", per, "calls").goal(Goal::AtMost(15.0)));
    s.push(Figure::new(
        "fdatasync per message (traced pass)",
        sc.per_msg("fdatasync"),
        "calls",
    ));
    for (kind, n) in sc.by_kind().into_iter().take(12) {
        s.push(Figure::new(
            format!("  syscalls per message: {kind}"),
            n,
            "calls",
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn strace_summary_is_parsed_by_kind() {
        let text = "% time     seconds  usecs/call     calls    errors syscall\n\
            ------ ----------- ----------- --------- --------- ----------------\n\
             45.00    0.001000           1      1000           futex\n\
             30.00    0.000500           2       250        12 recvfrom\n\
            ------ ----------- ----------- --------- --------- ----------------\n\
            100.00    0.001500           1      1250        12 total\n";
        let calls = super::parse_strace(text);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls["futex"], 1000);
        assert_eq!(calls["recvfrom"], 250);
    }
}
