//! Shared fixtures for the end-to-end tests: a DNS server, SMTP sinks, pmtad processes.

pub mod bench;
pub mod certs;
pub mod daemon;
pub mod dns;
pub mod http;
pub mod inject;
pub mod output;
pub mod redis;
pub mod sink;

pub use certs::TestCa;
pub use dns::{TestDns, TestDnsBuilder, TestDnsError};
pub use sink::{Action, Phase, Received, SinkState, SmtpSink, reply};
