//! The acceptance world: spec.md §1's example configuration with its addresses mapped to
//! loopback, a real pmtad on it in a temporary directory, an SMTP sink that is the MX of every
//! domain of the example, and the test's own DNS server.
//!
//! Address plan of test number `n` (each test has its own `n`, so nothing collides):
//! `127.0.0.n` the main sink (MX of gmail.com, yahoo.com, example.com), `127.0.1.n` the
//! `bind-to-source-ip` of the `domain-specific` virtual MTA, `127.0.R.n` (R ≥ 2) whatever else
//! the test needs (more sinks, feeders connecting from chosen addresses).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::{TestDns, TestDnsBuilder};
use pmta_tests::inject::{Message, Reply, Session};
pub use pmta_tests::output::{expect_code, find, json, stderr, stdout};
use pmta_tests::sink::{SinkBuilder, SmtpSink};

/// Longest wait for an event the test expects (never reached when things work).
pub const WAIT: Duration = Duration::from_secs(30);

/// The spec domains whose MX is the main sink.
pub const MX_DOMAINS: [&str; 3] = ["gmail.com", "yahoo.com", "example.com"];

/// The smart host of the example's `route alt4.gmail-smtp-in.l.google.com:25`.
pub const ALT4: &str = "alt4.gmail-smtp-in.l.google.com";

/// `127.0.R.n`.
pub fn ip(role: u8, n: u8) -> IpAddr {
    IpAddr::from([127, 0, role, n])
}

/// spec.md §1's example, addresses mapped to loopback and paths into the test directory,
/// after the lines every test needs (listener, spool, socket, logs, DNS, feeder relaying, the
/// sinks' port). `delivery-interval 10` becomes 1 so tests stay short.
pub fn spec_config(
    dns: SocketAddr,
    port: u16,
    vmta_ip: IpAddr,
    alt4_port: u16,
    script: &str,
) -> String {
    format!(
        "host-name pmtad.test
smtp-listener 127.0.0.1:0
spool spool
control-socket control.sock
log-file log/pmtad.log
name-server {dns}
<source 127.0.0.1>
  always-allow-relaying yes
  process-x-virtual-mta yes
</source>
<acct-file log/acct.csv>
  records d,b,t
</acct-file>
<domain *>
  smtp-port {port}
  retry-after 1s
  tls no
</domain>
# spec.md section 1 example
<virtual-mta domain-specific>
  bind-to-source-ip {vmta_ip}
  <domain example.com>
    max-smtp-out 10
  </domain>
  <domain gmail.com>
    max-smtp-out 20
    route {ALT4}:{alt4_port}
  </domain>
</virtual-mta>
<domain yahoo.com>
  max-smtp-out 2             # total connections
  max-smtp-out-per-ip 1      # per destination IP
  smtp-pipeline-depth 5      # pipelined commands
  delivery-interval 1        # seconds between connection attempts
</domain>
<domain mylocal.com>
  local yes
  mailbox-command {script} $user $from $to $domain
</domain>
<domain example.com>
  log-entries yes
  accounting-log log/acct-example.csv
</domain>
log-domain log/domains/%d.log
# end of the example
"
    )
}

/// The `mailbox-command` of `mylocal.com`: writes `from=SENDER to=RCPT domain=DOMAIN` and the
/// message to `DIR/mail/USER`; user `tempfail` fails once with EX_TEMPFAIL (75), `nouser` with
/// EX_NOUSER (67).
fn mailbox_script(dir: &std::path::Path) -> String {
    let d = dir.display();
    format!(
        "#!/bin/sh\n\
         case \"$1\" in\n\
         tempfail) if [ ! -e {d}/tempfailed ]; then touch {d}/tempfailed; exit 75; fi ;;\n\
         nouser) exit 67 ;;\n\
         esac\n\
         {{ echo \"from=$2 to=$3 domain=$4\"; cat; }} > {d}/mail/\"$1\".tmp && mv {d}/mail/\"$1\".tmp {d}/mail/\"$1\"\n"
    )
}

type SinkFn = Box<dyn Fn(SinkBuilder) -> SinkBuilder>;

/// Builds a [`World`].
pub struct Builder {
    n: u8,
    sink: SinkFn,
    /// More addresses (same port) the main sink listens on.
    more_ips: Vec<IpAddr>,
    dns: Box<dyn FnOnce(TestDnsBuilder) -> TestDnsBuilder>,
    alt4: Option<SocketAddr>,
    edits: Vec<(String, String)>,
    extra: String,
}

/// A running pmtad on the spec config, its sink and DNS server, in its own directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub pmtad: Pmtad,
    pub sink: SmtpSink,
    pub dns: TestDns,
}

impl World {
    pub fn builder(n: u8) -> Builder {
        Builder {
            n,
            sink: Box::new(|b| b),
            more_ips: Vec::new(),
            dns: Box::new(|b| b),
            alt4: None,
            edits: Vec::new(),
            extra: String::new(),
        }
    }

