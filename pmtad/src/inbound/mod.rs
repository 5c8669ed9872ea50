//! The inbound SMTP server: listener, per-connection session state machine, and the source
//! and recipient-domain policy checks, over an [`Intake`] the daemon implements.
//!
//! Data flow: [`SmtpServer`] accepts a connection -> `session` (greeting, commands) ->
//! `transaction` (MAIL/RCPT policy) -> `data` (dot-unstuffing in `dot`, `X-Virtual-MTA`
//! handling in `headers`, our `Received:` from `received`) streamed into
//! [`Intake::begin`]'s [`Content`] -> [`Intake::store`] -> 250.

mod command;
mod conn;
mod data;
mod dot;
mod headers;
mod intake;
mod listener;
mod received;
mod session;
pub mod tls;
mod transaction;

pub use intake::{Content, Intake, LookupError, RecipientRules, SourceRules, StoreError};
pub use listener::{
    BindError, InboundCounts, InboundStats, ListenerConfig, SessionLimits, SmtpServer,
};
