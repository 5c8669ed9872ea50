//! The inbound SMTP server: listener, per-connection session state machine, and the source
//! and recipient-domain policy checks, over an [`Intake`] the daemon implements.
//!
//! Data flow: [`SmtpServer`] accepts a connection -> `session` (greeting, commands) ->
//! `session::mail_rcpt` (MAIL/RCPT policy) -> `session::data` (dot-unstuffing in `dot`, `X-Virtual-MTA`
//! handling in `headers`, our `Received:` from `received`) streamed into
//! [`Intake::begin`]'s [`Content`] -> [`Intake::store`] -> 250. SMTP AUTH is `auth` (the
//! exchange), `sasl` (PLAIN/LOGIN decoding) and `lockout` (failure rate per client address).

mod admission;
mod auth;
mod command;
mod conn;
mod dot;
mod from_rewrite;
mod headers;
mod intake;
mod listener;
mod lockout;
mod received;
mod sasl;
mod session;
pub mod tls;
mod traffic;

pub use admission::{Admission, GroupCount, GroupLimit, InboundLimits, Refusal};
pub use auth::printable;
pub use intake::{
    Content, Credentials, FailureRate, Intake, LookupError, RecipientRules, SourceRules, StoreError,
};
pub use listener::{BindError, ListenerConfig, SmtpServer};
pub use session::SessionLimits;
pub use traffic::{InboundCounts, InboundStats};
