//! A fixed-data control backend and a server running it on a real socket in a temp dir, so
//! the real pmtactl binary can be driven against known answers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use pmtad::control::{Backend, ControlSocket};
use proto::{
    ConfigCheck, ConnectionCount, ConnectionTotals, Connections, ControlError, Counts, DaemonState,
    DeletePage, DeleteRequest, DestinationSource, Destinations, Diagnostic, DomainDetail,
    DomainSummary, DomainsRequest, Event, EventKind, Hello, HoldKind, HoldReason, InOut,
    IpConnections, ListPage, ListRequest, LogBatch, LogLine, MxHost, OperatorRule, OperatorRules,
    QueueActionReport, QueueDetail, QueueMode, QueueName, QueuePattern, QueueSettings,
    QueueSummary, QueueTotals, QueuedRcpt, QueuesRequest, ReloadReport, Setting,
    SourceGroupConnections, SpoolStatus, Status, TailRequest, TestConfigRequest, Traffic, Verdict,
    VerdictState, VersionInfo, VmtaSummary,
};
use tokio::sync::Notify;

/// Queue state the action verbs change, keyed by (domain, vmta).
type Queues = BTreeMap<(String, String), (bool, QueueMode)>;

/// Known answers; pause/resume/mode change real (in-memory) state so `show queues` sees them.
pub struct Fixture {
    queues: Mutex<Queues>,
    logs: Mutex<Vec<LogLine>>,
    logged: Notify,
    /// Recipients left for `delete` to page through.
    deletable: Mutex<u64>,
    /// Protocol `hello` answers (to test a mismatch).
    pub protocol: u32,
    pub reload_errors: Vec<Diagnostic>,
}

pub const DOMAINS: [(&str, &str, u64); 4] = [
    ("gmail.com", "{default}", 120),
    ("gmail.com", "vmta1", 30),
    ("yahoo.com", "{default}", 400),
    ("example.com", "vmta1", 7),
];

impl Fixture {
    pub fn new() -> Self {
        let queues = DOMAINS
            .iter()
            .map(|(d, v, _)| ((d.to_string(), v.to_string()), (false, QueueMode::Normal)))
            .collect();
        Self {
            queues: Mutex::new(queues),
            logs: Mutex::new((0..5).map(|i| log_line(i, "gmail.com")).collect()),
            logged: Notify::new(),
            deletable: Mutex::new(2500),
            protocol: proto::PROTOCOL_VERSION,
            reload_errors: Vec::new(),
        }
    }

    /// Appends a delivery log line and wakes pollers.
    pub fn log(&self, domain: &str) {
        let mut logs = self.logs.lock().unwrap();
        let seq = logs.len() as u64;
        logs.push(log_line(seq, domain));
        self.logged.notify_waiters();
    }

    fn queue_rows(&self) -> Vec<QueueSummary> {
        let queues = self.queues.lock().unwrap();
        DOMAINS
            .iter()
            .map(|&(d, v, n)| queue_row(d, v, n, queues[&(d.into(), v.into())]))
            .collect()
    }

    fn change(
        &self,
        p: &QueuePattern,
        f: impl Fn(&mut (bool, QueueMode)) -> bool,
    ) -> Result<QueueActionReport, ControlError> {
        let mut queues = self.queues.lock().unwrap();
        let (mut matched, mut changed) = (0, 0);
        for (_, state) in queues.iter_mut().filter(|((d, v), _)| p.matches(d, v)) {
            matched += 1;
            changed += u64::from(f(state));
        }
        if matched == 0 {
            return Err(ControlError::NoSuchQueue(p.to_string()));
        }
        Ok(QueueActionReport {
            pattern: p.to_string(),
            matched,
            changed,
            warning: None,
        })
    }

    fn batch_from(&self, from: u64, domain: Option<&str>) -> LogBatch {
        let logs = self.logs.lock().unwrap();
        let lines = logs
            .iter()
            .skip(from as usize)
            .filter(|l| domain.is_none_or(|d| l.domain.as_deref() == Some(d)))
            .cloned()
            .collect();
        LogBatch {
            lines,
            next_cursor: logs.len() as u64,
            dropped: 0,
        }
    }
}

fn log_line(seq: u64, domain: &str) -> LogLine {
    let at = proto::time::rfc3339_from_unix(1_795_612_800 + seq);
    LogLine {
        seq,
        text: format!("{at} delivered rcpt{seq}@{domain} 250 ok"),
        at,
        domain: Some(domain.into()),
    }
}

