//! What each form of the command line does: run the daemon, or one of the config-only
//! actions (`--check-config`, `--show-settings`, `spool list`), which load the config and
//! print; they never bind a port or modify the spool.

use super::{Cli, Command, SpoolCommand};
use config::{Config, DEFAULT_VMTA, Diagnostics, EffectiveSetting, Loaded};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Runs the action the flags ask for.
pub fn run(cli: &Cli) -> ExitCode {
    if let Some(Command::Spool(SpoolCommand::List { json })) = &cli.command {
        return spool_list(&cli.config, *json);
    }
    if cli.hash_password {
        return hash_password();
    }
    if cli.check_config {
        return check_config(&cli.config);
    }
    if let Some(queue) = &cli.show_settings {
        return show_settings(&cli.config, queue);
    }
    serve(&cli.config)
}

/// `--hash-password`: one line of standard input (without its line end) to a PHC string.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("pmtad: cannot read the password: {e}");
        return ExitCode::from(1);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        eprintln!("pmtad: the password is empty");
        return ExitCode::from(1);
    }
    match crate::daemon::hash_password(password.as_bytes()) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pmtad: cannot hash the password: {e}");
            ExitCode::from(1)
        }
    }
}

/// The daemon run mode: load the config (exit [`EXIT_CONFIG`] before binding anything if
/// it is invalid), then serve until SIGTERM.
fn serve(path: &Path) -> ExitCode {
    let Some(config) = load(path) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    match super::run_daemon::run(path, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pmtad: {e:#}");
            let cantcreat = e.downcast_ref::<crate::daemon::CreateDirError>().is_some()
                || e.downcast_ref::<crate::daemon::UnwritableError>().is_some();
            ExitCode::from(if cantcreat { EXIT_CANTCREAT } else { 1 })
        }
    }
}

/// Loads the config, printing warnings (always) and errors (on failure) to stderr.
fn load(path: &Path) -> Option<Config> {
    let mut err = std::io::stderr().lock();
    match config::load(path) {
        Ok(Loaded { config, warnings }) => {
            for w in &warnings {
                let _ = writeln!(err, "{w}");
            }
            Some(config)
        }
        Err(diags) => {
            let _ = write!(err, "{diags}");
            let _ = writeln!(err, "{}", summary(path, &diags));
            None
        }
    }
}

/// Exit status of the run mode when the configuration does not load (pmtad(8) EXIT STATUS).
pub const EXIT_CONFIG: u8 = 64;

/// Exit status of the run mode when a directory of the config cannot be created
/// (sysexits' EX_CANTCREAT); like [`EXIT_CONFIG`], a restart cannot help.
pub const EXIT_CANTCREAT: u8 = 73;

fn summary(path: &Path, diags: &Diagnostics) -> String {
    let errors = diags.errors().count();
    let warnings = diags.0.len() - errors;
    format!(
        "pmtad: {} is not valid: {errors} error(s), {warnings} warning(s)",
        path.display()
    )
}

/// `--check-config`: errors and warnings (stderr), then the consequences of a valid config
/// (stdout: what it will and will not do), then the verdict. Consequences do not fail it.
fn check_config(path: &Path) -> ExitCode {
    match load(path) {
        Some(cfg) => {
            for c in cfg.consequences() {
                println!("{c}");
            }
            println!("pmtad: {} is valid", path.display());
            ExitCode::SUCCESS
        }
        None => ExitCode::from(1),
    }
}

/// `pmtad --config F spool list [--json]`: reads the spool without modifying it.
fn spool_list(path: &Path, json: bool) -> ExitCode {
    let Some(cfg) = load(path) else {
        return ExitCode::from(1);
    };
    let mut out = std::io::stdout().lock();
    let listed = match json {
        true => crate::spool::list_offline_json(cfg.spool_dir(), &mut out),
        false => crate::spool::list_offline(cfg.spool_dir(), &mut out),
    };
    match listed {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pmtad: spool {}: {e}", cfg.spool_dir().display());
            ExitCode::from(1)
        }
    }
}

fn show_settings(path: &Path, queue: &str) -> ExitCode {
    let Some(cfg) = load(path) else {
        return ExitCode::from(1);
    };
    let (domain, vmta) = queue.split_once('/').unwrap_or((queue, DEFAULT_VMTA));
    if domain.is_empty() || !cfg.vmta_exists(vmta) {
        eprintln!(
            "pmtad: virtual MTA '{vmta}' is not defined in {}",
            path.display()
        );
        return ExitCode::from(1);
    }
    let settings = cfg.settings(domain, vmta);
    print!(
        "{}",
        render_settings(&format!("{domain}/{vmta}"), &settings)
    );
    ExitCode::SUCCESS
}

/// `queue` on the first line, then aligned `name value origin` rows.
pub fn render_settings(queue: &str, settings: &[EffectiveSetting]) -> String {
    let name_w = settings.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let value_w = settings
        .iter()
        .map(|s| s.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut out = format!("settings of queue {queue}\n");
    for s in settings {
        let value = if s.value.is_empty() {
            "-"
        } else {
            s.value.as_str()
        };
        out.push_str(&format!(
            "  {:name_w$}  {:value_w$}  {}\n",
            s.name, value, s.origin
        ));
    }
    out
}
