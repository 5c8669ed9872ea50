//! The outbound side: from a queued recipient to its final state, mirror of [`crate::inbound`].
//!
//! It is here, not in [`crate::daemon`], because it is one concern with one data flow, built
//! on the daemon's shared state ([`crate::daemon::Shared`]); the run mode
//! (`cli::run_daemon`) starts [`run_engine`]. The lower layers it drives keep their own folders: the SMTP client and
//! local commands in [`crate::delivery`], the pure scheduling rules in [`crate::sched`], the
//! queue index in [`crate::queue`].
//!
//! Data flow: queue index -> [`scheduler`] (connection slots within the limits) ->
//! [`connection`] (DNS, connect, one message after the other, idle hand-over; DKIM from
//! [`dkim_signing`], merged queues from [`rollup`]) -> [`after_attempt`] (spool state,
//! accounting, logs, retry decision) -> [`dsn_builder`] (DSNs for bounced and delayed
//! recipients, queued like any message).
//!
//! Every step of a connection reads the queue it works for ([`crate::daemon::Context`]) and
//! the shared state of [`crate::daemon`]; the daemon never names this module (the rollup
//! table it keeps, the DKIM key rings its policies hold, the context, sit at or below it),
//! so the two do not import each other.

mod after_attempt;
mod connection;
mod dkim_signing;
mod dsn_builder;
mod rollup;
mod scheduler;

pub use scheduler::run_engine;
