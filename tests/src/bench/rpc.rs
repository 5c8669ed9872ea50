//! Control-plane benchmark with a synthetic backend: `show domains` over 10,000 domains and
//! `domain detail`, through the real socket, server and client, and the whole pmtactl CLI.
//!
//! The backend returns synthetic but full-size rows, so the figures cover serialisation,
//! framing, the socket, sorting and pmtactl's JSON output, not the daemon's own cost of
//! gathering the rows (the `control` part measures that, against a real pmtad).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use pmtad::control::{Backend, ControlSocket};
use proto::*;

use super::measure::Samples;
use super::{Figure, Scale, Section, workspace_bin};

#[derive(Clone, Debug)]
pub struct Params {
    pub domains: usize,
    /// RPC round trips and pmtactl processes per figure (the median is reported).
    pub rounds: usize,
    pub cli_runs: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            domains: scale.pick(10_000, 10_000, 200),
            rounds: scale.pick(50, 20, 3),
            cli_runs: scale.pick(30, 10, 2),
        }
    }
}

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
        category: None,
        failure: Some(proto::FailureKind::Rcpt),
    }
}

fn sending() -> Verdict {
    Verdict {
        state: VerdictState::Sending,
        reason: None,
        line: "SENDING".into(),
        next_attempt: None,
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
        verdict: sending(),
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
    async fn paused(&self) -> Result<OperatorRules, ControlError> {
        Ok(OperatorRules { rules: Vec::new() })
    }
}

/// Median RPC times of `domains` (all rows) and `domain_detail`.
async fn in_process(path: &Path, rounds: usize) -> anyhow::Result<(Samples, Samples)> {
    let client = socket::connect(path).await?;
    let all = DomainsRequest {
        max_items: 0,
        ..Default::default()
    };
    let (mut list, mut detail) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        let answer = client.domains(tarpc::context::current(), all.clone()).await;
        list.push(t.elapsed());
        anyhow::ensure!(matches!(answer, Ok(Ok(_))), "domains RPC failed");
        let t = Instant::now();
        let answer = client
            .domain_detail(tarpc::context::current(), "d0.test".into())
            .await;
        detail.push(t.elapsed());
        anyhow::ensure!(matches!(answer, Ok(Ok(_))), "domain_detail RPC failed");
    }
    Ok((Samples::new(list), Samples::new(detail)))
}

/// Wall times of `rounds` pmtactl processes with stdout to /dev/null.
fn cli(bin: &Path, path: &Path, args: &[&str], rounds: usize) -> anyhow::Result<Samples> {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let status = Command::new(bin)
            .arg("--socket")
            .arg(path)
            .args(args)
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "pmtactl {args:?} failed");
        times.push(t.elapsed());
    }
    Ok(Samples::new(times))
}

fn backend(n: usize) -> Synthetic {
    Synthetic {
        domains: (0..n).map(summary).collect(),
        detail: DomainDetail {
            domain: "d0.test".into(),
            rcpts: 2000,
            kbytes: 8000,
            queues: vec![queue("vmta1"), queue("vmta2")],
            verdict: sending(),
            rollup: None,
            members: Vec::new(),
        },
    }
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("control.sock");
    let socket = rt.block_on(ControlSocket::bind(&path))?;
    rt.spawn(socket.serve(Arc::new(backend(p.domains))));
    let mut s = Section::new(
        "control-rpc",
        format!(
            "synthetic backend of {} full domain rows and a 2-queue domain detail on a real \
             socket; median of {} RPCs and of {} pmtactl processes (stdout to /dev/null)",
            p.domains, p.rounds, p.cli_runs
        ),
    );
    let (list, detail) = rt.block_on(in_process(&path, p.rounds))?;
    s.push(Figure::new(
        "RPC domains (all rows, sorted), median",
        list.ms(0.5),
        "ms",
    ));
    s.push(Figure::new(
        "RPC domain_detail, median",
        detail.ms(0.5),
        "ms",
    ));
    let bin = workspace_bin("pmtactl");
    let all = ["--json", "show", "domains", "--maxitems=0"];
    let t = cli(&bin, &path, &all, p.cli_runs)?;
    s.push(Figure::new(
        "pmtactl --json show domains --maxitems=0, median",
        t.ms(0.5),
        "ms",
    ));
    let t = cli(
        &bin,
        &path,
        &["--json", "domain", "detail", "d0.test"],
        p.cli_runs,
    )?;
    s.push(Figure::new(
        "pmtactl --json domain detail, median",
        t.ms(0.5),
        "ms",
    ));
    Ok(s)
}
