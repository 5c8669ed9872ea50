//! Outbound delivery building blocks: the SMTP client, reply classification, local delivery
//! through a command, DKIM signing and DSN construction. The scheduler (`sched`, the daemon)
//! decides when and where; these modules do one attempt and report [`Outcome`]s.
//!
//! [`Outcome`]: crate::outcome::Outcome

pub mod classify;
pub mod client;
pub mod dkim;
pub mod local;

pub use client::{ClientConfig, Destination, SessionError, SessionInfo, SmtpConnection, TlsMode};
