//! pmtad: the daemon as a library, so tests and benchmarks drive the same code the binary runs.
#![forbid(unsafe_code)]

pub mod acct;
pub mod bouncecat;
pub mod cli;
pub mod cluster;
pub mod control;
pub mod daemon;
pub mod delivery;
pub mod dir_probe;
pub mod dns;
pub mod enhanced_status;
pub mod envelope;
pub mod http;
pub mod inbound;
pub mod lifecycle;
pub mod locks;
pub mod logs;
pub mod metrics;
pub mod outbound;
pub mod outcome;
pub mod queue;
pub mod returnpath;
pub mod sched;
pub mod spool;
