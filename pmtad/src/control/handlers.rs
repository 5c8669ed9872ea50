//! The tarpc handlers: each one delegates to the [`Backend`] and adds only what every
//! backend would otherwise repeat (sorting and cutting listings, the long-poll deadline,
//! an audit line for changes).

use std::sync::Arc;
use std::time::{Duration, Instant};

use proto::socket::Peer;
use proto::{
    ClientHello, ConfigCheck, Control, ControlError, DeleteJobRequest, DeletePage, DeleteRequest,
    DomainDetail, DomainList, DomainsRequest, Hello, JobActionReport, JobList, JobSummary,
    ListPage, ListRequest, LogBatch, OperatorRules, PROTOCOL_VERSION, QueueActionReport, QueueList,
    QueueMode, QueueName, QueuePattern, QueueSettings, QueuesRequest, ReloadReport, Status,
    TailRequest, TestConfigRequest, VersionInfo, VmtaList, VmtasRequest, sort_and_limit,
};
use tarpc::context::Context;

use super::Backend;

/// How long before the RPC deadline a `tail_logs` poll gives up waiting, so the client gets
/// an empty batch rather than a deadline error.
pub const TAIL_DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// One connection's handler: the shared backend and who is calling.
pub(super) struct ControlServer<B> {
    backend: Arc<B>,
    peer: Peer,
}

impl<B> Clone for ControlServer<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
            peer: self.peer,
        }
    }
}

impl<B: Backend> ControlServer<B> {
    pub(super) fn new(backend: Arc<B>, peer: Peer) -> Self {
        Self { backend, peer }
    }

    /// Changes to queue state and config are logged with the caller, for the audit trail.
    fn audit(&self, what: std::fmt::Arguments<'_>) {
        tracing::info!(uid = self.peer.uid, pid = ?self.peer.pid, "control: {what}");
    }
}

/// The instant a long-poll must answer by: the client's wish, but never past the deadline
/// minus the margin.
pub(super) fn poll_until(deadline: Instant, wait_ms: u32) -> Instant {
    let now = Instant::now();
    let latest = deadline
        .checked_sub(TAIL_DEADLINE_MARGIN)
        .unwrap_or(now)
        .max(now);
    (now + Duration::from_millis(wait_ms.into())).min(latest)
}

/// `show domains`: the backend's rows sorted, cut to `max_items` and counted. Shared by the
/// control socket and the HTTP interface so both answer the same rows in the same order.
pub(crate) async fn domain_list<B: Backend>(
    backend: &B,
    req: DomainsRequest,
) -> Result<DomainList, ControlError> {
    let (sort, max_items) = (req.sort, req.max_items);
    let mut domains = backend.domains(req).await?;
    let total_matching = sort_and_limit(&mut domains, sort, max_items);
    Ok(DomainList {
        domains,
        total_matching,
    })
}

/// `show queues`, as [`domain_list`].
pub(crate) async fn queue_list<B: Backend>(
    backend: &B,
    req: QueuesRequest,
) -> Result<QueueList, ControlError> {
    let (sort, max_items) = (req.sort, req.max_items);
    let mut queues = backend.queues(req).await?;
    let total_matching = sort_and_limit(&mut queues, sort, max_items);
    Ok(QueueList {
        queues,
        total_matching,
    })
}

/// `show vmtas`, as [`domain_list`].
pub(crate) async fn vmta_list<B: Backend>(
    backend: &B,
    req: VmtasRequest,
) -> Result<VmtaList, ControlError> {
    let mut vmtas = backend.vmtas().await?;
    let total_matching = sort_and_limit(&mut vmtas, req.sort, req.max_items);
    Ok(VmtaList {
        vmtas,
        total_matching,
    })
}

impl<B: Backend> Control for ControlServer<B> {
    async fn hello(self, _: Context, client: ClientHello) -> Hello {
        if client.protocol != PROTOCOL_VERSION {
            tracing::info!(
                "control: pmtactl {} speaks protocol {}, we speak {PROTOCOL_VERSION}",
                client.client_version,
                client.protocol
            );
        }
        self.backend.hello()
    }

    async fn version(self, _: Context) -> VersionInfo {
        self.backend.version()
    }

    async fn status(self, _: Context) -> Result<Status, ControlError> {
        self.backend.status().await
    }

    async fn domains(self, _: Context, req: DomainsRequest) -> Result<DomainList, ControlError> {
        domain_list(&*self.backend, req).await
    }

