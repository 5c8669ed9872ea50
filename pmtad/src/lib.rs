//! pmtad: the daemon as a library, so tests and benchmarks drive the same code the binary runs.
#![forbid(unsafe_code)]

pub mod dns;
pub mod envelope;
pub mod outcome;
pub mod sched;
