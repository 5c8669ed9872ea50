//! The command line: PowerMTA's `pmta` verbs, as clap derive types.
//!
//! Command words may be abbreviated to a unique prefix, as with `pmta` (`show dom`,
//! `show q`, `sch`); `show domain NAME` is `show domains NAME`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum, ValueHint};
use proto::{QueueMode, Sort};

use crate::doc;

#[derive(Debug, Parser)]
#[command(
    name = "pmtactl",
    version,
    about = "Control and inspect a running pmtad over its control socket",
    after_long_help = doc::AFTER_LONG_HELP
)]
pub struct Cli {
    /// The control socket [default: control-socket of --config, else /run/pmtad/control.sock].
    #[arg(long, global = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub socket: Option<PathBuf>,
    /// Read control-socket from this config file (pmtad's own `--config`).
    #[arg(long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub config: Option<PathBuf>,
    /// Print the daemon's answer as JSON (the schema is in JSON OUTPUT below).
    #[arg(long, global = true)]
    pub json: bool,
    /// Output format; `auto` is a table on a terminal and plain columns otherwise.
    #[arg(long, global = true, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Seconds to wait for each answer from the daemon.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Auto,
    Table,
    Plain,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show daemon state: status, domains, queues, virtual MTAs, settings.
    Show {
        #[command(subcommand)]
        what: Show,
    },
    /// Everything about one domain: `domain detail NAME`.
    Domain {
        #[command(subcommand)]
        what: DomainCmd,
    },
    /// Re-read the configuration; on any error keep the running one and print every error.
    Reload,
    /// Check a configuration without applying it: `test config [FILE]`.
    Test {
        #[command(subcommand)]
        what: TestCmd,
    },
    /// Stop delivery for matching queues: `pause queue DOMAIN[/VMTA]` (`*` wildcards).
    Pause {
        #[command(subcommand)]
        what: QueueTarget,
    },
    /// Restart delivery for matching queues: `resume queue DOMAIN[/VMTA]`.
    Resume {
        #[command(subcommand)]
        what: QueueTarget,
    },
    /// Retry matching queues now: `schedule DOMAIN[/VMTA]`.
    Schedule {
        /// DOMAIN[/VMTA], `*` wildcards allowed.
        pattern: String,
    },
    /// Change queue state: `set queue --mode=normal|backoff DOMAIN[/VMTA]`.
    Set {
        #[command(subcommand)]
        what: SetCmd,
    },
    /// Delete queued recipients: `delete --queue=DOMAIN[/VMTA] [--older-than=T]`.
    Delete(DeleteArgs),
    /// List queued recipients: `list --queue=DOMAIN[/VMTA] [--maxitems=N]`.
    List(ListArgs),
    /// Print the delivery log: `tail logs [--follow] [--domain NAME] [--lines N]`.
    Tail {
        #[command(subcommand)]
        what: TailCmd,
    },
    /// Versions of pmtactl and of the daemon, and their protocols.
    Version,
}

#[derive(Debug, Subcommand)]
pub enum Show {
    /// Uptime, traffic, connections, queue totals, spool.
    Status,
    /// Per-domain table (`show domain NAME…` selects domains).
    #[command(visible_alias = "domain")]
    Domains(DomainsArgs),
    /// `show domains` sorted by queued recipients.
    Topdomains(DomainsArgs),
    /// Per-queue (domain/virtual MTA) table.
    #[command(visible_alias = "queue")]
    Queues(QueuesArgs),
    /// `show queues` sorted by queued recipients.
    Topqueues(QueuesArgs),
    /// Per-virtual-MTA table.
    #[command(visible_alias = "vmta")]
    Vmtas(ListingArgs),
    /// Jobs (`X-Job:` campaigns): queued, delivered, bounced, deferred, first and last seen.
    Jobs,
    /// One job's figures (exit 1 when no such job is known).
    Job {
        /// The job id.
        id: String,
    },
    /// The stored pause, resume and mode orders (patterns as typed) and what each holds now.
    Paused,
    /// The last asynchronous bounces the <bounce-processor> parsed: recipient, bounce
    /// category, status, format, whether it matched a message pmtad sent (job, virtual MTA),
    /// what became of the report; then the counts by domain and category.
    Bounces(ReportsArgs),
    /// The last complaints (ARF, JMRP) the <feedback-loop-processor> parsed, as `show bounces`.
    Feedback(ReportsArgs),
    /// Effective settings of a queue, each with the config line it came from.
    Settings {
        /// DOMAIN[/VMTA] (no wildcards; the default virtual MTA when VMTA is omitted).
        queue: String,
    },
    /// The fleet (cluster-redis-url): each node's heartbeat age, version, queues and
    /// connections; each cluster-max-smtp-out in use with its connections per node; the
    /// fleet-wide pauses.
    Cluster,
    /// Same as `pmtactl version`.
    Version,
}

