//! Accounting writer benchmark: records per second and CPU per record.
//!
//! `cargo bench -p pmtad --bench acct [-- RECORDS]` (default 300000 records); the same
//! measurement as `cargo run --release -p pmta-tests --bin bench -- acct`
//! (`pmta_tests::bench::acct`).

use pmta_tests::bench::{Report, Scale, acct};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let report = Report::single(Scale::Full, "acct", acct::run(n));
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
