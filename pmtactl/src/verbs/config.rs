//! `reload` and `test config`: every error printed, exit 1 when there is any.

use proto::{ConfigCheck, TestConfigRequest};

use crate::client::Session;
use crate::error::CliError;
use crate::render::Out;

/// `reload`: the daemon swaps its config only when the new one has no error.
pub async fn reload(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let report = s.answer(s.client.reload(s.ctx()).await)?;
    if out.is_json() {
        return Ok(out.json(&report)?);
    }
    for w in &report.warnings {
        eprintln!("{w}");
    }
    Ok(out.line(format_args!(
        "Configuration reloaded from {}.",
        report.config_file
    ))?)
}

/// `test config` without FILE: the daemon checks its own config file.
pub async fn test_remote(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let req = TestConfigRequest { path: None };
    let check = s.answer(s.client.test_config(s.ctx(), req).await)?;
    print_check(check, out)
}

/// Prints a check's outcome; errors make the run fail (exit 1) after all are printed.
pub fn print_check(check: ConfigCheck, out: &mut Out) -> Result<(), CliError> {
    if out.is_json() {
        out.json(&check)?;
    } else {
        for w in &check.warnings {
            eprintln!("{w}");
        }
    }
    if !check.errors.is_empty() {
        return Err(CliError::ConfigInvalid(check.config_file, check.errors));
    }
    if !out.is_json() {
        out.line(format_args!("{}: configuration OK.", check.config_file))?;
    }
    Ok(())
}