/// Rows and order of a listing.
#[derive(Debug, Clone, Args)]
pub struct ListingArgs {
    /// Rows to show (0 = all).
    #[arg(long = "maxitems", value_name = "N", default_value_t = 20)]
    pub max_items: u32,
    /// Row order.
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
}

/// Which reports `show bounces` / `show feedback` list.
#[derive(Debug, Clone, Args)]
pub struct ReportsArgs {
    /// How many of the last reports (the daemon keeps 1000).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub last: u32,
    /// Only reports about recipients of this domain.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Only this bounce category (bad-mailbox, ...) or feedback type (abuse, ...).
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DomainsArgs {
    #[command(flatten)]
    pub listing: ListingArgs,
    /// Count only this virtual MTA's queues.
    #[arg(long, value_name = "NAME")]
    pub vmta: Option<String>,
    /// The recent errors and bounces of each named domain (PowerMTA's `--errors`).
    #[arg(long, requires = "names")]
    pub errors: bool,
    /// Domain names or `*` patterns (default: every domain).
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct QueuesArgs {
    #[command(flatten)]
    pub listing: ListingArgs,
    /// Only paused (yes) or unpaused (no) queues.
    #[arg(long, value_name = "yes|no", value_parser = parse_yes_no)]
    pub paused: Option<bool>,
    /// Only queues in this mode.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// DOMAIN[/VMTA] with `*` wildcards [default: */*].
    pub pattern: Option<String>,
}

/// Row order on the command line (PowerMTA spells them `rcpt` and `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Name,
    #[value(alias = "rcpt")]
    Rcpts,
    #[value(alias = "size")]
    Kbytes,
}

/// Queue mode on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Normal,
    Backoff,
}

