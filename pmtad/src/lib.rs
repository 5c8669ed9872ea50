//! pmtad: the daemon as a library, so tests and benchmarks drive the same code the binary runs.
//!
//! # Layout
//!
//! Modules import downwards only (`tests/tests/source_layout` checks that no two import each
//! other, and that no two share a name), roughly from the command line to the leaves:
//!
//! * [`cli`]: the command line; its run mode (`cli::run_daemon`) starts everything below.
//! * [`outbound`]: delivery of queued mail (scheduler, connection loop, outcome application,
//!   DSNs), over the daemon's shared state.
//! * [`daemon`]: the shared state ([`daemon::Shared`]), start-up and reload, the inbound side's
//!   storage, jobs, pauses, warm-up, the fleet wiring and the control verbs.
//! * The sides and services the daemon wires: [`inbound`] (the SMTP server, over the
//!   [`inbound::Intake`] trait), [`control`] and [`http`] (management), [`returnpath`]
//!   (bounce and complaint reports), [`cluster`] (the fleet on Redis).
//! * The parts they use: [`delivery`] (SMTP client, local commands, DKIM), [`sched`]
//!   (pure scheduling rules), [`queue`] (the queue index), [`spool`], [`acct`], [`logs`],
//!   [`dns`], [`metrics`], [`lifecycle`] (signals).
//! * Small shared pieces: [`envelope`], [`outcome`], [`enhanced_status`], [`bouncecat`], [`dir_probe`],
//!   [`locks`] (the one lock-poisoning policy).
#![forbid(unsafe_code)]

pub mod acct;
pub mod bouncecat;
pub mod cli;
pub mod cluster;
pub mod control;
pub mod daemon;
pub mod delivery;
pub mod dir_probe;
pub mod dns;
pub mod enhanced_status;
pub mod envelope;
pub mod http;
pub mod inbound;
pub mod lifecycle;
pub mod locks;
pub mod logs;
pub mod metrics;
pub mod outbound;
pub mod outcome;
pub mod queue;
pub mod returnpath;
pub mod sched;
pub mod spool;
