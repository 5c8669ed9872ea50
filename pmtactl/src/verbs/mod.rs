//! One module per verb family; [`run`] dispatches the parsed command line.

mod actions;
mod cluster;
mod config;
mod jobs;
mod reports;
pub use config::print_check;
mod detail;
mod listings;
mod recipients;
mod settings;
mod status;
mod tail;
mod version;

use std::path::PathBuf;
use std::time::Duration;

use actions::Action;

use crate::cli::{
    Cli, Command, DeleteArgs, DomainCmd, QueueTarget, SetCmd, Show, TailCmd, TestCmd,
};
use crate::client::Session;
use crate::error::CliError;
use crate::render::Out;

/// Runs the command; verbs that need no daemon never connect. `test config` checks FILE,
/// else the `--config` file, locally; only `test config` alone asks the daemon about the
/// file it runs on.
pub async fn run(cli: &Cli, out: &mut Out) -> Result<(), CliError> {
    if let Command::Test {
        what: TestCmd::Config { file },
    } = &cli.command
        && let Some(file) = file.as_ref().or(cli.config.as_ref())
    {
        return crate::local::test_config(file, out);
    }
    let session = Session::open(&socket(cli)?, Duration::from_secs(cli.timeout)).await;
    if let Command::Version
    | Command::Show {
        what: Show::Version,
    } = &cli.command
    {
        // Our own version is worth printing even when the daemon is down.
        version::client_line(out)?;
    }
    dispatch(&cli.command, &session?, out).await
}

/// The socket: `--socket`, else the `--config` file's control-socket, else the default.
fn socket(cli: &Cli) -> Result<PathBuf, CliError> {
    match (&cli.socket, &cli.config) {
        (Some(path), _) => Ok(path.clone()),
        (None, Some(config)) => crate::local::control_socket(config),
        (None, None) => Ok(PathBuf::from(proto::DEFAULT_SOCKET)),
    }
}

async fn dispatch(command: &Command, s: &Session, out: &mut Out) -> Result<(), CliError> {
    match command {
        Command::Show { what } => show(what, s, out).await,
        Command::Domain {
            what: DomainCmd::Detail { name, settings },
        } => {
            let want = detail::Sections {
                settings: *settings,
                ..Default::default()
            };
            detail::run(s, out, name, want).await
        }
        Command::Reload => config::reload(s, out).await,
        Command::Test {
            what: TestCmd::Config { .. },
        } => config::test_remote(s, out).await,
        Command::Pause {
            what: QueueTarget::Queue { pattern, cluster },
        } => match cluster {
            true => cluster::pause(s, out, pattern, true).await,
            false => actions::run(s, out, Action::Pause, pattern).await,
        },
        Command::Resume {
            what: QueueTarget::Queue { pattern, cluster },
        } => match cluster {
            true => cluster::pause(s, out, pattern, false).await,
            false => actions::run(s, out, Action::Resume, pattern).await,
        },
        Command::Pause {
            what: QueueTarget::Job { id },
        } => jobs::pause(s, out, id, true).await,
        Command::Resume {
            what: QueueTarget::Job { id },
        } => jobs::pause(s, out, id, false).await,
        Command::Delete(DeleteArgs {
            job: Some(job),
            queue: None,
            ..
        }) => jobs::delete(s, out, job).await,
        Command::Schedule { pattern } => actions::run(s, out, Action::Schedule, pattern).await,
        Command::Set {
            what: SetCmd::Queue { mode, pattern },
        } => actions::run(s, out, Action::SetMode(mode.to_proto()), pattern).await,
        Command::Delete(a) => recipients::delete(s, out, a).await,
        Command::List(a) => recipients::list(s, out, a).await,
        Command::Tail {
            what: TailCmd::Logs(a),
        } => tail::run(s, out, a).await,
        Command::Version => version::run(s, out).await,
    }
}

async fn show(what: &Show, s: &Session, out: &mut Out) -> Result<(), CliError> {
    match what {
        Show::Status => status::run(s, out).await,
        Show::Domains(a) if a.errors => {
            let want = detail::Sections {
                errors_only: true,
                ..Default::default()
            };
            for name in &a.names {
                detail::run(s, out, name, want).await?;
            }
            Ok(())
        }
        Show::Domains(a) => listings::domains(s, out, a, false).await,
        Show::Topdomains(a) => listings::domains(s, out, a, true).await,
        Show::Queues(a) => listings::queues(s, out, a, false).await,
        Show::Topqueues(a) => listings::queues(s, out, a, true).await,
        Show::Vmtas(a) => listings::vmtas(s, out, a).await,
        Show::Paused => actions::paused(s, out).await,
        Show::Cluster => cluster::show(s, out).await,
        Show::Jobs => jobs::list(s, out).await,
        Show::Bounces(a) => reports::run(s, out, a, false).await,
        Show::Feedback(a) => reports::run(s, out, a, true).await,
        Show::Job { id } => jobs::show(s, out, id).await,
        Show::Settings { queue } => settings::run(s, out, queue).await,
        Show::Version => version::run(s, out).await,
    }
}
