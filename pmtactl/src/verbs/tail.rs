//! `tail logs [--follow] [--domain NAME] [--lines N]`: a long-poll loop with a cursor.

use std::time::Duration;

use proto::{LogBatch, TailRequest};

use crate::cli::TailArgs;
use crate::client::Session;
use crate::error::CliError;
use crate::render::Out;

/// How long one poll waits for a line in follow mode before asking again. Long enough to
/// cost nothing while idle, short enough that a vanished daemon is noticed.
const POLL_WAIT: Duration = Duration::from_secs(5);

/// Most lines one batch carries once the backlog is printed.
const BATCH: u32 = 1000;

pub async fn run(s: &Session, out: &mut Out, a: &TailArgs) -> Result<(), CliError> {
    let mut cursor = None;
    loop {
        let batch = poll(s, a, cursor).await?;
        print(out, &batch)?;
        if !a.follow {
            return Ok(());
        }
        cursor = Some(batch.next_cursor);
    }
}

async fn poll(s: &Session, a: &TailArgs, cursor: Option<u64>) -> Result<LogBatch, CliError> {
    let wait = if a.follow { POLL_WAIT } else { Duration::ZERO };
    let req = TailRequest {
        cursor,
        backlog: a.lines,
        max_lines: a.lines.max(BATCH),
        domain: a.domain.clone(),
        wait_ms: u32::try_from(wait.as_millis()).unwrap_or(u32::MAX),
    };
    // The daemon answers 250 ms before the deadline; give it the wait plus our timeout.
    let ctx = s.ctx_for(wait + s.timeout());
    s.answer(s.client.tail_logs(ctx, req).await)
}

fn print(out: &mut Out, batch: &LogBatch) -> Result<(), CliError> {
    if batch.dropped > 0 {
        eprintln!(
            "pmtactl: {} log line(s) missed (the daemon's buffer moved on)",
            batch.dropped
        );
    }
    for line in &batch.lines {
        if out.is_json() {
            out.json_line(line)?;
        } else {
            out.line(&line.text)?;
        }
    }
    Ok(out.flush()?)
}
