//! pmtad's command line (clap derive), in the library so the man page and completion
//! generators and their drift tests see the same definitions the binary parses.
//!
//! [`main`] is the whole binary; [`actions`] does what the flags ask (the run mode is
//! [`run_daemon`]); [`doc`] holds the reference text of `--help` and renders pmtad(8) and
//! the shell completions.

pub mod actions;
pub mod doc;
mod run_daemon;

use clap::{Parser, Subcommand, ValueHint};
use std::path::PathBuf;
use std::process::ExitCode;

pub use actions::{EXIT_CANTCREAT, EXIT_CONFIG, render_settings, run};

/// Where pmtad looks for its config when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/pmtad/pmta.conf";

/// The forms of the command line, shown as the usage of `--help` and the SYNOPSIS of pmtad(8).
pub const USAGE: &str = "\
pmtad [-c FILE]
       pmtad [-c FILE] --check-config
       pmtad [-c FILE] --show-settings DOMAIN[/VMTA]
       pmtad [-c FILE] spool list [--json]
       pmtad --hash-password < PASSWORD";

/// pmtad: a PowerMTA-class mail transfer agent.
#[derive(Debug, Parser)]
#[command(
    name = "pmtad",
    version,
    about = "A PowerMTA-class mail transfer agent daemon",
    long_about = doc::LONG_ABOUT,
    override_usage = USAGE,
    after_long_help = doc::AFTER_LONG_HELP
)]
pub struct Cli {
    /// Configuration file (PowerMTA syntax; see pmta.conf(5)).
    #[arg(short = 'c', long, value_name = "FILE", default_value = DEFAULT_CONFIG,
          value_hint = ValueHint::FilePath)]
    pub config: PathBuf,

    /// Check the configuration, print every error and warning, and exit:
    /// 0 if it is valid, 1 if not. A valid one also gets a `consequence:` line for what it
    /// will do that is likely unintended (no source may relay; a <domain> block that never
    /// applies; dkim-sign with no key). Binds nothing, touches no file.
    #[arg(short = 't', long)]
    pub check_config: bool,

    /// Print every effective setting of queue DOMAIN[/VMTA] with the file:line it came
    /// from (or `default`), and exit.
    #[arg(long, value_name = "DOMAIN[/VMTA]", conflicts_with = "check_config")]
    pub show_settings: Option<String>,

    /// Read a password (one line) from standard input and print its Argon2id hash in PHC
    /// form, for `password` in an `<smtp-user>` block; then exit. Needs no config.
    #[arg(long, conflicts_with_all = ["check_config", "show_settings"])]
    pub hash_password: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Offline actions (the daemon stopped).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect the spool directory of the configuration.
    #[command(subcommand)]
    Spool(SpoolCommand),
}

#[derive(Debug, Subcommand)]
pub enum SpoolCommand {
    /// Print every message the spool holds: id, received, sender, virtual MTA, size, and
    /// each recipient with its state (pending, delivered, failed). Reads the spool of
    /// --config without modifying it; meant for a stopped daemon.
    List {
        /// Print a JSON array instead (fields: id, received_at, received, from, vmta, size,
        /// recipients[].address, recipients[].state).
        #[arg(long)]
        json: bool,
    },
}

impl Cli {
    /// Parses an argument list (the program name first), as the binary parses its own.
    pub fn try_from_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_from(args)
    }
}

/// The pmtad binary: parse the process arguments (exit 2 on a usage error) and run.
pub fn main() -> ExitCode {
    run(&Cli::parse())
}
