//! Which queue a recipient domain's mail joins: its `queue-to`, else the rollup its MX hosts
//! were last seen to match, else its own (`Routes`, [`route`]).
//!
//! The table is the daemon's state, read by intake and the control verbs; the outbound side
//! learns and checks rollup membership at delivery time (`outbound::rollup`) and writes it
//! here.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Policies;
use crate::queue::Route;

/// Where domains' mail is queued when not in their own queue (learnt, not configured).
#[derive(Debug, Default)]
pub struct Routes {
    /// Recipient domain -> rollup name, from the domain's last MX answer.
    rollup_of: HashMap<Arc<str>, Arc<str>>,
    /// Queue names that hold other domains' mail (rollups and `queue-to` targets seen).
    merged: HashSet<Arc<str>>,
}

impl Routes {
    /// The rollup `domain` (lower case) was last seen to belong to.
    pub fn rollup_of(&self, domain: &str) -> Option<&Arc<str>> {
        self.rollup_of.get(domain)
    }

    /// True for a queue name that holds other domains' mail.
    pub fn is_merged(&self, queue_domain: &str) -> bool {
        self.merged.contains(queue_domain)
    }

    pub(crate) fn mark_merged(&mut self, name: &Arc<str>) {
        if !self.merged.contains(name) {
            self.merged.insert(name.clone());
        }
    }

    /// Records `domain` as a member of `rollup` (None: of none).
    pub fn set(&mut self, domain: &str, rollup: Option<&str>) {
        match rollup {
            Some(r) => {
                let r: Arc<str> = Arc::from(r);
                self.mark_merged(&r);
                self.rollup_of.insert(Arc::from(domain), r);
            }
            None => {
                self.rollup_of.remove(domain);
            }
        }
    }

    /// The domains last seen to belong to `rollup`, sorted.
    pub fn members(&self, rollup: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .rollup_of
            .iter()
            .filter(|(_, r)| r.as_ref() == rollup)
            .map(|(d, _)| d.to_string())
            .collect();
        out.sort_unstable();
        out
    }
}

/// The queue (domain part) that mail for `domain` (lower case) through `vmta` joins:
/// `queue-to`, else the rollup learnt for it (unless `disable-mx-rollup`), else its own.
pub fn route(policies: &Policies, routes: &mut Routes, domain: &str, vmta: &str) -> Route {
    if !policies.merges {
        return Route::default();
    }
    let policy = policies.queue(domain, vmta);
    if let Some(target) = &policy.queue_to {
        let target: Arc<str> = Arc::from(target.as_str());
        routes.mark_merged(&target);
        return Route {
            domain: Some(target),
            vmta: None,
        };
    }
    if policy.disable_mx_rollup {
        return Route::default();
    }
    Route {
        domain: routes.rollup_of(domain).cloned(),
        vmta: None,
    }
}
