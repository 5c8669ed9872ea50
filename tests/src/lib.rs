//! Shared fixtures for the end-to-end tests: a DNS server, SMTP sinks, pmtad processes.

pub mod daemon;
pub mod dns;
pub mod inject;

pub use dns::{TestDns, TestDnsBuilder, TestDnsError};
