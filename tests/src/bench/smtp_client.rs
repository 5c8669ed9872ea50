//! SMTP client benchmark: messages per second over loopback and the client's CPU per message.
//!
//! The sink (`SmtpSink` in count-only mode) runs on its own runtime thread; the client runs
//! on the calling thread's current-thread runtime, so that thread's CPU time is what the
//! client alone spends: command formatting, reply parsing, dot-stuffing, TLS, syscalls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pmtad::delivery::{ClientConfig, Destination, SmtpConnection, TlsMode};
use pmtad::outcome::Outcome;

use super::measure::{per_sec, thread_cpu, us_per};
use super::{Figure, Section};
use crate::{SmtpSink, certs};

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
        name: "1 rcpt, depth 10, STARTTLS",
        depth: 10,
        tls: true,
        rcpts: 1,
    },
];

/// Every scenario with `n` messages over one connection.
pub fn run(n: usize) -> anyhow::Result<Section> {
    let sink_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let message = sample_message(2048);
    let mut s = Section::new(
        "smtp-client",
        format!(
            "{n} messages of {} B per scenario over one loopback connection to a count-only \
             sink; client CPU from its own thread",
            message.len()
        ),
    );
    for sc in SCENARIOS {
        let tls = certs::self_signed_server(&["mx.bench.test"])?;
        let sink = sink_rt.block_on(async {
            let b = SmtpSink::builder().count_only();
            let b = if sc.tls { b.starttls(tls) } else { b };
            b.start().await
        })?;
        let (wall, cpu) = client_rt.block_on(scenario(sc, &sink, &message, n))?;
        s.push(Figure::new(
            format!("{}: rate", sc.name),
            per_sec(n, wall),
            "msgs/s",
        ));
        s.push(Figure::new(
            format!("{}: client CPU/msg", sc.name),
            us_per(cpu, n),
            "µs",
        ));
    }
    Ok(s)
}

/// Sends `n` messages; (wall, client thread CPU).
async fn scenario(
    s: &Scenario,
    sink: &SmtpSink,
    message: &[u8],
    n: usize,
) -> anyhow::Result<(Duration, Duration)> {
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
    let (cpu0, t0) = (thread_cpu(), Instant::now());
    let mut conn = SmtpConnection::connect(dest, cfg).await?;
    let mut delivered = 0;
    for _ in 0..n {
        let out = conn.send("sender@bench.test", &rcpts, &[message]).await;
        delivered += out
            .iter()
            .filter(|o| matches!(o, Outcome::Delivered { .. }))
            .count();
    }
    conn.quit().await;
    let (cpu, wall) = (thread_cpu() - cpu0, t0.elapsed());
    sink.wait_for_rcpts(n * s.rcpts, T).await?;
    anyhow::ensure!(
        delivered == n * s.rcpts,
        "{delivered} of {} delivered",
        n * s.rcpts
    );
    Ok((wall, cpu))
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
