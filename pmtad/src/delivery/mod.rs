//! Outbound delivery building blocks: the SMTP client, reply classification, local delivery
//! through a command and the DKIM signer. They know nothing of queues: [`crate::outbound`]
//! (the scheduler, the connection loop, outcome application, DSN construction, the DKIM key
//! rings per virtual MTA) decides when and where, with the rules of [`crate::sched`]; these
//! modules do one attempt and report [`Outcome`]s.
//!
//! [`Outcome`]: crate::outcome::Outcome

pub mod classify;
pub mod client;
pub mod dkim;
pub mod local;

pub use client::{ClientConfig, Destination, SessionError, SessionInfo, SmtpConnection, TlsMode};
