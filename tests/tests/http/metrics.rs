//! `/metrics` parsed with a Prometheus text-format parser: after a run with deliveries, a
//! bounce and a deferral, its counters equal the accounting file's records.

use std::collections::HashMap;
use std::net::SocketAddr;

use openmetrics_parser::openmetrics::parse_openmetrics;
use openmetrics_parser::{MetricsExposition, OpenMetricsType, OpenMetricsValue};
use pmta_tests::sink::{Phase, SmtpSink, reply};

use super::*;

type Exposition = MetricsExposition<OpenMetricsType, OpenMetricsValue>;

/// Parses the exposition with a strict OpenMetrics parser (label values hold `{default}`,
/// which simpler line-regex parsers cannot read).
fn scrape(text: &str) -> Exposition {
    parse_openmetrics(text).unwrap_or_else(|e| panic!("not OpenMetrics ({e:?}):\n{text}"))
}

/// The samples of `family` as (value of label `label`, number).
fn samples(s: &Exposition, family: &str, label: &str) -> Vec<(String, f64)> {
    let f = s
        .families
        .get(family)
        .unwrap_or_else(|| panic!("no family {family}"));
    f.iter_samples()
        .map(|x| {
            let set = x.get_labelset().expect("labels");
            let key = set.get_label_value(label).unwrap_or_default().to_string();
            let n = match &x.value {
                OpenMetricsValue::Counter(c) => c.value.as_f64(),
                OpenMetricsValue::Gauge(n) | OpenMetricsValue::Unknown(n) => n.as_f64(),
                other => panic!("{family}: not a number: {other:?}"),
            };
            (key, n)
        })
        .collect()
}

/// Sum of `family` over every queue, and the value for `queue` alone.
fn counter(s: &Exposition, family: &str, queue: &str) -> (u64, u64) {
    let rows = samples(s, family, "queue");
    let total = rows.iter().map(|(_, n)| n).sum::<f64>() as u64;
    let one = rows
        .iter()
        .filter(|(q, _)| q == queue)
        .map(|(_, n)| n)
        .sum::<f64>() as u64;
    (total, one)
}

