//! pmtactl against a control server in this test process, over a real Unix socket: every
//! verb's output (plain, table, JSON with its schema pinned), exit codes 0/1/2/3, a closed
//! pipe, and peers the socket must refuse.

mod fixture;
mod output;
mod peers;

pub use fixture::{Fixture, Server};
pub use pmta_tests::output::{expect_code, json, stderr, stdout};
