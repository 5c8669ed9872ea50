//! Inbound connection admission: `total-max-smtp-in` and each `<source-group>`'s
//! `max-smtp-in` / `reserved-smtp-in`, decided in the accept loop before a session exists.
//!
//! A connection that does not fit is told `421 4.3.2` and closed by the listener; one that
//! fits holds a [`Ticket`] for its lifetime. The limits are read at each accept from the
//! daemon's current configuration, so a reload changes them for the next connection and
//! never cuts an open one (counts are kept by group name across reloads).
//!
//! Reservations: the slots all groups reserve are kept out of the shared pool. A connection
//! of a group below its reservation always fits (under `total-max-smtp-in`, since the
//! reservations fit in it); any other takes a shared slot, of which there are
//! `total - sum(reserved)`, used by every connection not counted in a reservation.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// One group's limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupLimit {
    /// `max-smtp-in` (None: unlimited).
    pub max: Option<usize>,
    /// `reserved-smtp-in`.
    pub reserved: usize,
}

/// The limits in force: the total and each group's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundLimits {
    /// `total-max-smtp-in`.
    pub total: usize,
    pub groups: BTreeMap<String, GroupLimit>,
}

impl InboundLimits {
    /// Only a total, no groups.
    pub fn total(total: usize) -> Self {
        InboundLimits {
            total,
            groups: BTreeMap::new(),
        }
    }

    fn reserved(&self) -> usize {
        self.groups.values().map(|g| g.reserved).sum()
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `total-max-smtp-in` reached.
    Total,
    /// The group's `max-smtp-in` reached.
    Group,
    /// Only slots other groups reserve are left.
    Reserved,
}

/// Connections of one group now, the most at once, and those refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCount {
    pub active: usize,
    pub top: usize,
    pub refused: u64,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    groups: HashMap<String, GroupCount>,
}

/// The live counts of one listener (all its addresses).
#[derive(Debug, Default)]
pub struct Admission {
    counts: Mutex<Counts>,
    /// Woken when the last connection closes (the drain at shutdown waits on it).
    empty: Notify,
}

/// A connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    group: Option<String>,
}

impl Admission {
    fn lock(&self) -> MutexGuard<'_, Counts> {
        crate::locks::lock(&self.counts)
    }

    /// Takes a place for a connection of `group` under `limits`, or says why there is none.
    pub fn admit(
        self: &Arc<Self>,
        limits: &InboundLimits,
        group: Option<&str>,
    ) -> Result<Ticket, Refusal> {
        let mut counts = self.lock();
        let verdict = check(&counts, limits, group);
        let entry = group.map(|g| {
            if !counts.groups.contains_key(g) {
                counts.groups.insert(g.to_string(), GroupCount::default());
            }
            counts.groups.get_mut(g).expect("just inserted")
        });
        if let Err(why) = verdict {
            if let Some(e) = entry {
                e.refused += 1;
            }
            return Err(why);
        }
        if let Some(e) = entry {
            e.active += 1;
            e.top = e.top.max(e.active);
        }
        counts.total += 1;
        Ok(Ticket {
            admission: self.clone(),
            group: group.map(str::to_string),
        })
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.lock().total
    }

    /// Each group's counts (groups seen since start, by name).
    pub fn groups(&self) -> BTreeMap<String, GroupCount> {
        let counts = self.lock();
        counts.groups.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Resolves once no connection is open.
    pub async fn drained(&self) {
        loop {
            let notified = self.empty.notified();
            if self.active() == 0 {
                return;
            }
            notified.await;
        }
    }

    fn release(&self, group: Option<&str>) {
        let mut counts = self.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(g) = group.and_then(|g| counts.groups.get_mut(g)) {
            g.active = g.active.saturating_sub(1);
        }
        if counts.total == 0 {
            self.empty.notify_waiters();
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self.group.as_deref());
    }
}

/// Whether one more connection of `group` fits.
fn check(counts: &Counts, limits: &InboundLimits, group: Option<&str>) -> Result<(), Refusal> {
    if counts.total >= limits.total {
        return Err(Refusal::Total);
    }
    let active = |g: &str| counts.groups.get(g).map_or(0, |c| c.active);
    let own = group.and_then(|g| limits.groups.get(g).map(|l| (active(g), *l)));
    if let Some((n, limit)) = own {
        if limit.max.is_some_and(|max| n >= max) {
            return Err(Refusal::Group);
        }
        if n < limit.reserved {
            return Ok(());
        }
    }
    let in_reservations: usize = limits
        .groups
        .iter()
        .map(|(g, l)| active(g).min(l.reserved))
        .sum();
    let shared_used = counts.total - in_reservations.min(counts.total);
    if shared_used >= limits.total.saturating_sub(limits.reserved()) {
        return Err(Refusal::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, groups: &[(&str, Option<usize>, usize)]) -> InboundLimits {
        InboundLimits {
            total,
            groups: groups
                .iter()
                .map(|&(n, max, reserved)| (n.to_string(), GroupLimit { max, reserved }))
                .collect(),
        }
    }

    #[test]
    fn a_group_is_capped_and_freed() {
        let a = Arc::new(Admission::default());
        let l = limits(10, &[("g", Some(2), 0)]);
        let t1 = a.admit(&l, Some("g")).unwrap();
        let _t2 = a.admit(&l, Some("g")).unwrap();
        assert_eq!(a.admit(&l, Some("g")).unwrap_err(), Refusal::Group);
        let _other = a.admit(&l, None).unwrap();
        drop(t1);
        let _t3 = a.admit(&l, Some("g")).unwrap();
        let g = a.groups()["g"];
        assert_eq!((g.active, g.top, g.refused), (2, 2, 1));
        assert_eq!(a.active(), 3);
    }

    #[test]
    fn the_total_holds_for_everyone() {
        let a = Arc::new(Admission::default());
        let l = limits(2, &[]);
        let _t: Vec<_> = (0..2).map(|_| a.admit(&l, None).unwrap()).collect();
        assert_eq!(a.admit(&l, None).unwrap_err(), Refusal::Total);
    }

    #[test]
    fn reserved_slots_are_kept_for_their_group() {
        let a = Arc::new(Admission::default());
        let l = limits(4, &[("feeders", None, 2)]);
        let _others: Vec<_> = (0..2).map(|_| a.admit(&l, None).unwrap()).collect();
        assert_eq!(a.admit(&l, None).unwrap_err(), Refusal::Reserved);
        let _f: Vec<_> = (0..2)
            .map(|_| a.admit(&l, Some("feeders")).unwrap())
            .collect();
        assert_eq!(a.admit(&l, Some("feeders")).unwrap_err(), Refusal::Total);
    }

    #[test]
    fn a_group_past_its_reservation_shares_the_rest() {
        let a = Arc::new(Admission::default());
        let l = limits(4, &[("feeders", None, 1)]);
        let _f: Vec<_> = (0..3)
            .map(|_| a.admit(&l, Some("feeders")).unwrap())
            .collect();
        // One reserved + two shared used; one shared slot left.
        let _o = a.admit(&l, None).unwrap();
        assert_eq!(a.admit(&l, None).unwrap_err(), Refusal::Total);
    }
}
