//! Control-plane benchmark against a real pmtad with 10,000 domains queued, timed through
//! the pmtactl binary.
//!
//! `cargo run --release -p pmta-tests --example control-bench [DOMAINS] [RUNS]` (defaults
//! 10000 30); the same measurement as `cargo run --release -p pmta-tests --bin bench --
//! control` (`pmta_tests::bench::control`).

use pmta_tests::bench::{Report, Scale, control};

fn main() {
    let mut args = std::env::args().skip(1).filter_map(|a| a.parse().ok());
    let mut p = control::Params::at(Scale::Full);
    p.domains = args.next().unwrap_or(p.domains);
    p.runs = args.next().unwrap_or(p.runs);
    let report = Report::single(Scale::Full, "control", control::run(&p));
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
