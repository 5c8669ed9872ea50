//! The control plane over the running daemon: [`DaemonBackend`] answers every pmtactl verb
//! from the daemon's real state (queue index, per-queue scheduling state, spool, config,
//! logs) and applies the operator's changes to it.
//!
//! Reads take the state lock once, copy what the answer needs and let go; nothing here holds
//! it across an await or does I/O under it. Spool and config work runs on blocking threads.

mod config_verbs;
mod detail;
mod events;
mod job_verbs;
mod listing;
mod observe;
mod paging;
mod queue_actions;
mod reports;
mod show_status;
mod typos;
mod verdict;

use std::sync::Arc;
use std::time::Instant;

use proto::{
    ConfigCheck, ControlError, DeleteJobRequest, DeletePage, DeleteRequest, DomainDetail,
    DomainSummary, DomainsRequest, JobActionReport, JobList, JobSummary, ListPage, ListRequest,
    LogBatch, OperatorRules, QueueActionReport, QueueMode, QueueName, QueuePattern, QueueSettings,
    QueueSummary, QueuesRequest, ReloadReport, Status, TailRequest, TestConfigRequest, VersionInfo,
    VmtaSummary,
};

use super::Shared;
use super::pauses::{PauseFile, PausedJobsFile};
use crate::control::Backend;
use crate::inbound::InboundStats;
use show_status::TrafficLog;

/// The daemon side of the control socket.
pub struct DaemonBackend {
    shared: Arc<Shared>,
    inbound: Arc<InboundStats>,
    traffic: Arc<TrafficLog>,
    pauses: PauseFile,
    paused_jobs: PausedJobsFile,
    /// Serialises writes of the pause files so each always ends with the latest list.
    pause_write: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for DaemonBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonBackend").finish_non_exhaustive()
    }
}

impl DaemonBackend {
    /// A backend over `shared`; `inbound` are the SMTP listener's counters. Starts the
    /// once-a-second traffic sampler behind `show status`'s last-minute and last-hour figures;
    /// it stops with the daemon. Call from within the runtime.
    pub fn new(shared: Arc<Shared>, inbound: Arc<InboundStats>) -> Self {
        let traffic = Arc::new(TrafficLog::default());
        show_status::spawn_sampler(shared.clone(), inbound.clone(), traffic.clone());
        let pauses = PauseFile::in_spool(shared.spool.root());
        let paused_jobs = PausedJobsFile::in_spool(shared.spool.root());
        Self {
            shared,
            inbound,
            traffic,
            pauses,
            paused_jobs,
            pause_write: tokio::sync::Mutex::new(()),
        }
    }

    /// Runs blocking work (spool reads, config parsing) off the async threads.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ControlError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Shared>) -> Result<T, ControlError> + Send + 'static,
    {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || f(shared))
            .await
            .map_err(|e| ControlError::Failed(format!("internal task failed: {e}")))?
    }
}

impl Backend for DaemonBackend {
    fn version(&self) -> VersionInfo {
        show_status::version(&self.shared)
    }

    async fn status(&self) -> Result<Status, ControlError> {
        Ok(show_status::status(
            &self.shared,
            &self.inbound,
            &self.traffic,
        ))
    }

    async fn domains(&self, req: DomainsRequest) -> Result<Vec<DomainSummary>, ControlError> {
        Ok(listing::domains(&self.shared, &req))
    }

    async fn domain_detail(&self, domain: String) -> Result<DomainDetail, ControlError> {
        detail::domain_detail(&self.shared, &domain).await
    }

    async fn queues(&self, req: QueuesRequest) -> Result<Vec<QueueSummary>, ControlError> {
        Ok(listing::queues(&self.shared, &req))
    }

    async fn vmtas(&self) -> Result<Vec<VmtaSummary>, ControlError> {
        Ok(listing::vmtas(&self.shared))
    }

    async fn settings(&self, queue: QueueName) -> Result<QueueSettings, ControlError> {
        config_verbs::settings(&self.shared, &queue)
    }

    async fn reload(&self) -> Result<ReloadReport, ControlError> {
        self.blocking(config_verbs::reload).await
    }

    async fn test_config(&self, req: TestConfigRequest) -> Result<ConfigCheck, ControlError> {
        self.blocking(move |shared| Ok(config_verbs::test_config(&shared, req.path.as_deref())))
            .await
    }

