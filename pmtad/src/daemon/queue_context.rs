//! The queue an outbound connection works for, read by every step of the connection (fleet
//! lease, rollup, DKIM, outcome application).
//!
//! It is a view of the daemon's state of one queue, so it sits with that state, below the
//! outbound side: the fleet wiring here and every module of [`crate::outbound`] name it
//! without importing one another (it used to sit with the outcome application, which tied
//! DKIM signing to it and through the policies back to DKIM).

use std::sync::Arc;

use config::QueuePolicy;

use super::Shared;
use crate::queue::QueueId;

/// The queue a connection works for.
#[derive(Debug, Clone)]
pub struct Context {
    pub q: QueueId,
    pub domain: Arc<str>,
    pub vmta: Arc<str>,
    pub policy: Arc<QueuePolicy>,
}

impl Context {
    pub fn of(shared: &Shared, q: QueueId) -> Self {
        let policies = shared.policies();
        let mut st = shared.state();
        let (domain, vmta) = st.index.names_of(q);
        let (domain, vmta) = (domain.clone(), vmta.clone());
        let policy = st.rt(q, &policies).policy.clone();
        Context {
            q,
            domain,
            vmta,
            policy,
        }
    }
}
