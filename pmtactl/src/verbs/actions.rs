//! `pause queue`, `resume queue`, `schedule`, `set queue --mode`: queue state changes.

use proto::{OperatorRules, QueueActionReport, QueueMode, QueuePattern};

use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, toned};

/// Which state change to make.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Pause,
    Resume,
    Schedule,
    SetMode(QueueMode),
}

pub async fn run(
    s: &Session,
    out: &mut Out,
    action: Action,
    pattern: &str,
) -> Result<(), CliError> {
    let p = QueuePattern::parse(pattern).map_err(|e| CliError::Usage(e.to_string()))?;
    let c = &s.client;
    let answer = match action {
        Action::Pause => c.pause(s.ctx(), p).await,
        Action::Resume => c.resume(s.ctx(), p).await,
        Action::Schedule => c.schedule(s.ctx(), p).await,
        Action::SetMode(mode) => c.set_mode(s.ctx(), p, mode).await,
    };
    let report = s.answer(answer)?;
    // A likely typo is said on stderr in every output mode (and is in the JSON too): the
    // order was kept, exit 0, but the operator must not believe the queue they meant holds.
    if let Some(w) = &report.warning {
        eprintln!("pmtactl: warning: {w}");
    }
    if out.is_json() {
        return Ok(out.json(&report)?);
    }
    Ok(out.line(summary(action, &report))?)
}

/// `show paused`: every stored order, oldest first; the last matching one decides a queue.
pub async fn paused(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let list = s.answer(s.client.paused(s.ctx()).await)?;
    if out.is_json() {
        return Ok(out.json(&list)?);
    }
    if list.rules.is_empty() {
        return Ok(out.line("No queue is paused and no mode is set by the operator.")?);
    }
    out.grid(&rules_grid(&list))?;
    Ok(out.line(
        "Each order also holds queues created later; the last matching line decides a queue.",
    )?)
}

fn rules_grid(list: &OperatorRules) -> Grid {
    let mut g = Grid::new(&["ORDER", "PATTERN", "QUEUES", "RCPTS"], &[2, 3]);
    for r in &list.rules {
        let tone = match r.action.as_str() {
            "pause" | "backoff" => Tone::Warn,
            _ => Tone::Normal,
        };
        g.row(vec![
            toned(&r.action, tone),
            r.pattern.as_str().into(),
            r.queues.into(),
            r.rcpts.into(),
        ]);
    }
    g
}

/// PowerMTA-like one-liners: `2 of 3 matching queues scheduled.`
fn summary(action: Action, r: &QueueActionReport) -> String {
    let done = match action {
        Action::Pause => "paused".to_string(),
        Action::Resume => "resumed".to_string(),
        Action::Schedule => "scheduled".to_string(),
        Action::SetMode(m) => format!("set to {}", m.as_str()),
    };
    let line = format!(
        "{} of {} queues matching {} {done}.",
        r.changed, r.matched, r.pattern
    );
    match action {
        Action::Pause | Action::SetMode(_) => {
            format!("{line} The order also applies to queues created later, across restarts.")
        }
        Action::Resume | Action::Schedule => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_say_how_many_changed_of_how_many_matched() {
        let r = QueueActionReport {
            pattern: "*/*".into(),
            matched: 3,
            changed: 2,
            warning: None,
        };
        assert_eq!(
            summary(Action::Schedule, &r),
            "2 of 3 queues matching */* scheduled."
        );
        let mode = Action::SetMode(QueueMode::Backoff);
        assert_eq!(
            summary(mode, &r),
            "2 of 3 queues matching */* set to backoff. \
             The order also applies to queues created later, across restarts."
        );
    }
}
