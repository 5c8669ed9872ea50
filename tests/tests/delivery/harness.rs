//! A test world: DNS server, SMTP sinks on 127.0.0.x, a pmtad instance configured for them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::{Message, Reply, Session};
use pmta_tests::sink::SmtpSink;

pub const WAIT: Duration = Duration::from_secs(30);

/// A sink on `ip` with a free port, started from `builder`.
pub async fn sink_on(ip: &str, builder: pmta_tests::sink::SinkBuilder) -> SmtpSink {
    let addr: SocketAddr = format!("{ip}:0").parse().unwrap();
    builder.listen(addr).start().await.expect("start sink")
}

/// The intake tests' world: a sink on 127.0.0.2 that the test DNS sends each of
/// `domains` to, and pmtad on [`base_config`] with `source` added to its 127.0.0.1 source
/// (after `process-x-virtual-mta yes`) and `extra` after it. The DNS server must live as
/// long as the test, so it is handed back too.
pub async fn sink_world(domains: &[&str], source: &str, extra: &str) -> (SmtpSink, TestDns, World) {
    let sink = sink_on("127.0.0.2", SmtpSink::builder()).await;
    let mut dns = TestDns::builder();
    for d in domains {
        dns = dns.a(d, "127.0.0.2");
    }
    let dns = dns.start().await.unwrap();
    let marker = "  process-x-virtual-mta yes\n";
    let config =
        base_config(&dns, sink.addr().port()).replace(marker, &format!("{marker}{source}"));
    let world = World::start(&(config + extra));
    (sink, dns, world)
}

/// The config lines every test shares: listener, spool, logs, relaying from loopback,
/// the test DNS server, and the sinks' port for every domain.
pub fn base_config(dns: &TestDns, port: u16) -> String {
    format!(
        "host-name pmtad.test\n\
         smtp-listener 127.0.0.1:0\n\
         spool spool\n\
         control-socket control.sock\n\
         log-file log/pmtad.log\n\
         log-domain log/domains/%d.log\n\
         name-server {dns}\n\
         <source 127.0.0.1>\n  always-allow-relaying yes\n  process-x-virtual-mta yes\n</source>\n\
         <acct-file log/acct.csv>\n  records d,b,t,r\n</acct-file>\n\
         <domain *>\n  smtp-port {port}\n  retry-after 1s\n  tls no\n</domain>\n",
        dns = dns.addr()
    )
}

/// A running pmtad in its own temporary directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub pmtad: Pmtad,
}

impl World {
    pub fn start(config: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let pmtad = Pmtad::start(dir.path(), config).expect("start pmtad");
        World { dir, pmtad }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Submit messages over one SMTP session; returns each final reply.
    pub async fn inject(&self, msgs: &[Message]) -> Vec<Reply> {
        let mut s = Session::connect(self.pmtad.smtp_addr())
            .await
            .expect("connect");
        let mut out = Vec::new();
        for m in msgs {
            out.push(s.send(m).await.expect("send"));
        }
        let _ = s.quit().await;
        out
    }

    /// Every accounting record (header names -> values) of the `<acct-file log/acct.csv>`.
    pub fn acct(&self) -> Vec<std::collections::HashMap<String, String>> {
        let mut rows = Vec::new();
        let dir = self.path("log");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("acct"))
        });
        files.sort();
        for f in files {
            let mut rd = csv::Reader::from_path(&f).unwrap();
            let headers = rd.headers().unwrap().clone();
            for rec in rd.records() {
                let rec = rec.unwrap();
                rows.push(
                    headers
                        .iter()
                        .zip(rec.iter())
                        .map(|(h, v)| (h.to_string(), v.to_string()))
                        .collect(),
                );
            }
        }
        rows
    }
}

/// A small message to `rcpts` from `from`.
pub fn msg(from: &str, rcpts: &[&str], n: u64) -> Message {
    Message::sized(from, rcpts, 600, n)
}

/// The number a [`Message::sized`] message carries in its Message-ID.
pub fn message_number(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let line = text
        .lines()
        .find(|l| l.starts_with("Message-ID: <"))
        .unwrap_or("");
    line.trim_start_matches("Message-ID: <")
        .split('.')
        .next()
        .unwrap_or("")
        .parse()
        .unwrap_or(u64::MAX)
}
