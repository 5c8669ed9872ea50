//! The tarpc service: one method per pmtactl verb.

use crate::{
    ClientHello, ClusterStatus, ConfigCheck, ControlError, DeleteJobRequest, DeletePage,
    DeleteRequest, DomainDetail, DomainList, DomainsRequest, Hello, JobActionReport, JobList,
    JobSummary, ListPage, ListRequest, LogBatch, OperatorRules, QueueActionReport, QueueList,
    QueueMode, QueueName, QueuePattern, QueueSettings, QueuesRequest, ReloadReport, ReportList,
    ReportsRequest, Status, TailRequest, TestConfigRequest, VersionInfo, VmtaList, VmtasRequest,
};

/// The control service of pmtad.
///
/// Method order is part of the wire format (bincode numbers the request variants): append new
/// methods at the end and bump [`crate::PROTOCOL_VERSION`]. `hello` stays first forever.
#[tarpc::service]
pub trait Control {
    /// Protocol handshake: pmtactl calls it first and refuses a daemon of another protocol.
    async fn hello(client: ClientHello) -> Hello;
    /// Daemon version and protocol (`pmtactl version`).
    async fn version() -> VersionInfo;
    /// `show status`: traffic, connections, queue totals, spool.
    async fn status() -> Result<Status, ControlError>;
    /// `show domains` / `show domain NAME…` / `show topdomains`.
    async fn domains(req: DomainsRequest) -> Result<DomainList, ControlError>;
    /// `domain detail NAME`: why is this domain (not) sending.
    async fn domain_detail(domain: String) -> Result<DomainDetail, ControlError>;
    /// `show queues [PATTERN]` / `show topqueues`.
    async fn queues(req: QueuesRequest) -> Result<QueueList, ControlError>;
    /// `show vmtas`.
    async fn vmtas(req: VmtasRequest) -> Result<VmtaList, ControlError>;
    /// `show settings DOMAIN[/VMTA]`: effective settings with their origin.
    async fn settings(queue: QueueName) -> Result<QueueSettings, ControlError>;
    /// `reload`: swaps the configuration only when it has no error.
    async fn reload() -> Result<ReloadReport, ControlError>;
    /// `test config`: checks the daemon's configuration file without applying it.
    async fn test_config(req: TestConfigRequest) -> Result<ConfigCheck, ControlError>;
    /// `pause queue PATTERN`.
    async fn pause(pattern: QueuePattern) -> Result<QueueActionReport, ControlError>;
    /// `resume queue PATTERN`.
    async fn resume(pattern: QueuePattern) -> Result<QueueActionReport, ControlError>;
    /// `schedule PATTERN`: retry now.
    async fn schedule(pattern: QueuePattern) -> Result<QueueActionReport, ControlError>;
    /// `set queue --mode=normal|backoff PATTERN`.
    async fn set_mode(
        pattern: QueuePattern,
        mode: QueueMode,
    ) -> Result<QueueActionReport, ControlError>;
    /// `delete --queue=PATTERN`: one page; pmtactl calls again with `next_cursor`.
    async fn delete(req: DeleteRequest) -> Result<DeletePage, ControlError>;
    /// `list --queue=PATTERN`: one page of queued recipients.
    async fn list(req: ListRequest) -> Result<ListPage, ControlError>;
    /// `tail logs`: long-poll with a cursor; returns early with an empty batch before the deadline.
    async fn tail_logs(req: TailRequest) -> Result<LogBatch, ControlError>;
    /// `show paused`: the stored pause, resume and mode orders with what they hold now.
    async fn paused() -> Result<OperatorRules, ControlError>;
    /// `show jobs`.
    async fn jobs() -> Result<JobList, ControlError>;
    /// `show job ID`.
    async fn job(job: String) -> Result<JobSummary, ControlError>;
    /// `delete --job=ID`: one page; pmtactl calls again with `next_cursor`.
    async fn delete_job(req: DeleteJobRequest) -> Result<DeletePage, ControlError>;
    /// `pause job ID`.
    async fn pause_job(job: String) -> Result<JobActionReport, ControlError>;
    /// `resume job ID`.
    async fn resume_job(job: String) -> Result<JobActionReport, ControlError>;
    /// `show bounces` / `show feedback`: the last reports the return path processed.
    async fn reports(req: ReportsRequest) -> Result<ReportList, ControlError>;
    /// `pause queue PATTERN --cluster` (`pause` true) / `resume queue PATTERN --cluster`:
    /// the fleet-wide pause set in Redis.
    async fn cluster_pause(
        pattern: QueuePattern,
        pause: bool,
    ) -> Result<QueueActionReport, ControlError>;
    /// `show cluster`: the fleet's nodes, cluster limits in use per node, pauses.
    async fn cluster() -> Result<ClusterStatus, ControlError>;
}
