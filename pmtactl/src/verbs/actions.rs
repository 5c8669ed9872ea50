//! `pause queue`, `resume queue`, `schedule`, `set queue --mode`: queue state changes.

use proto::{QueueActionReport, QueueMode, QueuePattern};

use crate::client::Session;
use crate::error::CliError;
use crate::render::Out;

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
    if out.is_json() {
        return Ok(out.json(&report)?);
    }
    Ok(out.line(summary(action, &report))?)
}

/// PowerMTA-like one-liners: `2 of 3 matching queues scheduled.`
fn summary(action: Action, r: &QueueActionReport) -> String {
    let done = match action {
        Action::Pause => "paused".to_string(),
        Action::Resume => "resumed".to_string(),
        Action::Schedule => "scheduled".to_string(),
        Action::SetMode(m) => format!("set to {}", m.as_str()),
    };
    format!(
        "{} of {} queues matching {} {done}.",
        r.changed, r.matched, r.pattern
    )
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
        };
        assert_eq!(
            summary(Action::Schedule, &r),
            "2 of 3 queues matching */* scheduled."
        );
        let mode = Action::SetMode(QueueMode::Backoff);
        assert_eq!(
            summary(mode, &r),
            "2 of 3 queues matching */* set to backoff."
        );
    }
}
