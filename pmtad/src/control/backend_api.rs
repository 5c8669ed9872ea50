//! What the control service needs from the daemon: one method per verb.

use std::future::Future;
use std::time::Instant;

use proto::{
    ConfigCheck, ControlError, DeleteJobRequest, DeletePage, DeleteRequest, DomainDetail,
    DomainSummary, DomainsRequest, Hello, JobActionReport, JobList, JobSummary, ListPage,
    ListRequest, LogBatch, OperatorRules, QueueActionReport, QueueMode, QueueName, QueuePattern,
    QueueSettings, QueueSummary, QueuesRequest, ReloadReport, Status, TailRequest,
    TestConfigRequest, VersionInfo, VmtaSummary,
};

/// Result of a backend call; the error travels to pmtactl as is.
pub type BackendResult<T> = Result<T, ControlError>;

/// The daemon state behind the control verbs.
///
/// Methods return `Send` futures so the service can run on the multi-threaded runtime; an
/// implementation may simply write `async fn`. Listings (`domains`, `queues`, `vmtas`) return
/// every matching row unsorted: the service sorts, applies `max_items` and counts, so all
/// backends agree on order and totals. Work that may take long (config parsing, spool I/O)
/// should move to `spawn_blocking` inside the implementation.
pub trait Backend: Send + Sync + 'static {
    /// The handshake answer; the default is this build's protocol and pmtad version.
    fn hello(&self) -> Hello {
        Hello::current(env!("CARGO_PKG_VERSION"))
    }

    /// `version`: product, versions, host name, start time.
    fn version(&self) -> VersionInfo;

    /// `show status`.
    fn status(&self) -> impl Future<Output = BackendResult<Status>> + Send;

    /// `show domains`: every domain matching `req.names` (see `DomainsRequest::matches_domain`),
    /// counting only `req.vmta`'s queues when set.
    fn domains(
        &self,
        req: DomainsRequest,
    ) -> impl Future<Output = BackendResult<Vec<DomainSummary>>> + Send;

    /// `domain detail NAME`; `NoSuchDomain` when nothing at all is known about it.
    fn domain_detail(
        &self,
        domain: String,
    ) -> impl Future<Output = BackendResult<DomainDetail>> + Send;

    /// `show queues`: every queue passing `QueuesRequest::matches`.
    fn queues(
        &self,
        req: QueuesRequest,
    ) -> impl Future<Output = BackendResult<Vec<QueueSummary>>> + Send;

    /// `show vmtas`: every configured virtual MTA, and any other with mail queued.
    fn vmtas(&self) -> impl Future<Output = BackendResult<Vec<VmtaSummary>>> + Send;

    /// `show settings DOMAIN[/VMTA]` (`vmta: None` = the default virtual MTA).
    fn settings(
        &self,
        queue: QueueName,
    ) -> impl Future<Output = BackendResult<QueueSettings>> + Send;

    /// `reload`: parse and resolve aside, swap only with zero errors, else
    /// `ControlError::ConfigRejected` with every error. Pauses and modes survive.
    fn reload(&self) -> impl Future<Output = BackendResult<ReloadReport>> + Send;

    /// `test config`: check a file (the running config's file when `req.path` is `None`).
    fn test_config(
        &self,
        req: TestConfigRequest,
    ) -> impl Future<Output = BackendResult<ConfigCheck>> + Send;

    /// `pause queue PATTERN`: in-flight transactions finish; the pause persists.
    fn pause(
        &self,
        pattern: QueuePattern,
    ) -> impl Future<Output = BackendResult<QueueActionReport>> + Send;

    /// `resume queue PATTERN`.
    fn resume(
        &self,
        pattern: QueuePattern,
    ) -> impl Future<Output = BackendResult<QueueActionReport>> + Send;

    /// `schedule PATTERN`: make the matching queues due now.
    fn schedule(
        &self,
        pattern: QueuePattern,
    ) -> impl Future<Output = BackendResult<QueueActionReport>> + Send;

    /// `set queue --mode=MODE PATTERN`.
    fn set_mode(
        &self,
        pattern: QueuePattern,
        mode: QueueMode,
    ) -> impl Future<Output = BackendResult<QueueActionReport>> + Send;

    /// One page of `delete`: at most `req.max_batch` recipients, then `next_cursor`.
    fn delete(&self, req: DeleteRequest) -> impl Future<Output = BackendResult<DeletePage>> + Send;

    /// One page of `list`: at most `req.limit` recipients, then `next_cursor`.
    fn list(&self, req: ListRequest) -> impl Future<Output = BackendResult<ListPage>> + Send;

    /// `tail logs`: lines from `req.cursor` on at once if there are any; otherwise wait for
    /// one until `until` (already capped before the RPC deadline) and return what came,
    /// possibly nothing. Register for wake-ups before checking the buffer, or a line that
    /// arrives in between is only seen on the next poll.
    fn tail_logs(
        &self,
        req: TailRequest,
        until: Instant,
    ) -> impl Future<Output = BackendResult<LogBatch>> + Send;

    /// `show paused`: the operator's pause, resume and mode rules, oldest first.
    fn paused(&self) -> impl Future<Output = BackendResult<OperatorRules>> + Send;

    /// `show jobs`: every job known, by name. The default (backends without a job
    /// registry, such as test fixtures) knows no job.
    fn jobs(&self) -> impl Future<Output = BackendResult<JobList>> + Send {
        std::future::ready(Ok(JobList::default()))
    }

    /// `show job ID`.
    fn job(&self, job: String) -> impl Future<Output = BackendResult<JobSummary>> + Send {
        std::future::ready(Err(no_such_job(&job)))
    }

    /// One page of `delete --job=ID`.
    fn delete_job(
        &self,
        req: DeleteJobRequest,
    ) -> impl Future<Output = BackendResult<DeletePage>> + Send {
        std::future::ready(Err(no_such_job(&req.job)))
    }

    /// `pause job ID` / `resume job ID`.
    fn pause_job(
        &self,
        job: String,
        pause: bool,
    ) -> impl Future<Output = BackendResult<JobActionReport>> + Send {
        let _ = pause;
        std::future::ready(Err(no_such_job(&job)))
    }

    /// `pause|resume queue PATTERN --cluster`. The default is a node outside any fleet.
    fn cluster_pause(
        &self,
        pattern: QueuePattern,
        pause: bool,
    ) -> impl Future<Output = BackendResult<QueueActionReport>> + Send {
        let _ = (pattern, pause);
        std::future::ready(Err(not_in_fleet()))
    }

    /// `show cluster`. The default is a node outside any fleet.
    fn cluster(&self) -> impl Future<Output = BackendResult<proto::ClusterStatus>> + Send {
        std::future::ready(Err(not_in_fleet()))
    }

    /// `show bounces` / `show feedback`. The default (test fixtures) has no reports.
    fn reports(
        &self,
        req: proto::ReportsRequest,
    ) -> impl Future<Output = BackendResult<proto::ReportList>> + Send {
        let _ = req;
        std::future::ready(Ok(proto::ReportList::default()))
    }
}

/// The answer about a job nothing is known of.
pub fn no_such_job(job: &str) -> ControlError {
    ControlError::InvalidRequest(format!("no such job: {job}"))
}

/// A fleet verb asked of a node without `cluster-redis-url`.
pub fn not_in_fleet() -> ControlError {
    ControlError::InvalidRequest("this node is not in a fleet (no cluster-redis-url)".into())
}
