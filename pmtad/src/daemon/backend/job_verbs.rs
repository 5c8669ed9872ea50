//! Job verbs: `show jobs`, `show job ID`, `delete --job=ID`, `pause job ID`,
//! `resume job ID`, over the daemon's job registry (`daemon::jobs`) and queue index.

use std::sync::Arc;

use proto::time::rfc3339_from_unix;
use proto::{
    ControlError, DeleteJobRequest, DeletePage, JobActionReport, JobList, JobSummary, QueuePattern,
    kbytes,
};

use super::paging::{fail_deleted, walk_where};
use crate::daemon::Shared;
use crate::daemon::jobs::JobStats;
use crate::envelope::MessageId;

/// Most recipients one page may hold whatever the client asks.
const MAX_PAGE: usize = 5_000;

fn summary(job: String, s: JobStats) -> JobSummary {
    let time = |t: u64| (t > 0).then(|| rfc3339_from_unix(t));
    JobSummary {
        job,
        queued: s.queued,
        delivered: s.delivered,
        bounced: s.bounced,
        deferred: s.deferred,
        kbytes: kbytes(s.bytes),
        first_seen: time(s.first_seen),
        last_seen: time(s.last_seen),
        paused: s.paused,
    }
}

pub fn list(shared: &Shared) -> JobList {
    let jobs = shared.jobs.list();
    JobList {
        jobs: jobs.into_iter().map(|(j, s)| summary(j, s)).collect(),
    }
}

pub fn show(shared: &Shared, job: &str) -> Result<JobSummary, ControlError> {
    shared
        .jobs
        .get(job)
        .map(|s| summary(job.to_string(), s))
        .ok_or_else(|| ControlError::InvalidRequest(format!("no such job: {job}")))
}

fn every_queue() -> QueuePattern {
    QueuePattern::parse("*/*").expect("valid pattern")
}

/// One page of `delete --job=ID`: only the job's waiting recipients, each failed in the
/// spool with a `b` record, as `delete --queue` does.
pub async fn delete(
    shared: &Arc<Shared>,
    req: &DeleteJobRequest,
) -> Result<DeletePage, ControlError> {
    let limit = (req.max_batch as usize).clamp(1, MAX_PAGE);
    let (taken, next_cursor) = {
        let mut st = shared.state();
        let of_job = |id: MessageId| shared.jobs.contains(&req.job, id);
        walk_where(&mut st, &every_queue(), req.cursor, limit, of_job)
    };
    let mut deleted = 0;
    for t in &taken {
        deleted += fail_deleted(shared, t).await?;
    }
    // Held messages of a paused job are in no queue: they go too.
    if next_cursor.is_none() {
        deleted += delete_held(shared, &req.job).await?;
    }
    if deleted > 0 {
        let job = crate::inbound::printable(&req.job);
        shared.logs.event(format!(
            "{deleted} recipient(s) of job {job} deleted by the operator"
        ));
    }
    Ok(DeletePage {
        deleted,
        next_cursor,
    })
}

/// Puts the held messages of a paused job back into the queues and deletes them there.
async fn delete_held(shared: &Arc<Shared>, job: &str) -> Result<u64, ControlError> {
    if !shared.jobs.get(job).is_some_and(|s| s.paused) {
        return Ok(0);
    }
    let held = shared.jobs.take_held(job);
    requeue(shared, &held).await;
    let (taken, _) = {
        let mut st = shared.state();
        let of_job = |id: MessageId| held.contains(&id);
        walk_where(&mut st, &every_queue(), 0, usize::MAX, of_job)
    };
    let mut deleted = 0;
    for t in &taken {
        deleted += fail_deleted(shared, t).await?;
    }
    Ok(deleted)
}

/// `pause job ID`: its waiting messages leave the queues (in-flight ones finish their
/// attempt), and new mail of the job is held on arrival, until `resume job`.
pub fn pause(shared: &Shared, job: &str) -> JobActionReport {
    let changed = shared.jobs.pause(job);
    let mut st = shared.state();
    let (taken, _) = walk_where(&mut st, &every_queue(), 0, usize::MAX, |id| {
        shared.jobs.contains(job, id)
    });
    drop(st);
    let ids: Vec<MessageId> = taken.iter().map(|t| t.entry.message).collect();
    let messages = ids.len() as u64;
    shared.jobs.hold(job, ids);
    JobActionReport {
        job: job.to_string(),
        changed: changed || messages > 0,
        messages,
    }
}

/// `resume job ID`: the held messages go back to their queues.
pub async fn resume(shared: &Arc<Shared>, job: &str) -> JobActionReport {
    let held = shared.jobs.resume(job);
    let changed = held.is_some();
    let held = held.unwrap_or_default();
    requeue(shared, &held).await;
    shared.wake.notify_one();
    JobActionReport {
        job: job.to_string(),
        changed,
        messages: held.len() as u64,
    }
}

/// Queues the pending recipients of `ids` again, from their spooled envelopes.
async fn requeue(shared: &Arc<Shared>, ids: &[MessageId]) {
    let now = crate::logs::clock::now_secs();
    for &id in ids {
        let Ok((env, _)) = shared.spool.read_message(id).await else {
            continue; // gone since (delivered in flight, or deleted)
        };
        shared.state().index.insert(id, &env, now);
    }
}
