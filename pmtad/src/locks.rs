//! The one lock-poisoning policy of pmtad: a poisoned lock is used as it is.
//!
//! A `Mutex` is poisoned when a thread panicked while holding it. pmtad recovers the guard
//! (`PoisonError::into_inner`) instead of panicking in turn, everywhere, for two reasons:
//!
//! * A panic is a bug in one task (a session, a delivery, a control verb); panicking in every
//!   other task that takes the same lock afterwards would turn that one bug into the loss of
//!   the whole daemon (the scheduler, every listener), with mail in flight everywhere.
//! * What the locks guard survives a holder's panic: each critical section is short, holds
//!   no await, and makes its change in steps that each leave a usable value (a map entry
//!   inserted or not, a counter bumped or not). The spool's durable state is on disk, not
//!   behind its index lock, and is re-read at start-up; the index is the cache of it.
//!
//! Every lock is taken through [`lock`], [`read`] or [`write`] so the policy is stated once
//! (`tests/tests/source_layout` checks that no other form is used).

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Locks `m`, recovering it if a holder panicked (see the module notes).
#[inline]
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read-locks `l`, recovering it if a holder panicked.
#[inline]
pub fn read<T: ?Sized>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Write-locks `l`, recovering it if a holder panicked.
#[inline]
pub fn write<T: ?Sized>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}