    /// The spec config as it is, with a plain sink.
    pub async fn start(n: u8) -> World {
        Self::builder(n).start().await
    }
}

impl Builder {
    /// Configure the main sink (replies, STARTTLS, held greetings…).
    pub fn sink(mut self, f: impl Fn(SinkBuilder) -> SinkBuilder + 'static) -> Self {
        self.sink = Box::new(f);
        self
    }

    /// The main sink also listens on `ip` (same port), and `mx.yahoo.com` has that address
    /// too.
    pub fn yahoo_mx_also(mut self, ip: IpAddr) -> Self {
        self.more_ips.push(ip);
        self
    }

    /// More DNS records.
    pub fn dns(mut self, f: impl FnOnce(TestDnsBuilder) -> TestDnsBuilder + 'static) -> Self {
        self.dns = Box::new(f);
        self
    }

    /// Where `alt4.gmail-smtp-in.l.google.com` (the example's route) points; default: the
    /// main sink.
    pub fn alt4(mut self, addr: SocketAddr) -> Self {
        self.alt4 = Some(addr);
        self
    }

    /// Replace text of the spec config (e.g. a line of the example).
    pub fn edit(mut self, from: &str, to: &str) -> Self {
        self.edits.push((from.into(), to.into()));
        self
    }

    /// Append config text after the example.
    pub fn extra(mut self, text: &str) -> Self {
        self.extra.push_str(text);
        self
    }

    pub async fn start(self) -> World {
        let n = self.n;
        let sink = start_sink(ip(0, n), &self.more_ips, &self.sink).await;
        let port = sink.addr().port();
        let alt4 = self.alt4.unwrap_or(sink.addr());
        let mut dns = TestDns::builder().addr(ALT4, alt4.ip());
        for d in MX_DOMAINS {
            let mx = format!("mx.{d}");
            dns = dns.mx(d, 10, &mx).addr(&mx, ip(0, n));
        }
        for extra in &self.more_ips {
            dns = dns.addr("mx.yahoo.com", *extra);
        }
        let dns = (self.dns)(dns).start().await.expect("start dns");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("deliver.sh");
        std::fs::write(&script, mailbox_script(dir.path())).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(dir.path().join("mail")).unwrap();
        let mut text = spec_config(
            dns.addr(),
            port,
            ip(1, n),
            alt4.port(),
            &script.display().to_string(),
        );
        for (from, to) in &self.edits {
            assert!(text.contains(from.as_str()), "no {from:?} in the config");
            text = text.replace(from.as_str(), to);
        }
        text.push_str(&self.extra);
        let pmtad = Pmtad::start(dir.path(), &text).expect("start pmtad");
        World {
            dir,
            pmtad,
            sink,
            dns,
        }
    }
}

/// A sink on `main:0` and on the same port of `more`; retries when that port is taken there.
async fn start_sink(main: IpAddr, more: &[IpAddr], f: &SinkFn) -> SmtpSink {
    for _ in 0..10 {
        let probe = std::net::TcpListener::bind(SocketAddr::new(main, 0)).unwrap();
        let port = if more.is_empty() {
            0
        } else {
            probe.local_addr().unwrap().port()
        };
        drop(probe);
        let mut b = f(SmtpSink::builder()).listen(SocketAddr::new(main, port));
        for ip in more {
            b = b.listen(SocketAddr::new(*ip, port));
        }
        if let Ok(sink) = b.start().await {
            return sink;
        }
    }
    panic!("no free port for the sink on {main} and {more:?}");
}

/// Another sink on `ip`, on `port` (0 = any).
pub async fn sink_at(ip: IpAddr, port: u16, b: SinkBuilder) -> SmtpSink {
    b.listen(SocketAddr::new(ip, port))
        .start()
        .await
        .unwrap_or_else(|e| panic!("sink on {ip}:{port}: {e}"))
}

/// A small message from `from` to `rcpts`.
pub fn msg(from: &str, rcpts: &[&str], n: u64) -> Message {
    Message::sized(from, rcpts, 600, n)
}

/// [`msg`] with an extra header line first (`X-Virtual-MTA: domain-specific`).
pub fn msg_with(header: &str, from: &str, rcpts: &[&str], n: u64) -> Message {
    let mut m = msg(from, rcpts, n);
    m.data = [format!("{header}\r\n").as_bytes(), &m.data].concat();
    m
}

/// One message per recipient, from `s@src.test`.
pub fn each(rcpts: &[&str]) -> Vec<Message> {
    rcpts
        .iter()
        .enumerate()
        .map(|(i, r)| msg("s@src.test", &[r], i as u64))
        .collect()
}

