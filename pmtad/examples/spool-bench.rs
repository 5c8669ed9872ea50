//! spool-bench: intake, recovery and queue-memory figures of the spool and queue index.
//!
//! `cargo run --release -p pmtad --example spool-bench -- [--writers 50] [--size 2048]
//!  [--seconds 10] [--recover 1000000] [--queue 1000000] [--dir D] [--reopen-only]`;
//! the same measurements as `cargo run --release -p pmta-tests --bin bench -- queue intake
//! recovery` (`pmta_tests::bench::spool`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use pmta_tests::bench::{Report, Scale, Section, spool};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 50)]
    writers: usize,
    #[arg(long, default_value_t = 2048)]
    size: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Live messages for the recovery measurement (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    recover: usize,
    /// Recipients for the queue memory measurement (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    queue: usize,
    /// Spool directory (default: a temporary directory under /var/tmp).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only time opening the existing spool at `--dir` (cold, then warm).
    #[arg(long)]
    reopen_only: bool,
}

fn reopen_only(dir: Option<PathBuf>) -> anyhow::Result<Section> {
    let dir = dir.ok_or_else(|| anyhow::anyhow!("--reopen-only needs --dir"))?;
    let mut s = Section::new("recovery", format!("Spool::open of {}", dir.display()));
    spool::reopen_figures(&mut s, &dir, true)?;
    Ok(s)
}

fn main() {
    let args = Args::parse();
    let mut report = Report::new(Scale::Full);
    if args.reopen_only {
        report.push("recovery", reopen_only(args.dir));
    } else {
        if args.queue > 0 {
            report.push("queue", spool::queue_memory(args.queue));
        }
        let intake = spool::IntakeParams {
            writers: args.writers,
            size: args.size,
            duration: Duration::from_secs(args.seconds),
            dir: args.dir.clone(),
        };
        report.push("intake", spool::intake(&intake));
        if args.recover > 0 {
            let recovery = spool::RecoveryParams {
                messages: args.recover,
                size: args.size,
                drop_caches: true,
                dir: args.dir,
            };
            report.push("recovery", spool::recovery(&recovery));
        }
    }
    report.finish();
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
