//! Control-plane benchmark: a release pmtad with 10,000 domains queued, timed through the
//! release pmtactl binary (process start, connect, handshake, RPC, JSON output: the wall
//! time an operator or a monitoring script sees).
//!
//! Run: `cargo build --release -p pmtad -p pmtactl &&
//!       cargo run --release -p pmta-tests --example control-bench [DOMAINS] [RUNS]`
//!
//! Every queue is paused before the mail arrives (a `*/*` pause rule), so nothing is
//! delivered and no DNS query leaves the machine: the name server is a closed local port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pmta_tests::inject::{Message, Session};

const RCPTS_PER_MSG: usize = 100;
const SESSIONS: usize = 8;

fn release(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bin = target.join("release").join(name);
    assert!(
        bin.exists(),
        "{} missing: cargo build --release -p pmtad -p pmtactl",
        bin.display()
    );
    bin
}

/// Starts pmtad in `dir`; returns the child and its SMTP address once it is ready.
fn start(dir: &Path) -> (Child, std::net::SocketAddr) {
    let conf = "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
                log-file log/pmtad.log\nname-server 127.0.0.1:9\n\
                <source 127.0.0.1>\n  always-allow-relaying yes\n</source>\n";
    std::fs::write(dir.join("pmta.conf"), conf).unwrap();
    let mut child = Command::new(release("pmtad"))
        .arg("--config")
        .arg(dir.join("pmta.conf"))
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(a) = line.strip_prefix("pmtad: listening smtp ") {
            addr = Some(a.trim().parse().unwrap());
        }
        if line.trim() == "pmtad: ready" {
            break;
        }
    }
    (child, addr.expect("pmtad announced its listener"))
}

fn ctl(dir: &Path, args: &[&str]) -> (Duration, usize) {
    let t = Instant::now();
    let out = Command::new(release("pmtactl"))
        .arg("--socket")
        .arg(dir.join("control.sock"))
        .args(args)
        .output()
        .unwrap();
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, out.stdout.len())
}

/// Queues one recipient in each of `domains` domains over `SESSIONS` parallel sessions.
async fn fill(addr: std::net::SocketAddr, domains: usize) {
    let msgs: Vec<Vec<String>> = (0..domains)
        .collect::<Vec<_>>()
        .chunks(RCPTS_PER_MSG)
        .map(|c| c.iter().map(|i| format!("user@d{i}.bench.test")).collect())
        .collect();
    let mut tasks = Vec::new();
    for s in 0..SESSIONS {
        let mine: Vec<Vec<String>> = msgs.iter().skip(s).step_by(SESSIONS).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let mut session = Session::connect(addr).await.unwrap();
            for (n, rcpts) in mine.iter().enumerate() {
                let r: Vec<&str> = rcpts.iter().map(String::as_str).collect();
                let reply = session
                    .send(&Message::sized("b@src.test", &r, 2000, n as u64))
                    .await;
                assert_eq!(reply.unwrap().code, 250);
            }
            let _ = session.quit().await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

fn report(label: &str, runs: &mut [(Duration, usize)]) {
    runs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = runs[runs.len() / 2].0;
    println!(
        "{label:<40} min {:>6.1} ms  median {:>6.1} ms  max {:>6.1} ms  ({} bytes out)",
        ms(runs[0].0),
        ms(median),
        ms(runs[runs.len() - 1].0),
        runs[0].1
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let domains: usize = args.next().map_or(10_000, |a| a.parse().unwrap());
    let runs: usize = args.next().map_or(20, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path());
    ctl(dir.path(), &["pause", "queue", "*/*"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = Instant::now();
    rt.block_on(fill(addr, domains));
    println!(
        "queued {domains} domains in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cases: [(&str, &[&str]); 5] = [
        (
            "show domains --json (20 rows)",
            &["--json", "show", "domains"],
        ),
        (
            "show domains --json --maxitems=0 (all)",
            &["--json", "show", "domains", "--maxitems=0"],
        ),
        (
            "show topdomains --json (20 rows)",
            &["--json", "show", "topdomains"],
        ),
        (
            "domain detail d5000.bench.test --json",
            &["--json", "domain", "detail", "d5000.bench.test"],
        ),
        ("show status --json", &["--json", "show", "status"]),
    ];
    for (label, argv) in cases {
        let mut times: Vec<_> = (0..runs).map(|_| ctl(dir.path(), argv)).collect();
        report(label, &mut times);
    }
    let _ = child.kill();
    let _ = child.wait();
}