fn event(kind: EventKind, diag: &str) -> Event {
    Event {
        at: proto::time::rfc3339_from_unix(1_795_612_000),
        kind,
        vmta: "{default}".into(),
        rcpt: Some("bob@gmail.com".into()),
        remote_host: Some("mx1.gmail.com".into()),
        remote_ip: Some("127.0.0.2".into()),
        diag: diag.into(),
        category: (kind == EventKind::Bounced).then(|| "bad-mailbox".into()),
        failure: (kind != EventKind::Delivered).then_some(proto::FailureKind::Rcpt),
    }
}

/// Queues with open connections send; the daemon decides this, the fixture says it.
fn sending() -> Verdict {
    Verdict {
        state: VerdictState::Sending,
        reason: None,
        line: "SENDING".into(),
        next_attempt: None,
    }
}

fn queue_row(
    domain: &str,
    vmta: &str,
    rcpts: u64,
    (paused, mode): (bool, QueueMode),
) -> QueueSummary {
    QueueSummary {
        domain: domain.into(),
        vmta: vmta.into(),
        rcpts,
        kbytes: rcpts * 3,
        connections: 2,
        paused,
        mode,
        oldest_age_secs: Some(rcpts * 10),
        next_retry: Some("2099-01-01T00:00:00Z".into()),
        last_error: (domain == "yahoo.com")
            .then(|| event(EventKind::Deferred, "421 4.7.0 try later")),
    }
}

fn setting(name: &str, value: &str, origin: &str) -> Setting {
    Setting {
        name: name.into(),
        value: value.into(),
        origin: origin.into(),
    }
}

fn settings() -> Vec<Setting> {
    vec![
        setting("max-smtp-out", "2", "/etc/pmtad/pmta.conf:12"),
        setting("max-smtp-out-per-ip", "1", "/etc/pmtad/pmta.conf:13"),
        setting("retry-after", "10m", "default"),
    ]
}

fn queue_detail(q: &QueueSummary) -> QueueDetail {
    QueueDetail {
        domain: q.domain.clone(),
        vmta: q.vmta.clone(),
        rcpts: q.rcpts,
        kbytes: q.kbytes,
        oldest_age_secs: q.oldest_age_secs,
        next_retry: q.next_retry.clone(),
        paused: q.paused,
        mode: q.mode,
        connections: Connections {
            active: 2,
            max_smtp_out: Some(2),
            max_smtp_out_per_ip: Some(1),
            per_ip: vec![
                IpConnections {
                    ip: "127.0.0.2".into(),
                    host: "mx1.gmail.com".into(),
                    active: 1,
                },
                IpConnections {
                    ip: "127.0.0.3".into(),
                    host: "mx2.gmail.com".into(),
                    active: 1,
                },
            ],
        },
        held_back: vec![HoldReason {
            kind: HoldKind::ConnectionLimit,
            detail: "2 of 2 connections open (max-smtp-out 2)".into(),
            until: None,
        }],
        destinations: Destinations {
            source: DestinationSource::Mx,
            hosts: vec![
                MxHost {
                    preference: 5,
                    host: "mx1.gmail.com".into(),
                    port: 25,
                    addresses: vec!["127.0.0.2".into()],
                },
                MxHost {
                    preference: 10,
                    host: "mx2.gmail.com".into(),
                    port: 25,
                    addresses: vec!["127.0.0.3".into()],
                },
            ],
            resolved_at: Some(proto::time::rfc3339_from_unix(1_795_612_000)),
            error: None,
        },
        recent_errors: vec![event(EventKind::Deferred, "421 4.7.0 try later")],
        recent_deliveries: vec![event(EventKind::Delivered, "250 2.0.0 ok")],
        settings: settings(),
        verdict: sending(),
    }
}

fn domain_summary(domain: &str, rows: &[&QueueSummary]) -> DomainSummary {
    DomainSummary {
        domain: domain.into(),
        rcpts: rows.iter().map(|q| q.rcpts).sum(),
        kbytes: rows.iter().map(|q| q.kbytes).sum(),
        connections: rows.iter().map(|q| q.connections).sum(),
        queues: rows.len() as u32,
        paused_queues: rows.iter().filter(|q| q.paused).count() as u32,
        backoff_queues: rows.iter().filter(|q| q.mode == QueueMode::Backoff).count() as u32,
        oldest_age_secs: rows.iter().filter_map(|q| q.oldest_age_secs).max(),
        last_error: rows.iter().find_map(|q| q.last_error.clone()),
    }
}

