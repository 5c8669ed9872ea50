//! The HTTP management interface end to end: a real pmtad with `http-mgmt-port`, mail
//! relayed to an SMTP sink found through the test DNS server, and requests over real TCP
//! from different loopback addresses (`http-access` decides by the client's address).
//! Every endpoint is read in JSON and XML against a live queue and compared with what
//! pmtactl says; `/command` drives delivery at the sink; `/metrics` is parsed with a
//! Prometheus text parser and checked against the accounting file; the web page is loaded
//! in headless Chromium.

mod access;
mod command;
mod endpoints;
mod https;
mod idle;
mod jobs;
mod metrics;
mod page;
mod reload;

use std::net::SocketAddr;

use pmta_tests::daemon::Pmtad;
use pmta_tests::dns::TestDns;
use pmta_tests::http::{Request, Response};
use pmta_tests::inject::{Message, Session};
use pmta_tests::output::{expect_code, json};
use pmta_tests::sink::{SinkBuilder, SmtpSink};

pub use crate::control::WAIT;

/// The API key the test configs accept.
pub const KEY: &str = "test_key_0123456789_abcdefghijklmnop";

/// `http-*` lines every test config has: 127.0.0.1 is admin, .2 monitor, .3 operator,
/// .4 explicitly none; any other address matches no line.
pub fn http_config() -> String {
    format!(
        "http-mgmt-port 127.0.0.1:0\n\
         http-access 127.0.0.1 admin\n\
         http-access 127.0.0.2 monitor\n\
         http-access 127.0.0.3 operator\n\
         http-access 127.0.0.4 none\n\
         http-api-key {KEY}\n\
         <acct-file log/all.csv>\n  records d,b,t,r\n</acct-file>\n"
    )
}

/// One test's world: a sink, DNS sending each domain there, pmtad with HTTP on.
pub struct Web {
    pub dir: tempfile::TempDir,
    pub pmtad: Pmtad,
    pub sink: SmtpSink,
    pub http: SocketAddr,
    _dns: TestDns,
}

impl Web {
    pub async fn start(ip: &str, domains: &[&str]) -> Web {
        Self::start_with(ip, domains, SmtpSink::builder(), "").await
    }

    /// A world whose sink is built from `sink` and whose config also holds `extra`.
    pub async fn start_with(ip: &str, domains: &[&str], sink: SinkBuilder, extra: &str) -> Web {
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
        let dns = dns.start().await.expect("start dns");
        let dir = tempfile::tempdir().unwrap();
        let extra = format!("{}{extra}", http_config());
        let text = crate::control::config(&dns, sink.addr().port(), &extra);
        let pmtad = Pmtad::start(dir.path(), &text).expect("start pmtad");
        let http = pmtad.http.expect("pmtad announced its HTTP listener");
        Web {
            dir,
            pmtad,
            sink,
            http,
            _dns: dns,
        }
    }

    /// `GET path` from 127.0.0.1 (admin).
    pub async fn get(&self, path: &str) -> Response {
        pmta_tests::http::get(self.http, path).await
    }

    /// `GET path`, expecting 200 and a success envelope; returns `data`.
    pub async fn data(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let doc = r.json();
        assert_eq!(doc["status"], "success", "{path}: {doc}");
        doc["data"].clone()
    }

    /// `POST /command` with `command=TEXT` from `from`.
    pub async fn command(&self, from: &str, text: &str) -> Response {
        let body = format!("command={}", form_encode(text));
        Request::post_form("/command", &body)
            .from(from)
            .send(self.http)
            .await
            .expect("POST /command")
    }

    /// Runs `pmtactl --json ARGS`, expecting success.
    pub fn ctl_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.pmtad.pmtactl(&all);
        expect_code(&out, 0);
        json(&out)
    }

    /// Submits one message per recipient list; all must get 250.
    pub async fn inject(&self, msgs: &[&[&str]]) {
        crate::control::inject_at(self.pmtad.smtp_addr(), msgs).await
    }

    /// Recipients the sink received, sorted.
    pub fn delivered(&self) -> Vec<String> {
        crate::control::delivered_at(&self.sink)
    }

    pub async fn wait_delivered(&self, n: usize) {
        crate::control::wait_delivered_at(&self.sink, n).await
    }
}

/// `application/x-www-form-urlencoded` of one value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
