//! End-to-end relay benchmark: injector -> pmtad (release, durable spool) -> SMTP sinks.
//!
//! `cargo run --release -p pmta-tests --bin relay-bench -- [MESSAGES] [SESSIONS]`
//!
//! The measurement is `pmta_tests::bench::relay` (also run by `bench -- relay`).

use pmta_tests::bench::relay;
use pmta_tests::daemon::release_bin;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let total = args.first().copied().unwrap_or(20_000);
    let sessions = args.get(1).copied().unwrap_or(50);
    let pmtad_bin = release_bin("pmtad");
    println!("relay-bench: {total} messages of 2 KiB, {sessions} sessions, 3 domains");
    println!(
        "{:<14} {:>10} {:>12} {:>14}",
        "accounting", "msgs/s", "wall s", "CPU ms/msg"
    );
    for acct in [false, true] {
        let r = relay::run(&pmtad_bin, total, sessions, acct).await?;
        println!(
            "{:<14} {:>10.0} {:>12.2} {:>14.4}",
            if acct { "acct d,b" } else { "none" },
            r.0,
            r.1,
            r.2
        );
    }
    Ok(())
}