    async fn domain_detail(self, _: Context, domain: String) -> Result<DomainDetail, ControlError> {
        self.backend.domain_detail(domain).await
    }

    async fn queues(self, _: Context, req: QueuesRequest) -> Result<QueueList, ControlError> {
        queue_list(&*self.backend, req).await
    }

    async fn vmtas(self, _: Context, req: VmtasRequest) -> Result<VmtaList, ControlError> {
        vmta_list(&*self.backend, req).await
    }

    async fn settings(self, _: Context, queue: QueueName) -> Result<QueueSettings, ControlError> {
        self.backend.settings(queue).await
    }

    async fn reload(self, _: Context) -> Result<ReloadReport, ControlError> {
        self.audit(format_args!("reload"));
        self.backend.reload().await
    }

    async fn test_config(
        self,
        _: Context,
        req: TestConfigRequest,
    ) -> Result<ConfigCheck, ControlError> {
        self.backend.test_config(req).await
    }

    async fn pause(
        self,
        _: Context,
        pattern: QueuePattern,
    ) -> Result<QueueActionReport, ControlError> {
        self.audit(format_args!("pause queue {pattern}"));
        self.backend.pause(pattern).await
    }

    async fn resume(
        self,
        _: Context,
        pattern: QueuePattern,
    ) -> Result<QueueActionReport, ControlError> {
        self.audit(format_args!("resume queue {pattern}"));
        self.backend.resume(pattern).await
    }

    async fn schedule(
        self,
        _: Context,
        pattern: QueuePattern,
    ) -> Result<QueueActionReport, ControlError> {
        self.audit(format_args!("schedule {pattern}"));
        self.backend.schedule(pattern).await
    }

    async fn set_mode(
        self,
        _: Context,
        pattern: QueuePattern,
        mode: QueueMode,
    ) -> Result<QueueActionReport, ControlError> {
        self.audit(format_args!("set queue --mode={} {pattern}", mode.as_str()));
        self.backend.set_mode(pattern, mode).await
    }

    async fn delete(self, _: Context, req: DeleteRequest) -> Result<DeletePage, ControlError> {
        if req.cursor == 0 {
            self.audit(format_args!("delete --queue={}", req.pattern));
        }
        self.backend.delete(req).await
    }

    async fn list(self, _: Context, req: ListRequest) -> Result<ListPage, ControlError> {
        self.backend.list(req).await
    }

    async fn tail_logs(self, ctx: Context, req: TailRequest) -> Result<LogBatch, ControlError> {
        let until = poll_until(ctx.deadline, req.wait_ms);
        self.backend.tail_logs(req, until).await
    }

    async fn paused(self, _: Context) -> Result<OperatorRules, ControlError> {
        self.backend.paused().await
    }

    async fn jobs(self, _: Context) -> Result<JobList, ControlError> {
        self.backend.jobs().await
    }

    async fn job(self, _: Context, job: String) -> Result<JobSummary, ControlError> {
        self.backend.job(job).await
    }

    async fn delete_job(
        self,
        _: Context,
        req: DeleteJobRequest,
    ) -> Result<DeletePage, ControlError> {
        if req.cursor == 0 {
            self.audit(format_args!("delete --job={}", printable(&req.job)));
        }
        self.backend.delete_job(req).await
    }

    async fn pause_job(self, _: Context, job: String) -> Result<JobActionReport, ControlError> {
        self.audit(format_args!("pause job {}", printable(&job)));
        self.backend.pause_job(job, true).await
    }

    async fn resume_job(self, _: Context, job: String) -> Result<JobActionReport, ControlError> {
        self.audit(format_args!("resume job {}", printable(&job)));
        self.backend.pause_job(job, false).await
    }

    async fn reports(
        self,
        _: Context,
        req: proto::ReportsRequest,
    ) -> Result<proto::ReportList, ControlError> {
        self.backend.reports(req).await
    }

    async fn cluster_pause(
        self,
        _: Context,
        pattern: QueuePattern,
        pause: bool,
    ) -> Result<QueueActionReport, ControlError> {
        let verb = if pause { "pause" } else { "resume" };
        self.audit(format_args!("{verb} queue {pattern} --cluster"));
        self.backend.cluster_pause(pattern, pause).await
    }

    async fn cluster(self, _: Context) -> Result<proto::ClusterStatus, ControlError> {
        self.backend.cluster().await
    }
}

/// A client-given name as a log line may show it.
fn printable(s: &str) -> String {
    crate::inbound::printable(s)
}