    async fn pause(&self, pattern: QueuePattern) -> Result<QueueActionReport, ControlError> {
        let report = queue_actions::pause(&self.shared, &pattern);
        self.persist_pauses().await?;
        Ok(report)
    }

    async fn resume(&self, pattern: QueuePattern) -> Result<QueueActionReport, ControlError> {
        let report = queue_actions::resume(&self.shared, &pattern)?;
        self.persist_pauses().await?;
        self.shared.wake.notify_one();
        Ok(report)
    }

    async fn schedule(&self, pattern: QueuePattern) -> Result<QueueActionReport, ControlError> {
        let report = queue_actions::schedule(&self.shared, &pattern)?;
        self.shared.wake.notify_one();
        Ok(report)
    }

    async fn set_mode(
        &self,
        pattern: QueuePattern,
        mode: QueueMode,
    ) -> Result<QueueActionReport, ControlError> {
        let report = queue_actions::set_mode(&self.shared, &pattern, mode, Instant::now());
        self.persist_pauses().await?;
        self.shared.wake.notify_one();
        Ok(report)
    }

    async fn delete(&self, req: DeleteRequest) -> Result<DeletePage, ControlError> {
        paging::delete(&self.shared, &req).await
    }

    async fn list(&self, req: ListRequest) -> Result<ListPage, ControlError> {
        self.blocking(move |shared| paging::list(&shared, &req))
            .await
    }

    async fn tail_logs(&self, req: TailRequest, until: Instant) -> Result<LogBatch, ControlError> {
        let ring = self.shared.logs.ring();
        Ok(crate::logs::serve_tail(ring, &req, until).await)
    }

    async fn paused(&self) -> Result<OperatorRules, ControlError> {
        Ok(queue_actions::rules(&self.shared))
    }

    async fn jobs(&self) -> Result<JobList, ControlError> {
        Ok(job_verbs::list(&self.shared))
    }

    async fn job(&self, job: String) -> Result<JobSummary, ControlError> {
        job_verbs::show(&self.shared, &job)
    }

    async fn delete_job(&self, req: DeleteJobRequest) -> Result<DeletePage, ControlError> {
        job_verbs::delete(&self.shared, &req).await
    }

    async fn pause_job(&self, job: String, pause: bool) -> Result<JobActionReport, ControlError> {
        let report = match pause {
            true => job_verbs::pause(&self.shared, &job),
            false => job_verbs::resume(&self.shared, &job).await,
        };
        self.persist_paused_jobs().await?;
        Ok(report)
    }

    async fn cluster_pause(
        &self,
        pattern: QueuePattern,
        pause: bool,
    ) -> Result<QueueActionReport, ControlError> {
        super::fleet::cluster_pause(&self.shared, &pattern, pause).await
    }

    async fn cluster(&self) -> Result<proto::ClusterStatus, ControlError> {
        super::fleet::status(&self.shared).await
    }

    async fn reports(&self, req: proto::ReportsRequest) -> Result<proto::ReportList, ControlError> {
        Ok(reports::list(&self.shared, &req))
    }
}

impl DaemonBackend {
    /// Writes the current pause rules to the spool's pause file, durably, before the verb
    /// answers: a pause the operator was told about survives a crash.
    async fn persist_pauses(&self) -> Result<(), ControlError> {
        let _turn = self.pause_write.lock().await;
        let rules = self.shared.state().index.rules().all().to_vec();
        let file = self.pauses.clone();
        tokio::task::spawn_blocking(move || file.store(&rules))
            .await
            .map_err(|e| ControlError::Failed(format!("internal task failed: {e}")))?
            .map_err(|e| ControlError::Failed(e.to_string()))
    }

    /// Writes the paused jobs to the spool's paused jobs file, durably, before the verb
    /// answers (as [`Self::persist_pauses`]).
    async fn persist_paused_jobs(&self) -> Result<(), ControlError> {
        let _turn = self.pause_write.lock().await;
        let jobs = self.shared.jobs.paused();
        let file = self.paused_jobs.clone();
        tokio::task::spawn_blocking(move || file.store(&jobs))
            .await
            .map_err(|e| ControlError::Failed(format!("internal task failed: {e}")))?
            .map_err(|e| ControlError::Failed(e.to_string()))
    }
}
