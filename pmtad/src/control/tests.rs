//! Component tests: the real server on a real Unix socket in a temp dir, called through the
//! real client, with a small fixed-data backend.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proto::{
    ClientHello, ConfigCheck, ControlError, DeletePage, DeleteRequest, DomainDetail, DomainSummary,
    DomainsRequest, ListPage, ListRequest, LogBatch, LogLine, OperatorRules, QueueActionReport,
    QueueMode, QueueName, QueuePattern, QueueSettings, QueueSummary, QueuesRequest, ReloadReport,
    Sort, Status, TailRequest, TestConfigRequest, VersionInfo, VmtaSummary,
};
use tarpc::context;

use super::{Backend, ControlSocket, ControlSocketError};

/// Fixed data: three domains, one log line; errors for what it does not know.
struct Fixed;

fn domain(name: &str, rcpts: u64) -> DomainSummary {
    DomainSummary {
        domain: name.into(),
        rcpts,
        kbytes: rcpts * 4,
        connections: 1,
        queues: 1,
        paused_queues: 0,
        backoff_queues: 0,
        oldest_age_secs: Some(60),
        last_error: None,
    }
}

fn unknown<T>(what: &str) -> Result<T, ControlError> {
    Err(ControlError::Failed(format!("fixture has no {what}")))
}

impl Backend for Fixed {
    fn version(&self) -> VersionInfo {
        VersionInfo {
            product: "pmtad".into(),
            daemon_version: "9.9.9".into(),
            protocol: proto::PROTOCOL_VERSION,
            host_name: "mx.test".into(),
            started_at: proto::time::rfc3339_from_unix(0),
        }
    }
    async fn status(&self) -> Result<Status, ControlError> {
        unknown("status")
    }
    async fn domains(&self, req: DomainsRequest) -> Result<Vec<DomainSummary>, ControlError> {
        let all = [
            domain("b.test", 5),
            domain("a.test", 1),
            domain("c.test", 9),
        ];
        Ok(all
            .into_iter()
            .filter(|d| req.matches_domain(&d.domain))
            .collect())
    }
    async fn domain_detail(&self, domain: String) -> Result<DomainDetail, ControlError> {
        Err(ControlError::NoSuchDomain(domain))
    }
    async fn queues(&self, _: QueuesRequest) -> Result<Vec<QueueSummary>, ControlError> {
        Ok(Vec::new())
    }
    async fn vmtas(&self) -> Result<Vec<VmtaSummary>, ControlError> {
        Ok(Vec::new())
    }
    async fn settings(&self, _: QueueName) -> Result<QueueSettings, ControlError> {
        unknown("settings")
    }
    async fn reload(&self) -> Result<ReloadReport, ControlError> {
        Err(ControlError::ConfigRejected(vec![proto::Diagnostic {
            file: "pmta.conf".into(),
            line: 3,
            column: 1,
            message: "unknown directive".into(),
        }]))
    }
    async fn test_config(&self, _: TestConfigRequest) -> Result<ConfigCheck, ControlError> {
        unknown("config")
    }
    async fn pause(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        Ok(QueueActionReport {
            pattern: p.to_string(),
            matched: 2,
            changed: 1,
            warning: None,
        })
    }
    async fn resume(&self, p: QueuePattern) -> Result<QueueActionReport, ControlError> {
        Err(ControlError::NoSuchQueue(p.to_string()))
    }
    async fn schedule(&self, _: QueuePattern) -> Result<QueueActionReport, ControlError> {
        unknown("queues")
    }
    async fn set_mode(
        &self,
        _: QueuePattern,
        _: QueueMode,
    ) -> Result<QueueActionReport, ControlError> {
        unknown("queues")
    }
    async fn delete(&self, _: DeleteRequest) -> Result<DeletePage, ControlError> {
        Ok(DeletePage::default())
    }
    async fn list(&self, _: ListRequest) -> Result<ListPage, ControlError> {
        Ok(ListPage::default())
    }
    async fn tail_logs(&self, req: TailRequest, until: Instant) -> Result<LogBatch, ControlError> {
        if req.cursor.unwrap_or(0) == 0 {
            let line = LogLine {
                seq: 0,
                at: "1970-01-01T00:00:00Z".into(),
                domain: None,
                text: "hi".into(),
            };
            return Ok(LogBatch {
                lines: vec![line],
                next_cursor: 1,
                dropped: 0,
            });
        }
        tokio::time::sleep_until(until.into()).await;
        Ok(LogBatch {
            lines: Vec::new(),
            next_cursor: 1,
            dropped: 0,
        })
    }
    async fn paused(&self) -> Result<OperatorRules, ControlError> {
        Ok(OperatorRules { rules: Vec::new() })
    }
}