impl World {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Submits messages over one session from 127.0.0.1; returns each final reply.
    pub async fn inject(&self, msgs: &[Message]) -> Vec<Reply> {
        let s = Session::connect(self.pmtad.smtp_addr())
            .await
            .expect("connect");
        send_all(s, msgs).await
    }

    /// [`World::inject`] from a chosen local address.
    pub async fn inject_from(&self, from: IpAddr, msgs: &[Message]) -> Vec<Reply> {
        let s = Session::connect_from(self.pmtad.smtp_addr(), from)
            .await
            .expect("connect");
        send_all(s, msgs).await
    }

    /// [`World::inject`], every message must get 250.
    pub async fn inject_ok(&self, msgs: &[Message]) {
        let replies = self.inject(msgs).await;
        assert!(replies.iter().all(|r| r.code == 250), "{replies:?}");
    }

    /// Recipients the main sink accepted, sorted.
    pub fn delivered(&self) -> Vec<String> {
        rcpts_of(&self.sink)
    }

    /// Waits until the main sink accepted `n` messages.
    pub async fn wait_delivered(&self, n: usize) -> Vec<pmta_tests::Received> {
        self.sink
            .wait_for_messages(n, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{n} message(s) at the sink: {e}"))
    }

    /// Runs pmtactl, expecting exit status `code`.
    pub fn ctl(&self, args: &[&str], code: i32) -> Output {
        let out = self.pmtad.pmtactl(args);
        expect_code(&out, code);
        out
    }

    /// `pmtactl --json ARGS`, expecting success; the parsed answer.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        json(&self.ctl(&all, 0))
    }

    /// Polls `--json ARGS` until `pred` holds; returns that answer.
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

    /// Waits until `pred` holds on the rows of the accounting CSV `rel`; returns them.
    pub async fn wait_csv(
        &self,
        rel: &str,
        pred: impl Fn(&[HashMap<String, String>]) -> bool,
    ) -> Vec<HashMap<String, String>> {
        let path = self.path(rel);
        wait_for(|| {
            let rows = read_csv(&path);
            pred(&rows).then_some(rows)
        })
        .await
    }

    /// Waits until the text file `rel` satisfies `pred`; returns its text.
    pub async fn wait_text(&self, rel: &str, pred: impl Fn(&str) -> bool) -> String {
        let path = self.path(rel);
        wait_for(|| {
            let text = std::fs::read_to_string(&path).ok()?;
            pred(&text).then_some(text)
        })
        .await
    }

    /// The main accounting file's rows.
    pub async fn wait_acct(
        &self,
        pred: impl Fn(&[HashMap<String, String>]) -> bool,
    ) -> Vec<HashMap<String, String>> {
        self.wait_csv("log/acct.csv", pred).await
    }
}

async fn send_all(mut s: Session, msgs: &[Message]) -> Vec<Reply> {
    let mut out = Vec::new();
    for m in msgs {
        out.push(s.send(m).await.expect("send"));
    }
    let _ = s.quit().await;
    out
}

/// Recipients a sink accepted, sorted.
pub fn rcpts_of(sink: &SmtpSink) -> Vec<String> {
    let mut r: Vec<String> = sink
        .messages()
        .iter()
        .flat_map(|m| m.rcpts.clone())
        .collect();
    r.sort();
    r
}

/// Rows of the accounting file configured as `path`: like PowerMTA, pmtad writes
/// `STEM-YYYY-MM-DD-NNNN.EXT` beside it, so every such file is read, oldest first.
fn read_csv(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    acct_files(path)
        .iter()
        .flat_map(|f| read_one_csv(f))
        .collect()
}

/// The dated files of accounting file `path` (and `path` itself, if it exists), sorted.
pub fn acct_files(path: &std::path::Path) -> Vec<PathBuf> {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()));
    let prefix = format!("{stem}-");
    let dir = path.parent().expect("a directory");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        f == path
            || name.strip_prefix(&prefix).is_some_and(|rest| {
                rest.len() >= 10
                    && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                    && rest.as_bytes()[4] == b'-'
                    && ext.as_deref().is_none_or(|e| rest.ends_with(e))
            })
    });
    files.sort();
    files
}

fn read_one_csv(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let Ok(mut rd) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let Ok(headers) = rd.headers().cloned() else {
        return Vec::new();
    };
    rd.records()
        .map_while(Result::ok)
        .map(|rec| {
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Polls a condition on what the daemon writes (files flushed by writer tasks) until it
/// yields a value.
pub async fn wait_for<T>(f: impl Fn() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `held_back` kinds of a `domain detail` queue entry.
pub fn held_kinds(queue: &serde_json::Value) -> Vec<String> {
    queue["held_back"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| h["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The 1-based line of the config file holding `needle` (first occurrence), for origins.
pub fn config_line(w: &World, needle: &str) -> usize {
    let text = std::fs::read_to_string(&w.pmtad.config).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the config"))
        + 1
}
