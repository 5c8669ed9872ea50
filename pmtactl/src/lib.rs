//! pmtactl: the control tool for pmtad, as a library so the binary stays a one-liner and the
//! rendering can be unit-tested.
//!
//! Flow: parse the command line ([`cli`]), connect and check the protocol ([`client`]), run
//! one verb ([`verbs`]), print through [`render::Out`], and map the outcome to an exit
//! status ([`error::CliError::exit_code`]; documented in [`doc::AFTER_LONG_HELP`]).
#![forbid(unsafe_code)]

pub mod cli;
pub mod client;
pub mod doc;
pub mod error;
mod local;
pub mod render;
mod verbs;
mod words;

use std::io::Write;
use std::process::ExitCode;

use cli::Cli;
use error::CliError;
use render::{Mode, Out};

/// Runs pmtactl with the process arguments and returns its exit status.
pub fn main() -> ExitCode {
    let cli = Cli::from_env();
    let mut out = Out::new(Mode::choose(cli.format, cli.json));
    let result = runtime().and_then(|rt| rt.block_on(verbs::run(&cli, &mut out)));
    let result = result.and_then(|()| Ok(out.flush()?));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e, &mut out);
            ExitCode::from(e.exit_code())
        }
    }
}

/// One thread is plenty for one conversation, and it starts fastest.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    rt.map_err(|e| CliError::Failed("failed", format!("cannot start the runtime: {e}")))
}

/// Prints a failure: the JSON error object on stdout for `--json` (unless the verb already
/// printed its answer, e.g. a `test config` listing errors), and always the
/// configuration errors and a one-line reason on stderr. A closed pipe prints nothing.
fn report(e: &CliError, out: &mut Out) {
    if e.exit_code() == 0 {
        return;
    }
    if out.is_json() && !out.wrote_json() {
        let _ = out.json(&e.to_json());
    }
    // What was printed before the failure goes out before the reason, in order.
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    for d in e.diagnostics() {
        let _ = writeln!(err, "{d}");
    }
    let _ = writeln!(err, "pmtactl: {e}");
}