/// Binds a socket in `dir` and serves the fixture on it in the background.
async fn start(dir: &Path) -> (std::path::PathBuf, tokio::task::JoinHandle<()>) {
    let path = dir.join("run/control.sock");
    let socket = ControlSocket::bind(&path).await.expect("bind");
    let task = tokio::spawn(socket.serve(Arc::new(Fixed)));
    (path, task)
}

#[tokio::test]
async fn verbs_answer_through_the_real_client_and_socket() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _task) = start(dir.path()).await;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
    let client = proto::socket::connect(&path).await.unwrap();
    let hello = client
        .hello(context::current(), ClientHello::current("t"))
        .await
        .unwrap();
    assert_eq!(hello.protocol, proto::PROTOCOL_VERSION);
    let req = DomainsRequest {
        sort: Sort::Rcpts,
        max_items: 2,
        ..Default::default()
    };
    let list = client
        .domains(context::current(), req)
        .await
        .unwrap()
        .unwrap();
    let names: Vec<_> = list.domains.iter().map(|d| d.domain.as_str()).collect();
    assert_eq!((names, list.total_matching), (vec!["c.test", "b.test"], 3));
    let paused = client
        .pause(context::current(), QueuePattern::all())
        .await
        .unwrap();
    assert_eq!(paused.unwrap().matched, 2);
}

#[tokio::test]
async fn backend_errors_travel_to_the_client_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _task) = start(dir.path()).await;
    let client = proto::socket::connect(&path).await.unwrap();
    let err = client
        .domain_detail(context::current(), "x.test".into())
        .await
        .unwrap();
    assert_eq!(err, Err(ControlError::NoSuchDomain("x.test".into())));
    let err = client
        .reload(context::current())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].to_string(),
        "pmta.conf:3:1: unknown directive"
    );
}

#[tokio::test]
async fn a_long_poll_returns_empty_before_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _task) = start(dir.path()).await;
    let client = proto::socket::connect(&path).await.unwrap();
    let mut ctx = context::current();
    ctx.deadline = Instant::now() + Duration::from_millis(600);
    let req = TailRequest {
        cursor: Some(1),
        backlog: 0,
        max_lines: 10,
        domain: None,
        wait_ms: 60_000,
    };
    let batch = client
        .tail_logs(ctx, req)
        .await
        .expect("no deadline error")
        .unwrap();
    assert!(batch.lines.is_empty());
    assert_eq!(batch.next_cursor, 1);
}

#[tokio::test]
async fn a_second_daemon_is_refused_while_the_first_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (path, task) = start(dir.path()).await;
    let second = ControlSocket::bind(&path).await.unwrap_err();
    assert!(
        matches!(second, ControlSocketError::AlreadyRunning(_)),
        "{second}"
    );
    task.abort();
    let _ = task.await;
    assert!(
        !path.exists(),
        "the socket file is removed when the service stops"
    );
}

#[tokio::test]
async fn a_stale_socket_is_replaced_but_a_regular_file_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let socket = ControlSocket::bind(&path)
        .await
        .expect("stale socket replaced");
    drop(socket);
    std::fs::write(&path, b"not a socket").unwrap();
    let err = ControlSocket::bind(&path).await.unwrap_err();
    assert!(matches!(err, ControlSocketError::NotASocket(_)), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a socket");
}

#[test]
fn the_poll_deadline_keeps_a_margin() {
    let now = Instant::now();
    let until = super::handlers::poll_until(now + Duration::from_secs(10), 60_000);
    assert!(until <= now + Duration::from_secs(10) - super::TAIL_DEADLINE_MARGIN);
    let until = super::handlers::poll_until(now + Duration::from_secs(10), 100);
    assert!(until <= Instant::now() + Duration::from_millis(100));
    let past = super::handlers::poll_until(now, 100);
    assert!(past <= Instant::now());
}
