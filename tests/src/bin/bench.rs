//! bench: every figure of BENCHMARKS.md from one command, printed as a table (or JSON) under
//! a header naming the machine, the date and the load average.
//!
//! `cargo run --release -p pmta-tests --bin bench -- all` (or one or more parts:
//! `-- relay config`; `--quick` for smaller sizes, `--smoke` for tiny ones, `--json`).
//! The measurements live in `pmta_tests::bench`; the per-part entry points (`relay-bench`,
//! `spool-bench`, `cargo bench -p pmtad --bench …`) run the same code.

use clap::Parser;
use pmta_tests::bench::{Part, Scale, run_parts};

#[derive(Parser)]
#[command(name = "bench", about = "Reproduce the figures of BENCHMARKS.md")]
struct Args {
    /// Parts to run: all, queue, config, intake, recovery, inbound, relay, relay-conn, cluster,
    /// smtp-client, control, control-rpc, acct, http.
    #[arg(default_value = "all")]
    parts: Vec<String>,
    /// Smaller sizes (a first look in about a minute; recovery of 100,000 messages).
    #[arg(long, conflicts_with = "smoke")]
    quick: bool,
    /// Tiny sizes: proves every part runs and reports; its figures mean nothing.
    #[arg(long)]
    smoke: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let parts = Part::parse_list(&args.parts).map_err(anyhow::Error::msg)?;
    let scale = match (args.quick, args.smoke) {
        (_, true) => Scale::Smoke,
        (true, _) => Scale::Quick,
        _ => Scale::Full,
    };
    let report = run_parts(&parts, scale);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.json())?);
    } else {
        print!("{}", report.table());
    }
    if !report.ok() {
        eprintln!("bench: some parts failed (see above)");
        std::process::exit(1);
    }
    Ok(())
}
