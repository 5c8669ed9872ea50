//! Logs: the main log, per-domain delivery logs and the recent-events ring behind
//! `pmtactl tail logs`.

pub mod clock;