/// Records per type (first column) of the `log/all*.csv` accounting file (its name gets
/// a date), header lines left out.
fn records(w: &Web) -> HashMap<String, u64> {
    let text: String = std::fs::read_dir(w.dir.path().join("log"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("all"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.starts_with("type,")) {
        let kind = line.split(',').next().unwrap_or_default().to_string();
        *out.entry(kind).or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_counters_match_the_accounting_file_after_a_run() {
    let sink = SmtpSink::builder()
        .on_rcpt("hard@m.test", reply(550, "5.1.1 no such user"))
        .on_rcpt_attempt("soft@m.test", 1, reply(451, "4.3.0 try again"));
    let w = Web::start_with("127.0.0.205", &["m.test", "src.test"], sink, "").await;
    w.inject(&[
        &["ok1@m.test"],
        &["ok2@m.test", "hard@m.test"],
        &["soft@m.test"],
    ])
    .await;
    w.sink
        .wait_for_rcpts(3, WAIT)
        .await
        .expect("three delivered");
    // Everything final (the bounce's DSN too): nothing queued, nothing in flight.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = w.data("/status").await;
        if status["status"]["queue"]["smtp"]["rcp"] == 0
            && status["status"]["conn"]["smtpOut"]["cur"] == 0
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never idle: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = w.get("/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .contains("openmetrics-text")
    );
    let s = scrape(&r.body);
    let q = "m.test/{default}";
    let (delivered, m_delivered) = counter(&s, "pmtad_recipients_delivered", q);
    let (bounced, m_bounced) = counter(&s, "pmtad_recipients_bounced", q);
    let (deferred, m_deferred) = counter(&s, "pmtad_recipients_deferred", q);
    let (received, m_received) = counter(&s, "pmtad_recipients_received", q);
    assert_eq!(
        (m_received, m_delivered, m_bounced, m_deferred),
        (4, 3, 1, 1),
        "{}",
        r.body
    );

    // The accounting writer runs on its own: wait until its file caught up, then compare.
    let want = [
        ("r", received),
        ("d", delivered),
        ("b", bounced),
        ("t", deferred),
    ];
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let have = records(&w);
        let got: Vec<u64> = want
            .iter()
            .map(|(k, _)| *have.get(*k).unwrap_or(&0))
            .collect();
        if got == want.iter().map(|(_, n)| *n).collect::<Vec<_>>() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "accounting {have:?} never matched /metrics {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Per virtual MTA, the same totals; the gauges read the live state.
    let vmta: f64 = samples(&s, "pmtad_vmta_recipients_delivered", "vmta")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(vmta as u64, delivered);
    let (queued, _) = counter(&s, "pmtad_queue_recipients", q);
    assert_eq!(queued, 0);
    let fsync = s
        .families
        .get("pmtad_spool_fsync_seconds")
        .expect("the fsync histogram");
    let h = fsync.iter_samples().next().expect("one histogram");
    let OpenMetricsValue::Histogram(h) = &h.value else {
        panic!("{h:?}")
    };
    let inf = h.buckets.last().expect("buckets");
    assert!(inf.upper_bound.is_infinite(), "{h:?}");
    assert_eq!(inf.count.as_f64() as u64, h.count.unwrap_or_default());
    assert!(
        inf.count.as_f64() >= 4.0,
        "every accepted message and state change was fsynced: {h:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_top_queues_get_their_own_series() {
    let w = Web::start_with(
        "127.0.0.206",
        &["a.test", "b.test", "c.test"],
        SmtpSink::builder().on(Phase::Rcpt, reply(451, "4.3.0 later")),
        "http-metrics-top-queues 1\n",
    )
    .await;
    w.inject(&[&["1@a.test", "2@a.test"], &["3@b.test"], &["4@c.test"]])
        .await;
    let s = scrape(&w.get("/metrics").await.body);
    let queues: Vec<String> = samples(&s, "pmtad_queue_recipients", "queue")
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    assert_eq!(queues, ["a.test/{default}", "other"], "{queues:?}");
    let (all, other) = counter(&s, "pmtad_queue_recipients", "other");
    assert_eq!((all, other), (4, 2));
}

/// Reads one reply (all its lines) from the SMTP server.
async fn smtp_reply<S: tokio::io::AsyncBufRead + Unpin>(rd: &mut S) -> String {
    use tokio::io::AsyncBufReadExt;
    let mut all = String::new();
    loop {
        let mut line = String::new();
        rd.read_line(&mut line).await.unwrap();
        all.push_str(&line);
        if line.as_bytes().get(3) != Some(&b'-') {
            return all;
        }
    }
}

/// A client's STARTTLS with pmtad's listener, trusting `ca`.
async fn starttls_in(addr: SocketAddr, ca: &pmta_tests::certs::TestCa) {
    use std::sync::Arc;
    use tokio::io::{AsyncWriteExt, BufReader};
    let mut rd = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    assert!(smtp_reply(&mut rd).await.starts_with("220"));
    rd.get_mut()
        .write_all(b"EHLO client.test\r\n")
        .await
        .unwrap();
    assert!(smtp_reply(&mut rd).await.contains("STARTTLS"));
    rd.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(smtp_reply(&mut rd).await.starts_with("220"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(pmta_tests::certs::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(name, rd.into_inner())
        .await
        .expect("handshake");
    tls.write_all(b"QUIT\r\n").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshakes_are_counted_both_ways() {
    let ca = pmta_tests::certs::TestCa::new().unwrap();
    let leaf = ca.leaf(&["localhost"]).unwrap();
    let certs = tempfile::tempdir().unwrap();
    let pem = certs.path().join("server.pem");
    std::fs::write(&pem, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
    let sink_tls = pmta_tests::certs::self_signed_server(&["mx.tls.test"]).unwrap();
    let extra = format!(
        "smtp-server-tls-certificate {}\n<domain tls.test>\n  tls optional\n</domain>\n",
        pem.display()
    );
    let w = Web::start_with(
        "127.0.0.211",
        &["tls.test"],
        SmtpSink::builder().starttls(sink_tls),
        &extra,
    )
    .await;
    w.inject(&[&["a@tls.test"]]).await;
    w.wait_delivered(1).await;
    starttls_in(w.pmtad.smtp_addr(), &ca).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let s = scrape(&w.get("/metrics").await.body);
        let rows = samples(&s, "pmtad_tls_handshakes", "direction");
        let get = |d: &str| rows.iter().find(|(k, _)| k == d).map(|(_, n)| *n as u64);
        if (get("inbound"), get("outbound")) == (Some(1), Some(1)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "handshakes never counted: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_inbound_connections_are_counted_per_source_group() {
    let extra = "<source-group bulk>\n  max-smtp-in 1\n</source-group>\n\
                 <source-group idle>\n  max-smtp-in 5\n</source-group>\n\
                 <source 127.0.0.213>\n  source-group bulk\n</source>\n";
    let w = Web::start_with("127.0.0.212", &[], SmtpSink::builder(), extra).await;
    let connect = || async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.213:0".parse().unwrap()).unwrap();
        let tcp = sock.connect(w.pmtad.smtp_addr()).await.unwrap();
        let mut rd = tokio::io::BufReader::new(tcp);
        let mut line = String::new();
        tokio::io::AsyncBufReadExt::read_line(&mut rd, &mut line)
            .await
            .unwrap();
        (rd, line)
    };
    let (_held, first) = connect().await;
    assert!(first.starts_with("220 "), "{first}");
    let (_gone, second) = connect().await;
    assert!(second.starts_with("421 4.3.2 "), "{second}");
    let s = scrape(&w.get("/metrics").await.body);
    let one = |family: &str| samples(&s, family, "group");
    assert_eq!(
        one("pmtad_smtp_connections_refused"),
        [(String::new(), 1.0)]
    );
    let open = one("pmtad_source_group_connections");
    assert_eq!(
        open,
        [("bulk".to_string(), 1.0), ("idle".to_string(), 0.0)],
        "a configured group is listed before its first connection"
    );
    let refused = one("pmtad_source_group_connections_refused");
    assert_eq!(
        refused,
        [("bulk".to_string(), 1.0), ("idle".to_string(), 0.0)]
    );
}
