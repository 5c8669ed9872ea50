//! Component tests of the inbound SMTP server over real TCP on loopback.

mod auth;
mod dialogue;
mod harness;
mod jobs;
mod policy;
mod robustness;
mod spooled;
mod starttls;