fn status() -> Status {
    let counts = Counts {
        rcpts: 10,
        msgs: 5,
        kbytes: 40,
    };
    let window = InOut {
        inbound: counts,
        outbound: counts,
    };
    Status {
        host_name: "mx.test".into(),
        daemon_version: "0.1.0".into(),
        time_now: proto::time::rfc3339_from_unix(1_795_612_800),
        started_at: proto::time::rfc3339_from_unix(1_795_609_200),
        uptime_secs: 3600,
        state: DaemonState::Running,
        traffic: Traffic {
            total: window,
            last_hour: window,
            last_minute: window,
        },
        connections: ConnectionTotals {
            inbound: ConnectionCount {
                active: 1,
                top: 4,
                maximum: Some(100),
            },
            outbound: ConnectionCount {
                active: 6,
                top: 9,
                maximum: None,
            },
        },
        queues: QueueTotals {
            rcpts: 557,
            msgs: 300,
            kbytes: 1671,
            domains: 3,
            queues: 4,
            paused_queues: 0,
            backoff_queues: 0,
        },
        spool: SpoolStatus {
            path: "/var/spool/pmtad".into(),
            messages: 300,
            kbytes_used: 2000,
            kbytes_free: 900_000,
            kbytes_min_free: 0,
            intake_refused_since: None,
            recovered: true,
            ..SpoolStatus::default()
        },
        inbound_refused: 3,
        source_groups: vec![SourceGroupConnections {
            name: "feeders".into(),
            active: 1,
            top: 2,
            maximum: Some(10),
            reserved: 2,
            refused: 3,
        }],
        returnpath: proto::ReturnPathCounts {
            bounces_matched: 4,
            bounces_unmatched: 1,
            feedback_matched: 2,
            feedback_unmatched: 0,
            rejected: 1,
        },
    }
}

impl Backend for Fixture {
    fn hello(&self) -> Hello {
        Hello {
            protocol: self.protocol,
            daemon_version: "0.1.0".into(),
        }
    }
    fn version(&self) -> VersionInfo {
        VersionInfo {
            product: "pmtad".into(),
            daemon_version: "0.1.0".into(),
            protocol: proto::PROTOCOL_VERSION,
            host_name: "mx.test".into(),
            started_at: proto::time::rfc3339_from_unix(1_795_609_200),
        }
    }
    async fn status(&self) -> Result<Status, ControlError> {
        Ok(status())
    }
    async fn domains(&self, req: DomainsRequest) -> Result<Vec<DomainSummary>, ControlError> {
        let rows = self.queue_rows();
        let mut by_domain: BTreeMap<&str, Vec<&QueueSummary>> = BTreeMap::new();
        for q in rows
            .iter()
            .filter(|q| req.vmta.as_ref().is_none_or(|v| *v == q.vmta))
        {
            by_domain.entry(&q.domain).or_default().push(q);
        }
        let matching = by_domain.iter().filter(|(d, _)| req.matches_domain(d));
        Ok(matching.map(|(d, qs)| domain_summary(d, qs)).collect())
    }
    async fn domain_detail(&self, domain: String) -> Result<DomainDetail, ControlError> {
        let queues: Vec<_> = self
            .queue_rows()
            .iter()
            .filter(|q| q.domain == domain)
            .map(queue_detail)
            .collect();
        if queues.is_empty() {
            return Err(ControlError::NoSuchDomain(domain));
        }
        let (rcpts, kbytes) = (
            queues.iter().map(|q| q.rcpts).sum(),
            queues.iter().map(|q| q.kbytes).sum(),
        );
        Ok(DomainDetail {
            domain,
            rcpts,
            kbytes,
            queues,
            verdict: sending(),
            rollup: None,
            members: Vec::new(),
        })
    }
    async fn queues(&self, req: QueuesRequest) -> Result<Vec<QueueSummary>, ControlError> {
        Ok(self
            .queue_rows()
            .into_iter()
            .filter(|q| req.matches(q))
            .collect())
    }
    async fn vmtas(&self) -> Result<Vec<VmtaSummary>, ControlError> {
        let vmta = |name: &str, domains, rcpts| VmtaSummary {
            name: name.into(),
            domains,
            rcpts,
            kbytes: rcpts * 3,
            connections: 2,
            source_ip: Some("127.0.0.1".into()),
            host_name: None,
            warmup: None,
        };
        Ok(vec![vmta("{default}", 2, 520), vmta("vmta1", 2, 37)])
    }
    async fn settings(&self, queue: QueueName) -> Result<QueueSettings, ControlError> {
        Ok(QueueSettings {
            domain: queue.domain,
            vmta: queue.vmta.unwrap_or_else(|| "{default}".into()),
            vmta_settings: vec![setting(
                "bind-to-source-ip",
                "127.0.0.1",
                "/etc/pmtad/pmta.conf:3",
            )],
            queue_settings: settings(),
        })
    }
    async fn reload(&self) -> Result<ReloadReport, ControlError> {
        if !self.reload_errors.is_empty() {
            return Err(ControlError::ConfigRejected(self.reload_errors.clone()));
        }
        Ok(ReloadReport {
            config_file: "/etc/pmtad/pmta.conf".into(),
            warnings: Vec::new(),
        })
    }
    async fn test_config(&self, _: TestConfigRequest) -> Result<ConfigCheck, ControlError> {
        Ok(ConfigCheck {
            config_file: "/etc/pmtad/pmta.conf".into(),
            errors: self.reload_errors.clone(),
            warnings: Vec::new(),
        })
    }
    async fn pause(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        self.change(&p, |s| !std::mem::replace(&mut s.0, true))
    }
    async fn resume(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        self.change(&p, |s| std::mem::replace(&mut s.0, false))
    }
    async fn schedule(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        self.change(&p, |s| !s.0)
    }
    async fn set_mode(
        &self,
        p: QueuePattern,
        mode: QueueMode,
    ) -> Result<QueueActionReport, ControlError> {
        self.change(&p, |s| std::mem::replace(&mut s.1, mode) != mode)
    }
    async fn delete(&self, req: DeleteRequest) -> Result<DeletePage, ControlError> {
        let mut left = self.deletable.lock().unwrap();
        let deleted = (*left).min(u64::from(req.max_batch));
        *left -= deleted;
        let next_cursor = (*left > 0).then_some(req.cursor + 1);
        Ok(DeletePage {
            deleted,
            next_cursor,
        })
    }
    async fn list(&self, req: ListRequest) -> Result<ListPage, ControlError> {
        let total = 2500u64;
        let end = (req.cursor + u64::from(req.limit)).min(total);
        let items = (req.cursor..end).map(queued).collect();
        Ok(ListPage {
            items,
            next_cursor: (end < total).then_some(end),
        })
    }
    async fn tail_logs(&self, req: TailRequest, until: Instant) -> Result<LogBatch, ControlError> {
        let domain = req.domain.as_deref();
        let from = match req.cursor {
            Some(c) => c,
            None => {
                let len = self.logs.lock().unwrap().len() as u64;
                len.saturating_sub(u64::from(req.backlog))
            }
        };
        let notified = self.logged.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch = self.batch_from(from, domain);
        if !batch.lines.is_empty() || req.cursor.is_none() {
            return Ok(batch);
        }
        let _ = tokio::time::timeout_at(until.into(), notified).await;
        Ok(self.batch_from(from, domain))
    }

