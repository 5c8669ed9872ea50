//! The control protocol between `pmtactl` and `pmtad`.
//!
//! One `#[tarpc::service]` ([`Control`]) with a method per pmtactl verb, the request and
//! response types (their serde form is also pmtactl's `--json` output, so they are a public,
//! stable schema), an error enum that travels ([`ControlError`]), and the Unix-socket helpers
//! ([`socket::connect`], [`socket::serve`]) that both ends use, so framing and codec can never
//! disagree.
//!
//! # Stability rules
//! The wire codec is bincode, which is positional: a field added, removed or reordered in any
//! type, or a method added anywhere but at the end of [`Control`], changes the protocol. Such
//! a change must bump [`PROTOCOL_VERSION`]. `hello` is the first method and its types are
//! frozen, so a client of any version can always ask which protocol the daemon speaks.
//! Types that travel use only plain structs and externally tagged enums (no `flatten`, no
//! internally tagged enums, no `skip_serializing_if`): bincode cannot encode the others.
#![forbid(unsafe_code)]

mod error;
mod pattern;
mod service;
pub mod socket;
pub mod time;
mod types;

pub use error::ControlError;
pub use pattern::{PatternError, QueueName, QueuePattern};
pub use service::{Control, ControlClient, ControlRequest, ControlResponse, ServeControl};
pub use types::*;

/// Version of the wire protocol; bumped on every incompatible change of [`Control`] or its types.
pub const PROTOCOL_VERSION: u32 = 9;

/// Where pmtad listens and pmtactl connects when neither the config nor `--socket` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/pmtad/control.sock";
