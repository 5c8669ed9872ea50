//! What pmtactl does with a config file on its own, without the daemon: `test config FILE`
//! and finding the control socket from `--config`.

use std::path::{Path, PathBuf};

use proto::{ConfigCheck, Diagnostic};

use crate::error::CliError;
use crate::render::Out;
use crate::verbs::print_check;

/// `test config FILE`: loads the file with the daemon's own parser and prints every problem.
pub fn test_config(file: &Path, out: &mut Out) -> Result<(), CliError> {
    print_check(check(file), out)
}

/// Checks a file; the result has the same shape as the daemon's answer.
fn check(file: &Path) -> ConfigCheck {
    let config_file = file.display().to_string();
    match config::load(file) {
        Ok(loaded) => ConfigCheck {
            config_file,
            errors: Vec::new(),
            warnings: loaded.warnings.iter().map(to_proto).collect(),
        },
        Err(diags) => {
            let (errors, warnings) = diags
                .0
                .iter()
                .partition(|d| d.severity == config::Severity::Error);
            ConfigCheck {
                config_file,
                errors: to_proto_all(errors),
                warnings: to_proto_all(warnings),
            }
        }
    }
}

fn to_proto_all(list: Vec<&config::Diagnostic>) -> Vec<Diagnostic> {
    list.into_iter().map(to_proto).collect()
}

fn to_proto(d: &config::Diagnostic) -> Diagnostic {
    Diagnostic {
        file: d.span.file.to_string(),
        line: d.span.line,
        column: d.span.col,
        message: d.message.clone(),
    }
}

/// The `control-socket` of a config file (its default when the file sets none).
pub fn control_socket(file: &Path) -> Result<PathBuf, CliError> {
    match config::load(file) {
        Ok(loaded) => Ok(loaded.config.control_socket),
        Err(diags) => {
            let errors = to_proto_all(diags.errors().collect());
            Err(CliError::ConfigInvalid(file.display().to_string(), errors))
        }
    }
}
