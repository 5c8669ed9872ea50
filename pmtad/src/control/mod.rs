//! The control socket: pmtactl's way into the daemon.
//!
//! [`ControlSocket::bind`] creates the Unix socket (`control-socket PATH`, mode 0660), replacing
//! a stale one but refusing to start when another daemon still answers on it.
//! [`ControlSocket::serve`] runs the tarpc [`proto::Control`] service over it; every handler
//! is a thin adapter over a [`Backend`], which the daemon implements over its real state
//! (queues, spool, config, logs). Keeping the adapter thin keeps the protocol and the daemon
//! independently testable: the component tests here use a fixed-data backend.

mod backend_api;
mod bind;
mod handlers;
#[cfg(test)]
mod tests;
pub mod to_proto;

pub use backend_api::{Backend, not_in_fleet};
pub use bind::{ControlSocket, ControlSocketError};
pub use handlers::TAIL_DEADLINE_MARGIN;
pub(crate) use handlers::{domain_list, queue_list, vmta_list};
