//! `version`: our version and protocol, then the daemon's (if it answers).

use proto::{PROTOCOL_VERSION, VersionInfo};
use serde::Serialize;

use crate::client::{CLIENT_VERSION, Session};
use crate::error::CliError;
use crate::render::Out;

/// `--json` form of `version`.
#[derive(Debug, Serialize)]
struct Versions {
    client_version: &'static str,
    client_protocol: u32,
    daemon: VersionInfo,
}

/// Our own line, printed before connecting so it shows even when the daemon is down.
pub fn client_line(out: &mut Out) -> Result<(), CliError> {
    if !out.is_json() {
        out.line(format_args!(
            "pmtactl {CLIENT_VERSION} (control protocol {PROTOCOL_VERSION})"
        ))?;
    }
    Ok(())
}

/// The daemon's version (after [`client_line`]); in JSON, both in one object.
pub async fn run(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let daemon = s.transport(s.client.version(s.ctx()).await)?;
    if out.is_json() {
        let v = Versions {
            client_version: CLIENT_VERSION,
            client_protocol: PROTOCOL_VERSION,
            daemon,
        };
        return Ok(out.json(&v)?);
    }
    Ok(out.line(format_args!(
        "{} {} (control protocol {}) on {}, started {}",
        daemon.product, daemon.daemon_version, daemon.protocol, daemon.host_name, daemon.started_at
    ))?)
}
