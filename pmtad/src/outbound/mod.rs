//! The outbound side: from a queued recipient to its final state, mirror of [`crate::inbound`].
//!
//! It is here, not in [`crate::daemon`], because it is one concern with one data flow; the
//! daemon only wires it to the shared state ([`crate::daemon::Shared`]) and starts
//! [`run_engine`]. The lower layers it drives keep their own folders: the SMTP client and
//! local commands in [`crate::delivery`], the pure scheduling rules in [`crate::sched`], the
//! queue index in [`crate::queue`].
//!
//! Data flow: queue index -> [`scheduler`] (connection slots within the limits) ->
//! [`connection`] (DNS, connect, one message after the other, idle hand-over; DKIM from
//! [`dkim_signing`], merged queues from [`rollup`]) -> [`after_attempt`] (spool state,
//! accounting, logs, retry decision) -> [`dsn_builder`] (DSNs for bounced and delayed
//! recipients, queued like any message).
//!
//! [`context`] holds the queue a connection works for; it sits below every other module
//! here because each step of a connection reads it, so none of them imports another's.

mod after_attempt;
mod connection;
pub(crate) mod context;
pub(crate) mod dkim_signing;
mod dsn_builder;
pub(crate) mod rollup;
mod scheduler;

pub use rollup::{Routes, route};
pub use scheduler::run_engine;
