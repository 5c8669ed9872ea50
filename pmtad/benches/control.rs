//! Control-plane benchmark: `show domains` over 10,000 domains and `domain detail`, through
//! the real socket, server and client; and, when a release pmtactl is built, the whole CLI.
//!
//! Command: `cargo build --release -p pmtactl && cargo bench -p pmtad --bench control`
//! (`-- N` for another domain count). The backend returns synthetic but full-size rows, so
//! the figure covers serialisation, framing, the socket, sorting, and pmtactl's JSON output;
//! not the daemon's own cost of gathering the rows.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pmtad::control::{Backend, ControlSocket};
use proto::*;

struct Synthetic {
    domains: Vec<DomainSummary>,
    detail: DomainDetail,
}

fn event(i: usize) -> Event {
    Event {
        at: time::rfc3339_from_unix(1_795_612_000 + i as u64),
        kind: EventKind::Deferred,
        vmta: "vmta1".into(),
        rcpt: Some(format!("user{i}@d{i}.test")),
        remote_host: Some(format!("mx1.d{i}.test")),
        remote_ip: Some("127.0.0.2".into()),
        diag: "421 4.7.0 Try again later, closing connection.".into(),
    }
}

fn summary(i: usize) -> DomainSummary {
    DomainSummary {
        domain: format!("d{i}.test"),
        rcpts: (i * 7 % 1000) as u64,
        kbytes: (i * 29 % 10_000) as u64,
        connections: (i % 5) as u32,
        queues: 2,
        paused_queues: 0,
        backoff_queues: u32::from(i.is_multiple_of(10)),
        oldest_age_secs: Some(i as u64),
        last_error: Some(event(i)),
    }
}

fn queue(vmta: &str) -> QueueDetail {
    let setting = |i: usize| Setting {
        name: format!("directive-{i}"),
        value: "10m".into(),
        origin: format!("/etc/pmtad/pmta.conf:{i}"),
    };
    QueueDetail {
        domain: "d0.test".into(),
        vmta: vmta.into(),
        rcpts: 1000,
        kbytes: 4000,
        oldest_age_secs: Some(3600),
        next_retry: Some(time::rfc3339_from_unix(1_795_612_600)),
        paused: false,
        mode: QueueMode::Normal,
        connections: Connections {
            active: 2,
            max_smtp_out: Some(2),
            max_smtp_out_per_ip: Some(1),
            per_ip: vec![],
        },
        held_back: vec![HoldReason {
            kind: HoldKind::ConnectionLimit,
            detail: "2 of 2".into(),
            until: None,
        }],
        destinations: Destinations {
            source: DestinationSource::Mx,
            hosts: vec![],
            resolved_at: None,
            error: None,
        },
        recent_errors: (0..10).map(event).collect(),
        recent_deliveries: (0..10).map(event).collect(),
        settings: (0..40).map(setting).collect(),
    }
}

impl Backend for Synthetic {
    fn version(&self) -> VersionInfo {
        VersionInfo {
            product: "pmtad".into(),
            daemon_version: "bench".into(),
            protocol: PROTOCOL_VERSION,
            host_name: "bench".into(),
            started_at: String::new(),
        }
    }
    async fn status(&self) -> Result<Status, ControlError> {
        Err(ControlError::Failed("not measured".into()))
    }
    async fn domains(&self, req: DomainsRequest) -> Result<Vec<DomainSummary>, ControlError> {
        Ok(self
            .domains
            .iter()
            .filter(|d| req.matches_domain(&d.domain))
            .cloned()
            .collect())
    }
    async fn domain_detail(&self, _: String) -> Result<DomainDetail, ControlError> {
        Ok(self.detail.clone())
    }
    async fn queues(&self, _: QueuesRequest) -> Result<Vec<QueueSummary>, ControlError> {
        Ok(Vec::new())
    }
    async fn vmtas(&self) -> Result<Vec<VmtaSummary>, ControlError> {
        Ok(Vec::new())
    }
    async fn settings(&self, _: QueueName) -> Result<QueueSettings, ControlError> {
        Err(ControlError::Failed("not measured".into()))
    }
    async fn reload(&self) -> Result<ReloadReport, ControlError> {
        Err(ControlError::Failed("not measured".into()))
    }
    async fn test_config(&self, _: TestConfigRequest) -> Result<ConfigCheck, ControlError> {
        Err(ControlError::Failed("not measured".into()))
    }
    async fn pause(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        Err(ControlError::NoSuchQueue(p.to_string()))
    }
    async fn resume(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        Err(ControlError::NoSuchQueue(p.to_string()))
    }
    async fn schedule(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        Err(ControlError::NoSuchQueue(p.to_string()))
    }
    async fn set_mode(
        &self,
        p: QueuePattern,
        _: QueueMode,
    ) -> Result<QueueActionReport, ControlError> {
        Err(ControlError::NoSuchQueue(p.to_string()))
    }
    async fn delete(&self, _: DeleteRequest) -> Result<DeletePage, ControlError> {
        Ok(DeletePage::default())
    }
    async fn list(&self, _: ListRequest) -> Result<ListPage, ControlError> {
        Ok(ListPage::default())
    }
    async fn tail_logs(&self, _: TailRequest, _: Instant) -> Result<LogBatch, ControlError> {
        Ok(LogBatch::default())
    }
}

