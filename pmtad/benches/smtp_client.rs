//! SMTP client benchmark: messages per second over loopback and the client's CPU per message.
//!
//! `cargo bench -p pmtad --bench smtp_client [-- MESSAGES]` (default 20000 per scenario);
//! the same measurement as `cargo run --release -p pmta-tests --bin bench -- smtp-client`
//! (`pmta_tests::bench::smtp_client`).

use pmta_tests::bench::{Report, Scale, smtp_client};

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let report = Report::single(Scale::Full, "smtp-client", smtp_client::run(n));
    print!("{}", report.table());
    std::process::exit(i32::from(!report.ok()));
}
