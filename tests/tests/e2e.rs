//! End-to-end tests (one binary, modules per area).
mod config_cli;
mod delivery;
mod pmtactl;