/// Median and 99th percentile of a sample, in milliseconds.
fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    println!(
        "{what:<58} p50 {:>7.2} ms  p99 {:>7.2} ms  (n={})",
        ms(samples[samples.len() / 2]),
        ms(p99),
        samples.len()
    );
}

fn in_process(rt: &tokio::runtime::Runtime, path: &std::path::Path, rounds: usize) {
    rt.block_on(async {
        let client = socket::connect(path).await.expect("connect");
        let all = DomainsRequest {
            max_items: 0,
            ..Default::default()
        };
        let (mut list, mut detail) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            let answer = client.domains(tarpc::context::current(), all.clone()).await;
            list.push(t.elapsed());
            assert!(answer.expect("rpc").is_ok());
            let t = Instant::now();
            let answer = client
                .domain_detail(tarpc::context::current(), "d0.test".into())
                .await;
            detail.push(t.elapsed());
            assert!(answer.expect("rpc").is_ok());
        }
        report("RPC domains (all rows, sorted by name)", list);
        report(
            "RPC domain_detail (2 queues, 40 settings, 20 events each)",
            detail,
        );
    });
}

fn cli(bin: &PathBuf, path: &std::path::Path, args: &[&str], rounds: usize) -> Vec<Duration> {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            let status = Command::new(bin)
                .arg("--socket")
                .arg(path)
                .args(args)
                .stdout(Stdio::null())
                .status()
                .expect("run pmtactl");
            assert!(status.success(), "pmtactl {args:?} failed");
            t.elapsed()
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let backend = Synthetic {
        domains: (0..n).map(summary).collect(),
        detail: DomainDetail {
            domain: "d0.test".into(),
            rcpts: 2000,
            kbytes: 8000,
            queues: vec![queue("vmta1"), queue("vmta2")],
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    let socket = rt.block_on(ControlSocket::bind(&path)).unwrap();
    rt.spawn(socket.serve(Arc::new(backend)));
    println!("control plane, {n} domains");
    if let Ok(hold) = std::env::var("CONTROL_BENCH_HOLD") {
        // Keep serving for manual measurement (`perf`, `time`) at the printed socket.
        println!("serving on {} for {hold} s", path.display());
        std::thread::sleep(Duration::from_secs(hold.parse().unwrap_or(60)));
    }
    in_process(&rt, &path, 50);
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/pmtactl");
    if !bin.exists() {
        println!(
            "(no {}: `cargo build --release -p pmtactl` to measure the CLI)",
            bin.display()
        );
        return;
    }
    report(
        "pmtactl --json show domains --maxitems=0 (process wall)",
        cli(
            &bin,
            &path,
            &["--json", "show", "domains", "--maxitems=0"],
            30,
        ),
    );
    report(
        "pmtactl --json domain detail d0.test (process wall)",
        cli(&bin, &path, &["--json", "domain", "detail", "d0.test"], 30),
    );
    report(
        "pmtactl domain detail d0.test, plain text (process wall)",
        cli(&bin, &path, &["domain", "detail", "d0.test"], 30),
    );
}
