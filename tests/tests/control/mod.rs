//! The control plane end to end: a real pmtad, the real pmtactl binary, mail relayed to an
//! SMTP sink found through the test's own DNS server. Every verb's `--json` answer is parsed
//! and checked against what the daemon really holds; exit codes, a refused reload, pauses
//! (also across a restart), `tail logs --follow` and peer credentials are covered.

mod failure_kinds;
mod pause;
mod reload;
mod tail;
mod verbs;
mod verdict;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::{Message, Session};
pub use pmta_tests::output::{expect_code, find, json, stderr};
use pmta_tests::sink::{SinkBuilder, SmtpSink};

/// Longest wait for an event the test expects (never reached when things work).
pub const WAIT: Duration = Duration::from_secs(30);

/// One test's world: a sink on `ip`, a DNS server sending every test domain there, and a
/// pmtad in its own temporary directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub pmtad: Pmtad,
    pub sink: SmtpSink,
    /// Kept alive for the daemon's lookups.
    _dns: TestDns,
}

/// The config every control test uses; `extra` is appended (more `<domain>` blocks).
pub fn config(dns: &TestDns, port: u16, extra: &str) -> String {
    format!(
        "host-name pmtad.test\n\
         smtp-listener 127.0.0.1:0\n\
         spool spool\n\
         control-socket control.sock\n\
         log-file log/pmtad.log\n\
         name-server {dns}\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n  process-x-virtual-mta yes\n</source>\n\
         <acct-file log/acct.csv>\n  records d,b\n</acct-file>\n\
         <domain *>\n  smtp-port {port}\n  retry-after 1s\n  tls no\n</domain>\n{extra}",
        dns = dns.addr()
    )
}

impl World {
    /// A world whose domains `domains` all have `MX 10 mx.<domain>` pointing at the sink.
    pub async fn start(ip: &str, domains: &[&str]) -> World {
        Self::start_failing(ip, domains, &[]).await
    }

    /// [`World::start`] plus domains whose lookups answer SERVFAIL.
    pub async fn start_failing(ip: &str, domains: &[&str], servfail: &[&str]) -> World {
        Self::start_full(ip, domains, servfail, "").await
    }

    /// [`World::start_failing`] with `extra` appended to the config.
    pub async fn start_full(ip: &str, domains: &[&str], servfail: &[&str], extra: &str) -> World {
        Self::start_sink(SmtpSink::builder(), ip, domains, servfail, extra).await
    }

    /// [`World::start_full`] with a sink built from `sink` (reply rules), listening on `ip`.
    pub async fn start_sink(
        sink: SinkBuilder,
        ip: &str,
        domains: &[&str],
        servfail: &[&str],
        extra: &str,
    ) -> World {
        let sink = sink
            .listen(format!("{ip}:0").parse().unwrap())
            .start()
            .await
            .expect("start sink");
        let mut dns = TestDns::builder();
        for d in domains {
            let mx = format!("mx.{d}");
            dns = dns.mx(d, 10, &mx).a(&mx, ip);
        }
        for d in servfail {
            dns = dns.servfail(d);
        }
        let dns = dns.start().await.expect("start dns");
        let dir = tempfile::tempdir().unwrap();
        let text = config(&dns, sink.addr().port(), extra);
        let pmtad = Pmtad::start(dir.path(), &text).expect("start pmtad");
        World {
            dir,
            pmtad,
            sink,
            _dns: dns,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Submits one message per recipient list over one SMTP session; all must get 250.
    pub async fn inject(&self, msgs: &[&[&str]]) {
        inject_at(self.pmtad.smtp_addr(), msgs).await
    }

    /// Runs pmtactl, expecting `code`.
    pub fn ctl(&self, args: &[&str], code: i32) -> Output {
        let out = self.pmtad.pmtactl(args);
        expect_code(&out, code);
        out
    }

    /// Runs `pmtactl --json ARGS`, expecting success, and parses the answer.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        json(&self.ctl(&all, 0))
    }

    /// Polls `--json ARGS` until `pred` holds for the answer (state that settles
    /// asynchronously, e.g. counters after a delivery); returns that answer.
    pub async fn json_until(
        &self,
        args: &[&str],
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let v = self.json(args);
            if pred(&v) {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "never true: {v:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Recipients the sink received, sorted.
    pub fn delivered(&self) -> Vec<String> {
        delivered_at(&self.sink)
    }

    /// Waits until the sink holds `n` messages.
    pub async fn wait_delivered(&self, n: usize) {
        wait_delivered_at(&self.sink, n).await
    }
}

/// Submits one message per recipient list over one SMTP session to `smtp`; all must get
/// 250 (the HTTP tests' world shares it).
pub async fn inject_at(smtp: std::net::SocketAddr, msgs: &[&[&str]]) {
    let mut s = Session::connect(smtp).await.unwrap();
    for (n, rcpts) in msgs.iter().enumerate() {
        let m = Message::sized("sender@src.test", rcpts, 600, n as u64);
        let r = s.send(&m).await.unwrap();
        assert_eq!(r.code, 250, "{r:?}");
    }
    let _ = s.quit().await;
}

/// Recipients `sink` received, sorted.
pub fn delivered_at(sink: &SmtpSink) -> Vec<String> {
    let mut r: Vec<String> = sink
        .messages()
        .iter()
        .flat_map(|m| m.rcpts.clone())
        .collect();
    r.sort();
    r
}

/// Waits until `sink` holds `n` messages.
pub async fn wait_delivered_at(sink: &SmtpSink, n: usize) {
    sink.wait_for_messages(n, WAIT)
        .await
        .unwrap_or_else(|_| panic!("{n} message(s) at the sink; have {:?}", delivered_at(sink)));
}

impl World {
    /// Waits until the accounting files hold `n` lines containing `needle`.
    pub async fn wait_acct(&self, needle: &str, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = self.acct_text();
            if text.matches(needle).count() >= n {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "acct:\n{text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn acct_text(&self) -> String {
        let Ok(dir) = std::fs::read_dir(self.path("log")) else {
            return String::new();
        };
        dir.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("acct"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }
}
