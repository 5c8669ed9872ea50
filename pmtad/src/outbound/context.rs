//! The queue a connection works for, read by every step of the connection (fleet lease,
//! rollup, DKIM, outcome application).
//!
//! It lives in a module of its own, below all of them, so that none of those steps has to
//! import another to name it (it used to sit with the outcome application, which tied DKIM
//! signing to it and through the policies back to DKIM).

use std::sync::Arc;

use config::QueuePolicy;

use crate::daemon::Shared;
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