#[derive(Debug, Subcommand)]
pub enum DomainCmd {
    /// Why is this domain (not) sending: a verdict line, then queues, connections, holds,
    /// MX, errors; settings with --settings.
    Detail {
        /// The domain name.
        name: String,
        /// Also print every effective setting of each queue.
        #[arg(long)]
        settings: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TestCmd {
    /// Check FILE (or the --config file) locally, no daemon needed; with neither, ask the
    /// daemon to check the file it runs on.
    Config {
        /// The file to check locally [default: --config FILE; without both, the running
        /// daemon checks its own config file].
        #[arg(value_hint = ValueHint::FilePath)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueueTarget {
    /// Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell).
    Queue {
        /// DOMAIN[/VMTA]; a bare DOMAIN means every virtual MTA.
        pattern: String,
        /// Fleet-wide: store the pause in the fleet's Redis (cluster-redis-url), where every
        /// node takes it up within a second and after a restart; `resume queue PATTERN
        /// --cluster` removes that same pattern. Local pauses and resumes are separate.
        #[arg(long)]
        cluster: bool,
    },
    /// One job: its waiting messages leave the queues (in-flight ones finish) and its new
    /// mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs).
    Job {
        /// The job id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SetCmd {
    /// Set the delivery mode of matching queues.
    Queue {
        /// normal or backoff.
        #[arg(long, value_enum)]
        mode: ModeArg,
        /// DOMAIN[/VMTA] with `*` wildcards.
        pattern: String,
    },
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// DOMAIN[/VMTA] with `*` wildcards (this or --job is required, so a typo cannot empty
    /// the spool).
    #[arg(long, value_name = "DOMAIN[/VMTA]", required_unless_present = "job")]
    pub queue: Option<String>,
    /// Every queued recipient of this job (`X-Job`), in any queue.
    #[arg(long, value_name = "ID", alias = "jobId", conflicts_with_all = ["queue", "older_than"])]
    pub job: Option<String>,
    /// Only recipients queued longer than this (`30m`, `4d12h`, bare seconds).
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    pub older_than: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// DOMAIN[/VMTA] with `*` wildcards [default: */*].
    #[arg(long, value_name = "DOMAIN[/VMTA]", default_value = "*/*")]
    pub queue: String,
    /// Most recipients to list (0 = all).
    #[arg(long = "maxitems", value_name = "N", default_value_t = 100)]
    pub max_items: u32,
    /// Only recipients queued longer than this.
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    pub older_than: Option<Duration>,
}

#[derive(Debug, Subcommand)]
pub enum TailCmd {
    /// The delivery log.
    Logs(TailArgs),
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Keep printing new lines until interrupted.
    #[arg(short, long)]
    pub follow: bool,
    /// Only lines about this domain.
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,
    /// How many recent lines to print first.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    pub lines: u32,
}

impl Cli {
    /// Parses the process arguments; exits 2 on a usage error (clap's own convention). An
    /// unknown command word is answered by [`crate::words`] first: a PowerMTA verb pmtactl
    /// lacks is named as such, and a guess is only ever a real verb close to the word.
    pub fn from_env() -> Self {
        let cmd = with_inferred_words(Self::command());
        let args: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if let Err(msg) = crate::words::check(&cmd, &args) {
            eprintln!("pmtactl: error: {msg}");
            std::process::exit(2);
        }
        let matches = cmd.get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// The clap command, with prefix inference on every level (also for clap_mangen).
    pub fn full_command() -> clap::Command {
        with_inferred_words(Self::command())
    }
}

/// Turns on unique-prefix matching of command words on every level, as `pmta` does.
fn with_inferred_words(cmd: clap::Command) -> clap::Command {
    cmd.infer_subcommands(true)
        .mut_subcommands(with_inferred_words)
}

impl SortArg {
    pub fn to_proto(self) -> Sort {
        match self {
            Self::Name => Sort::Name,
            Self::Rcpts => Sort::Rcpts,
            Self::Kbytes => Sort::Kbytes,
        }
    }
}

impl ModeArg {
    pub fn to_proto(self) -> QueueMode {
        match self {
            Self::Normal => QueueMode::Normal,
            Self::Backoff => QueueMode::Backoff,
        }
    }
}

/// `yes|no|true|false|on|off`, the config's booleans.
fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(format!("{s:?} is not yes or no")),
    }
}

/// Durations as the config writes them: `90`, `10s`, `5m`, `1h`, `4d12h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration (e.g. 90, 10s, 5m, 1h, 4d12h)");
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let (mut total, mut digits) = (0u64, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || s.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_takes_a_queue_or_a_job() {
        let parse = |args: &[&str]| Cli::full_command().try_get_matches_from(args);
        assert!(parse(&["p", "delete", "--queue=a.com", "--older-than=1h"]).is_ok());
        assert!(parse(&["p", "delete", "--job=c42"]).is_ok());
        assert!(parse(&["p", "delete"]).is_err());
        assert!(parse(&["p", "delete", "--job=c42", "--queue=a.com"]).is_err());
    }

    #[test]
    fn durations_parse_like_the_config() {
        let secs = |s| parse_duration(s).map(|d| d.as_secs());
        assert_eq!(secs("90"), Ok(90));
        assert_eq!(secs("4d12h"), Ok(388_800));
        assert_eq!(secs("5m"), Ok(300));
        assert!(secs("5x").is_err() && secs("5m3").is_err() && secs("").is_err());
    }

    #[test]
    fn abbreviated_words_resolve_to_unique_commands() {
        let parse = |args: &[&str]| {
            let m = Cli::full_command()
                .try_get_matches_from(args)
                .expect("parses");
            Cli::from_arg_matches(&m).unwrap().command
        };
        assert!(matches!(
            parse(&["p", "show", "dom"]),
            Command::Show {
                what: Show::Domains(_)
            }
        ));
        assert!(matches!(
            parse(&["p", "sh", "domain", "a.com"]),
            Command::Show { what: Show::Domains(a) } if a.names == ["a.com"]
        ));
        assert!(matches!(
            parse(&["p", "sch", "*/*"]),
            Command::Schedule { .. }
        ));
        assert!(matches!(
            parse(&["p", "show", "topq"]),
            Command::Show {
                what: Show::Topqueues(_)
            }
        ));
        Cli::command().debug_assert();
    }
}
