//! SMTP client benchmark: messages per second over loopback and the client's CPU per message.
//!
//! `cargo bench -p pmtad --bench smtp_client [-- MESSAGES]` (default 20000 per scenario).
//! The sink (pmta-tests' SmtpSink in count-only mode) runs on its own runtime thread; the
//! client runs on the main thread's current-thread runtime, so that thread's CPU time
//! (/proc/thread-self/schedstat) is what the client alone spends: command formatting, reply
//! parsing, dot-stuffing, TLS, syscalls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pmta_tests::{SmtpSink, certs};
use pmtad::delivery::{ClientConfig, Destination, SmtpConnection, TlsMode};
use pmtad::outcome::Outcome;

const T: Duration = Duration::from_secs(60);

struct Scenario {
    name: &'static str,
    depth: usize,
    tls: bool,
    rcpts: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "1 rcpt, no pipelining",
        depth: 0,
        tls: false,
        rcpts: 1,
    },
    Scenario {
        name: "1 rcpt, pipelining depth 10",
        depth: 10,
        tls: false,
        rcpts: 1,
    },
    Scenario {
        name: "5 rcpts, pipelining depth 10",
        depth: 10,
        tls: false,
        rcpts: 5,
    },
    Scenario {
        name: "1 rcpt, pipelining depth 10, STARTTLS",
        depth: 10,
        tls: true,
        rcpts: 1,
    },
];

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let sink_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("sink runtime");
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let message = sample_message(2048);
    println!(
        "smtp client bench: {n} messages of {} bytes per scenario, one connection",
        message.len()
    );
    for s in SCENARIOS {
        let tls = certs::self_signed_server(&["mx.bench.test"]).expect("cert");
        let sink = sink_rt.block_on(async {
            let b = SmtpSink::builder().count_only();
            let b = if s.tls { b.starttls(tls) } else { b };
            b.start().await.expect("sink")
        });
        client_rt.block_on(run(s, &sink, &message, n));
        drop(sink);
    }
}

async fn run(s: &Scenario, sink: &SmtpSink, message: &[u8], n: usize) {
    let cfg = Arc::new(ClientConfig {
        helo_name: "bench.test".into(),
        pipeline_depth: s.depth,
        tls: if s.tls {
            TlsMode::Required
        } else {
            TlsMode::No
        },
        ..ClientConfig::default()
    });
    let dest = Destination {
        host: "mx.bench.test".into(),
        ip: sink.addr().ip(),
        port: sink.addr().port(),
    };
    let rcpts: Vec<String> = (0..s.rcpts)
        .map(|i| format!("user{i}@bench.test"))
        .collect();
    let (cpu0, t0) = (thread_cpu_ns(), Instant::now());
    let mut conn = SmtpConnection::connect(dest, cfg).await.expect("connect");
    let mut delivered = 0;
    for _ in 0..n {
        let out = conn.send("sender@bench.test", &rcpts, &[message]).await;
        delivered += out
            .iter()
            .filter(|o| matches!(o, Outcome::Delivered { .. }))
            .count();
    }
    conn.quit().await;
    let (cpu, wall) = (thread_cpu_ns() - cpu0, t0.elapsed());
    sink.wait_for_rcpts(n * s.rcpts, T)
        .await
        .expect("sink saw everything");
    assert_eq!(delivered, n * s.rcpts);
    println!(
        "{:<42} {:>8.0} msgs/s  {:>6.1} µs client CPU/msg  ({:.2} s wall)",
        s.name,
        n as f64 / wall.as_secs_f64(),
        cpu as f64 / 1000.0 / n as f64,
        wall.as_secs_f64()
    );
}

fn sample_message(size: usize) -> Vec<u8> {
    let mut m = b"From: <sender@bench.test>\r\nTo: <user0@bench.test>\r\nSubject: bench\r\n\
Message-ID: <1@bench.test>\r\n\r\n"
        .to_vec();
    let line = b"The quick brown fox jumps over the lazy dog. 0123456789 .dots.\r\n.leading\r\n";
    while m.len() + line.len() <= size {
        m.extend_from_slice(line);
    }
    m
}

/// CPU time of the calling thread in nanoseconds (first field of schedstat).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
