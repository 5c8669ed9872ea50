//! End-to-end tests (one binary, modules per area).
mod config_cli;
mod control;
mod delivery;
mod pmtactl;
