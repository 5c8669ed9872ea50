//! `show jobs`, `show job ID`, `delete --job=ID`, `pause job ID`, `resume job ID`.

use proto::{DeleteJobRequest, JobSummary};

use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out};

/// `show jobs`: one row per job.
pub async fn list(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let jobs = s.answer(s.client.jobs(s.ctx()).await)?;
    if out.is_json() {
        return Ok(out.json(&jobs)?);
    }
    out.grid(&grid(&jobs.jobs))?;
    Ok(out.line(format_args!("Total of {} job(s).", jobs.jobs.len()))?)
}

/// `show job ID`: the same row for one job (exit 1 when no such job is known).
pub async fn show(s: &Session, out: &mut Out, job: &str) -> Result<(), CliError> {
    let summary = s.answer(s.client.job(s.ctx(), job.to_string()).await)?;
    if out.is_json() {
        return Ok(out.json(&summary)?);
    }
    Ok(out.grid(&grid(std::slice::from_ref(&summary)))?)
}

/// `delete --job=ID`: every queued recipient of the job, page by page; each gets a `b`
/// accounting record like any deletion.
pub async fn delete(s: &Session, out: &mut Out, job: &str) -> Result<(), CliError> {
    let total = super::recipients::delete_pages(s, |cursor, max_batch| {
        let req = DeleteJobRequest {
            job: job.to_string(),
            cursor,
            max_batch,
        };
        s.client.delete_job(s.ctx(), req)
    })
    .await?;
    if out.is_json() {
        return Ok(out.json(&total)?);
    }
    Ok(out.line(format_args!(
        "{} recipient(s) of job {job} deleted.",
        total.deleted
    ))?)
}

/// `pause job ID` / `resume job ID`.
pub async fn pause(s: &Session, out: &mut Out, job: &str, pause: bool) -> Result<(), CliError> {
    let call = if pause {
        s.client.pause_job(s.ctx(), job.to_string()).await
    } else {
        s.client.resume_job(s.ctx(), job.to_string()).await
    };
    let report = s.answer(call)?;
    if out.is_json() {
        return Ok(out.json(&report)?);
    }
    let (word, moved) = if pause {
        ("paused", "held")
    } else {
        ("resumed", "queued again")
    };
    if !report.changed {
        return Ok(out.line(format_args!("job {job} was already {word}."))?);
    }
    Ok(out.line(format_args!(
        "{word} job {job} ({} message(s) {moved}).",
        report.messages
    ))?)
}

fn grid(jobs: &[JobSummary]) -> Grid {
    let mut g = Grid::new(
        &[
            "JOB",
            "QUEUED",
            "DELIVERED",
            "BOUNCED",
            "DEFERRED",
            "KBYTES",
            "FIRST",
            "LAST",
            "PAUSED",
        ],
        &[1, 2, 3, 4, 5],
    );
    for j in jobs {
        g.row(vec![
            j.job.as_str().into(),
            j.queued.into(),
            j.delivered.into(),
            j.bounced.into(),
            j.deferred.into(),
            j.kbytes.into(),
            j.first_seen.as_deref().unwrap_or("-").into(),
            j.last_seen.as_deref().unwrap_or("-").into(),
            if j.paused { "yes" } else { "no" }.into(),
        ]);
    }
    g
}
