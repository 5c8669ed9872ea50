//! Inbound SMTP server benchmark: how fast `pmtad::inbound` takes mail, protocol side only.
//!
//! `cargo bench -p pmtad --bench inbound [-- SESSIONS MESSAGES_PER_SESSION SIZE]`
//! (defaults 50 200 2048); the same measurement as `cargo run --release -p pmta-tests --bin
//! bench -- inbound` (`pmta_tests::bench::inbound`).

use pmta_tests::bench::{Report, Scale, inbound};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let mut p = inbound::Params::at(Scale::Full);
    p.sessions = args.first().copied().unwrap_or(p.sessions);
    p.per_session = args.get(1).copied().unwrap_or(p.per_session);
    p.size = args.get(2).copied().unwrap_or(p.size);
    let report = Report::single(Scale::Full, "inbound", inbound::run(&p));
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
