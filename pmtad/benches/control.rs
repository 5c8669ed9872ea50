//! Control-plane benchmark with a synthetic backend: `show domains` over 10,000 domains and
//! `domain detail`, through the real socket, server and client, and the pmtactl CLI.
//!
//! `cargo bench -p pmtad --bench control [-- N]` (N domains, default 10000); the same
//! measurement as `cargo run --release -p pmta-tests --bin bench -- control-rpc`
//! (`pmta_tests::bench::rpc`).

use pmta_tests::bench::{Report, Scale, rpc};

fn main() {
    let mut p = rpc::Params::at(Scale::Full);
    p.domains = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(p.domains);
    let report = Report::single(Scale::Full, "control-rpc", rpc::run(&p));
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
