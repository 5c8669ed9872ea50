//! Control-plane benchmark against the real daemon: pmtad with N domains queued, timed
//! through the pmtactl binary (process start, connect, handshake, RPC, JSON output: the
//! wall time an operator or a monitoring script sees).
//!
//! Every queue is paused before the mail arrives (a `*/*` pause rule), so nothing is
//! delivered and no DNS query leaves the machine: the name server is a closed local port.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::measure::Samples;
use super::{Figure, Goal, Scale, Section, workspace_bin};
use crate::daemon::Pmtad;
use crate::inject::{Message, Session};

#[derive(Clone, Debug)]
pub struct Params {
    pub domains: usize,
    /// pmtactl runs per command (the median is reported).
    pub runs: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            domains: scale.pick(10_000, 10_000, 100),
            runs: scale.pick(30, 10, 2),
        }
    }
}

const RCPTS_PER_MSG: usize = 100;
const SESSIONS: usize = 8;
/// Issue 5: with 10,000 domains queued, `show domains --json` and `domain detail` within
/// 20 ms wall (release build).
const GOAL_MS: f64 = 20.0;

const CONFIG: &str = "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
                      log-file log/pmtad.log\nname-server 127.0.0.1:9\n\
                      <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n";

/// One pmtactl process, stdout to a pipe; its wall time and output size.
fn ctl(pmtactl: &Path, socket: &Path, args: &[&str]) -> anyhow::Result<(Duration, usize)> {
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
    Ok((took, out.stdout.len()))
}

/// Queues one recipient in each of `domains` domains over `SESSIONS` parallel sessions.
pub async fn fill(addr: SocketAddr, domains: usize) -> anyhow::Result<()> {
    let msgs: Vec<Vec<String>> = (0..domains)
        .collect::<Vec<_>>()
        .chunks(RCPTS_PER_MSG)
        .map(|c| c.iter().map(|i| format!("user@d{i}.bench.test")).collect())
        .collect();
    let mut tasks = Vec::new();
    for s in 0..SESSIONS {
        let mine: Vec<Vec<String>> = msgs.iter().skip(s).step_by(SESSIONS).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let mut session = Session::connect(addr).await?;
            for (n, rcpts) in mine.iter().enumerate() {
                let r: Vec<&str> = rcpts.iter().map(String::as_str).collect();
                let reply = session
                    .send(&Message::sized("b@src.test", &r, 2000, n as u64))
                    .await?;
                anyhow::ensure!(reply.code == 250, "refused: {} {}", reply.code, reply.text);
            }
            session.quit().await?;
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// The commands timed: (label, argv, held to the 20 ms goal).
fn cases(domain: &str) -> [(&'static str, Vec<String>, bool); 5] {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    [
        (
            "show domains --json (20 rows)",
            v(&["--json", "show", "domains"]),
            true,
        ),
        (
            "show domains --json --maxitems=0 (all)",
            v(&["--json", "show", "domains", "--maxitems=0"]),
            true,
        ),
        (
            "show topdomains --json",
            v(&["--json", "show", "topdomains"]),
            false,
        ),
        (
            "domain detail --json",
            v(&["--json", "domain", "detail", domain]),
            true,
        ),
        (
            "show status --json",
            v(&["--json", "show", "status"]),
            false,
        ),
    ]
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let dir = tempfile::tempdir()?;
    let pmtad = Pmtad::start_with(&workspace_bin("pmtad"), dir.path(), CONFIG)?;
    let pmtactl = workspace_bin("pmtactl");
    let socket = pmtad.socket();
    ctl(&pmtactl, &socket, &["pause", "queue", "*/*"])?;
    let rt = tokio::runtime::Runtime::new()?;
    let t = Instant::now();
    rt.block_on(fill(pmtad.smtp_addr(), p.domains))?;
    let mut s = Section::new(
        "control",
        format!(
            "pmtad with {} domains queued (injected in {:.1} s, queues paused); median of {} \
             pmtactl processes per command, stdout to a pipe",
            p.domains,
            t.elapsed().as_secs_f64(),
            p.runs
        ),
    );
    let domain = format!("d{}.bench.test", p.domains / 2);
    for (label, argv, held) in cases(&domain) {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let times = (0..p.runs.max(1))
            .map(|_| ctl(&pmtactl, &socket, &argv).map(|r| r.0))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut fig = Figure::new(
            format!("pmtactl {label}, median"),
            Samples::new(times).ms(0.5),
            "ms",
        );
        if held && p.domains >= 10_000 {
            fig = fig.goal(Goal::AtMost(GOAL_MS));
        }
        s.push(fig);
    }
    Ok(s)
}
