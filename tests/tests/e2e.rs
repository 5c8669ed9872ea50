//! End-to-end tests (one binary, modules per area).
mod bench_smoke;
mod config_cli;
mod control;
mod delivery;
mod http;
mod pmtactl;
mod source_layout;
