//! Offline listing of what a spool holds (`pmtad --config F spool list`), for operators and
//! tests, with the daemon stopped. Read-only: it never truncates, writes hints or deletes.

use std::io::Write;
use std::path::Path;

use super::RecoveredMessage;
use super::error::SpoolError;
use super::recover;
use crate::envelope::RcptState;

/// Errors of the offline listing: reading the spool or writing the output.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("writing the listing: {0}")]
    Output(#[from] std::io::Error),
}

fn load(dir: &Path) -> Result<Vec<RecoveredMessage>, SpoolError> {
    if !dir.join("segments").is_dir() {
        return Ok(Vec::new());
    }
    Ok(recover::replay(dir, false)?.into_messages())
}

fn state_name(s: RcptState) -> &'static str {
    match s {
        RcptState::Pending => "pending",
        RcptState::Delivered => "delivered",
        RcptState::Failed => "failed",
    }
}

/// Prints every live message: one line per message, one indented line per recipient.
/// Returns the number of messages.
pub fn list_offline(dir: impl AsRef<Path>, out: &mut impl Write) -> Result<usize, ListError> {
    let msgs = load(dir.as_ref())?;
    for m in &msgs {
        let e = &m.envelope;
        writeln!(
            out,
            "{} received={} from=<{}> vmta={} size={} rcpts={}",
            m.id,
            rfc3339(e.received_at),
            e.mail_from,
            e.vmta,
            e.size,
            e.recipients.len()
        )?;
        for r in &e.recipients {
            writeln!(out, "  {:<9} {}", state_name(r.state), r.address)?;
        }
    }
    writeln!(out, "{} message(s)", msgs.len())?;
    Ok(msgs.len())
}

#[derive(serde::Serialize)]
struct JsonRcpt<'a> {
    address: &'a str,
    state: &'static str,
}

#[derive(serde::Serialize)]
struct JsonMsg<'a> {
    id: String,
    received_at: u64,
    received: String,
    from: &'a str,
    vmta: &'a str,
    size: u64,
    recipients: Vec<JsonRcpt<'a>>,
}

/// The same listing as a JSON array (stable field names: id, received_at, received, from,
/// vmta, size, recipients[].address, recipients[].state).
pub fn list_offline_json(dir: impl AsRef<Path>, out: &mut impl Write) -> Result<usize, ListError> {
    let msgs = load(dir.as_ref())?;
    let items: Vec<JsonMsg<'_>> = msgs
        .iter()
        .map(|m| JsonMsg {
            id: m.id.to_string(),
            received_at: m.envelope.received_at,
            received: rfc3339(m.envelope.received_at),
            from: &m.envelope.mail_from,
            vmta: &m.envelope.vmta,
            size: m.envelope.size,
            recipients: m
                .envelope
                .recipients
                .iter()
                .map(|r| JsonRcpt {
                    address: &r.address,
                    state: state_name(r.state),
                })
                .collect(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(msgs.len())
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`: the protocol's formatter, so `spool list`
/// prints times as `pmtactl --json` does.
pub fn rfc3339(secs: u64) -> String {
    proto::time::rfc3339_from_unix(secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
