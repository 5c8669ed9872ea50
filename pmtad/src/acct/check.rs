//! Load-time validation: every accounting path must be writable before a config is used.
//!
//! PowerMTA would discover an unwritable accounting directory only when the first record is
//! due and then lose records; we refuse the config (or the reload) instead, with the path
//! and the reason, so nothing is silently lost.

use std::path::Path;

use super::AcctError;
use super::options::{AcctConfig, AcctFileOptions, Layout};
use crate::dir_probe::{parent_dir, probe_writable_dir};

/// Checks every accounting setting: field names, patterns, and that each file's directory
/// (and `move-to` directory) exists and accepts new files. Returns every problem found.
pub fn check(cfg: &AcctConfig) -> Result<(), Vec<AcctError>> {
    let mut errors = Vec::new();
    for f in cfg.files.iter().chain(&cfg.domain_files) {
        check_file(f, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_file(f: &AcctFileOptions, errors: &mut Vec<AcctError>) {
    if let Err(e) = Layout::new(f) {
        errors.push(e);
    }
    if let Some(pipe) = &f.pipe {
        if let Err(reason) = check_program(&pipe.command) {
            errors.push(AcctError::Pipe {
                command: pipe.command.clone(),
                reason,
            });
        }
        return;
    }
    let dir = parent_dir(&f.path);
    if let Err(reason) = probe_writable_dir(dir) {
        errors.push(AcctError::Unwritable {
            path: f.path.clone(),
            reason,
        });
    }
    if let Some(Err(reason)) = f.move_to.as_deref().map(probe_writable_dir) {
        errors.push(AcctError::Unwritable {
            path: f.move_to.clone().unwrap_or_default(),
            reason: format!("move-to: {reason}"),
        });
    }
}

/// The program of a pipe command (its first word) must exist and be executable, so a typo
/// is a config error rather than records silently going nowhere. Shell syntax beyond the
/// first word is the shell's business.
fn check_program(command: &str) -> Result<(), String> {
    let Some(program) = command.split_whitespace().next() else {
        return Err("empty command".into());
    };
    let found = if program.contains('/') {
        is_executable(Path::new(program))
    } else {
        shell_word(program)
            || std::env::var_os("PATH").is_some_and(|paths| {
                std::env::split_paths(&paths).any(|d| is_executable(&d.join(program)))
            })
    };
    if found {
        Ok(())
    } else {
        Err(format!("program {program} not found or not executable"))
    }
}

/// Shell builtins and keywords a command may start with (`exec`, `cd`, `(`, …).
fn shell_word(word: &str) -> bool {
    matches!(
        word,
        "exec" | "cd" | "(" | "{" | "set" | "export" | "umask" | "ulimit"
    ) || word.contains('=')
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
