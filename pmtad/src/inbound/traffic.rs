//! What the SMTP server counts for `show status` (connections and traffic in).
//!
//! The listener counts connections and the sessions count messages, so the counters sit in a
//! module of their own below both rather than in either.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::admission::Admission;

/// Counters for `show status` (connections in, traffic in).
#[derive(Debug, Default)]
pub struct InboundStats {
    pub(super) active: AtomicU64,
    pub(super) sessions: AtomicU64,
    pub(super) refused: AtomicU64,
    pub(super) messages: AtomicU64,
    pub(super) recipients: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) tls_handshakes: AtomicU64,
    pub(super) admission: Arc<Admission>,
}

/// A snapshot of [`InboundStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InboundCounts {
    /// Sessions open right now.
    pub active: u64,
    /// Sessions accepted since start.
    pub sessions: u64,
    /// Connections turned away (421 4.3.2) by `total-max-smtp-in` or a `<source-group>`.
    pub refused: u64,
    pub messages: u64,
    pub recipients: u64,
    pub bytes: u64,
    /// STARTTLS handshakes completed.
    pub tls_handshakes: u64,
}

impl InboundStats {
    pub fn snapshot(&self) -> InboundCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        InboundCounts {
            active: get(&self.active),
            sessions: get(&self.sessions),
            refused: get(&self.refused),
            messages: get(&self.messages),
            recipients: get(&self.recipients),
            bytes: get(&self.bytes),
            tls_handshakes: get(&self.tls_handshakes),
        }
    }

    /// The live connection counts (total and per `<source-group>`).
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    pub(crate) fn tls_handshake(&self) {
        self.tls_handshakes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn accepted(&self, recipients: u64, bytes: u64) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.recipients.fetch_add(recipients, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}
