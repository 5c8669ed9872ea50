//! Delivery end to end: a real pmtad process relays injected mail to SMTP sinks found
//! through the test's own DNS server, under the per-domain policy of its config.

mod acct_pipe;
mod auth;
mod categories;
mod connections;
mod crash;
mod delay;
mod dialogue;
mod dkim;
mod fleet;
mod fleet_fallback;
mod fleet_rate;
mod fleet_tls;
mod harness;
mod idle;
mod inbound_tls;
mod jobs;
mod limits;
mod patterns;
mod policy;
mod relay;
mod returnpath;
mod rollup;
mod select;
mod space;
mod vocab;
mod warmup;
