//! Benchmarks as library code: each module measures one part of the MTA and returns a
//! [`Section`] of figures, so the `bench` runner (`cargo run --release -p pmta-tests --bin
//! bench -- all`) and the per-part entry points (`relay-bench`, `spool-bench`, `cargo bench
//! -p pmtad --bench …`) share one implementation and print the same table.
//!
//! Figures are CPU time where the machine is shared (read from /proc, which load does not
//! inflate) and wall-clock rates where the goal is a rate; every report carries the machine,
//! the date and the load average it ran under, so a figure is never quoted without them.

pub mod acct;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod control;
pub mod http_mgmt;
pub mod idle;
pub mod inbound;
pub mod measure;
pub mod relay;
pub mod relay_conn;
pub mod report;
pub mod returnpath;
pub mod rollup;
pub mod rpc;
pub mod smtp_client;
pub mod spool;

use std::path::PathBuf;
use std::str::FromStr;

pub use report::{Figure, Goal, Machine, Report, Section};

/// How big a run is: `Full` reproduces BENCHMARKS.md, `Quick` is a smaller run for a
/// first look, `Smoke` only proves every part runs and reports (tiny sizes, any build).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Full,
    Quick,
    Smoke,
}

impl Scale {
    /// Picks one of three sizes.
    pub fn pick<T>(self, full: T, quick: T, smoke: T) -> T {
        match self {
            Scale::Full => full,
            Scale::Quick => quick,
            Scale::Smoke => smoke,
        }
    }

    pub fn name(self) -> &'static str {
        self.pick("full", "quick", "smoke")
    }
}

/// One measurable part of the MTA, in the order `all` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Queue,
    Config,
    Intake,
    Recovery,
    Inbound,
    Relay,
    RelayConn,
    Cluster,
    SmtpClient,
    Control,
    Rpc,
    Acct,
    Http,
    Returnpath,
    Idle,
    Rollup,
}

impl Part {
    /// Queue first: its resident-memory figure is cleanest in a fresh process.
    pub const ALL: [Part; 16] = [
        Part::Queue,
        Part::Config,
        Part::Intake,
        Part::Recovery,
        Part::Inbound,
        Part::Relay,
        Part::RelayConn,
        Part::Cluster,
        Part::SmtpClient,
        Part::Control,
        Part::Rpc,
        Part::Acct,
        Part::Http,
        Part::Returnpath,
        Part::Idle,
        Part::Rollup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Part::Config => "config",
            Part::Intake => "intake",
            Part::Queue => "queue",
            Part::Recovery => "recovery",
            Part::Inbound => "inbound",
            Part::Relay => "relay",
            Part::RelayConn => "relay-conn",
            Part::Cluster => "cluster",
            Part::SmtpClient => "smtp-client",
            Part::Control => "control",
            Part::Rpc => "control-rpc",
            Part::Acct => "acct",
            Part::Http => "http",
            Part::Returnpath => "returnpath",
            Part::Idle => "idle",
            Part::Rollup => "rollup",
        }
    }

    /// Runs this part at `scale`.
    pub fn run(self, scale: Scale) -> anyhow::Result<Section> {
        match self {
            Part::Config => config::run(&config::Params::at(scale)),
            Part::Intake => spool::intake(&spool::IntakeParams::at(scale)),
            Part::Queue => spool::queue_memory(scale.pick(1_000_000, 200_000, 5_000)),
            Part::Recovery => spool::recovery(&spool::RecoveryParams::at(scale)),
            Part::Inbound => inbound::run(&inbound::Params::at(scale)),
            Part::Relay => relay::measure(&relay::Params::at(scale)),
            Part::RelayConn => relay_conn::measure(&relay_conn::Params::at(scale)),
            Part::Cluster => cluster::run(&relay_conn::Params::at(scale)),
            Part::SmtpClient => smtp_client::run(scale.pick(20_000, 5_000, 50)),
            Part::Control => control::run(&control::Params::at(scale)),
            Part::Rpc => rpc::run(&rpc::Params::at(scale)),
            Part::Acct => acct::run(scale.pick(300_000, 100_000, 2_000)),
            Part::Http => http_mgmt::run(&http_mgmt::Params::at(scale)),
            Part::Returnpath => returnpath::run(&returnpath::Params::at(scale)),
            Part::Idle => idle::run(&idle::Params::at(scale)),
            Part::Rollup => rollup::run(&rollup::Params::at(scale)),
        }
    }
}

impl FromStr for Part {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Part::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Part::ALL.iter().map(|p| p.name()).collect();
                format!("no benchmark {s:?}: one of all, {}", names.join(", "))
            })
    }
}

impl Part {
    /// Part names as the runner takes them: `all` for every part, in order.
    pub fn parse_list(names: &[String]) -> Result<Vec<Part>, String> {
        let mut parts = Vec::new();
        for name in names {
            match name.as_str() {
                "all" => parts.extend(Part::ALL),
                one => parts.push(one.parse()?),
            }
        }
        Ok(parts)
    }
}

/// Runs `parts` in order, each announced on stderr as it starts (stdout stays the table).
/// A part that fails is reported as failed and the others still run.
pub fn run_parts(parts: &[Part], scale: Scale) -> Report {
    let mut report = Report::new(scale);
    for part in parts {
        eprintln!("bench: running {} ({} run)", part.name(), scale.name());
        report.push(part.name(), part.run(scale));
    }
    report.finish();
    report
}

/// A workspace binary of the same profile as this code: release binaries for measuring,
/// debug ones when the runner itself is a debug build (the smoke test). `PMTA_BENCH_BINS=DIR`
/// takes them from DIR as they are, without a build: to compare two saved builds in
/// alternating runs on the same machine while the tree changes.
pub fn workspace_bin(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("PMTA_BENCH_BINS") {
        PathBuf::from(dir).join(name)
    } else if cfg!(debug_assertions) {
        crate::daemon::bin(name)
    } else {
        crate::daemon::release_bin(name)
    }
}