    /// One exact pause rule per paused queue.
    async fn paused(&self) -> Result<OperatorRules, ControlError> {
        let queues = self.queues.lock().unwrap();
        let rules = DOMAINS
            .iter()
            .filter(|&&(d, v, _)| queues[&(d.into(), v.into())].0)
            .map(|&(d, v, n)| OperatorRule {
                action: "pause".into(),
                pattern: format!("{d}/{v}"),
                queues: 1,
                rcpts: n,
            })
            .collect();
        Ok(OperatorRules { rules })
    }
}

fn queued(i: u64) -> QueuedRcpt {
    QueuedRcpt {
        message_id: format!("{i:016x}"),
        rcpt: format!("user{i}@gmail.com"),
        sender: "news@sender.test".into(),
        domain: "gmail.com".into(),
        vmta: "{default}".into(),
        queued_at: proto::time::rfc3339_from_unix(1_795_612_000),
        age_secs: 600,
        kbytes: 4,
        attempts: 2,
        next_retry: None,
        last_error: Some("421 4.7.0 try later".into()),
    }
}

/// The fixture served on `dir/control.sock` by a runtime of its own, so tests can block on
/// child processes while the server keeps answering.
pub struct Server {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub backend: Arc<Fixture>,
    /// Serves until the Server is dropped.
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start() -> Self {
        Self::with(Fixture::new())
    }

    pub fn with(fixture: Fixture) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("control.sock");
        let socket = runtime.block_on(ControlSocket::bind(&path)).expect("bind");
        let backend = Arc::new(fixture);
        runtime.spawn(socket.serve(Arc::clone(&backend)));
        Self {
            dir,
            path,
            backend,
            _runtime: runtime,
        }
    }

    /// pmtactl with `--socket` pointing here; stdout and stderr captured (so not a TTY).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(pmta_tests::daemon::bin("pmtactl"));
        cmd.arg("--socket")
            .arg(&self.path)
            .args(args)
            .env_remove("NO_COLOR");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run pmtactl")
    }
}
