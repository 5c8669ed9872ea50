//! `show settings DOMAIN[/VMTA]`: effective settings, each with the line it came from.

use proto::{QueueName, Setting};

use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, toned};

pub async fn run(s: &Session, out: &mut Out, queue: &str) -> Result<(), CliError> {
    let name = QueueName::parse(queue).map_err(|e| CliError::Usage(e.to_string()))?;
    let settings = s.answer(s.client.settings(s.ctx(), name).await)?;
    if out.is_json() {
        return Ok(out.json(&settings)?);
    }
    out.line(format_args!(
        "Settings of queue {}/{}",
        settings.domain, settings.vmta
    ))?;
    out.line("Virtual MTA settings:")?;
    out.grid(&settings_grid(&settings.vmta_settings))?;
    out.line("Queue settings:")?;
    Ok(out.grid(&settings_grid(&settings.queue_settings))?)
}

/// `NAME VALUE ORIGIN`, values set in the config stand out from defaults.
pub fn settings_grid(list: &[Setting]) -> Grid {
    let mut g = Grid::new(&["SETTING", "VALUE", "ORIGIN"], &[]);
    for s in list {
        let tone = if s.origin == "default" {
            Tone::Normal
        } else {
            Tone::Good
        };
        g.row(vec![
            s.name.as_str().into(),
            s.value.as_str().into(),
            toned(&s.origin, tone),
        ]);
    }
    g
}
