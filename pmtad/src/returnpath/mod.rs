//! The return path: asynchronous bounces and complaints about mail pmtad sent.
//!
//! * Outbound, every message gets an `X-Pmtad-Ref` stamp ([`stamp`]) while a processor is
//!   configured: a signed reference to its spool id, job, virtual MTA and recipient.
//! * Inbound, mail for a `<bounce-processor>` / `<feedback-loop-processor>` address is
//!   parsed ([`parse`]) instead of queued, matched by its stamp, and written as `rb` / `f`
//!   accounting records ([`process`]); it is then discarded, delivered or forwarded as
//!   the processor says (`daemon::report_intercept`). `pmtactl show bounces` / `show feedback` list the
//!   last reports ([`Recent`]).
//!
//! A report never causes a DSN (kept reports are queued with NOTIFY=NEVER) and is never
//! retried: it is parsed once, at intake, whatever the result. Only matched reports make
//! accounting records, so a forged one cannot get an address suppressed.

mod arf;
mod dsn;
mod field_groups;
pub mod parse;
mod patterns;
pub mod process;
mod report;
pub mod samples;
pub mod stamp;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

pub use process::{Entry, Processed, Verdict};
pub use report::{Format, MAX_REPORT_SIZE, Rejected, Report};
pub use stamp::{HEADER, Key};

/// How many reports `show bounces` / `show feedback` can list.
pub const RECENT: usize = 1000;

/// Counters for `show status` (since start).
#[derive(Debug, Default)]
pub struct Counters {
    pub bounces_matched: AtomicU64,
    pub bounces_unmatched: AtomicU64,
    pub feedback_matched: AtomicU64,
    pub feedback_unmatched: AtomicU64,
    /// Reports not processed (malformed, too large, a loop, no report part).
    pub rejected: AtomicU64,
}

/// The return path's part of the daemon state.
#[derive(Debug)]
pub struct ReturnPath {
    spool_dir: PathBuf,
    /// Loaded (or made) on first use, so a spool without processors gets no key file.
    key: OnceLock<Option<Key>>,
    recent: Mutex<VecDeque<Entry>>,
    pub counters: Counters,
    /// Ids answered for reports that were consumed whole (nothing spooled).
    consumed: AtomicU64,
}

impl ReturnPath {
    pub fn new(spool_dir: PathBuf) -> Self {
        ReturnPath {
            spool_dir,
            key: OnceLock::new(),
            recent: Mutex::new(VecDeque::new()),
            counters: Counters::default(),
            consumed: AtomicU64::new(0),
        }
    }

    /// The stamp key; `None` (logged once) when the key file cannot be read or made.
    pub fn key(&self) -> Option<&Key> {
        self.key
            .get_or_init(|| match Key::load_or_create(&self.spool_dir) {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::error!("{e}: outbound mail is not stamped, reports stay unmatched");
                    None
                }
            })
            .as_ref()
    }

    /// The `X-Pmtad-Ref:` header line for one transaction.
    pub fn stamp_line(
        &self,
        message: u64,
        job: Option<&str>,
        vmta: &str,
        rcpts: &[&str],
    ) -> Option<String> {
        let value = self.key()?.stamp(message, job, vmta, rcpts);
        Some(format!("{HEADER}: {value}\r\n"))
    }

    /// Keeps `entries` for the listings and counts them.
    pub fn note(&self, entries: Vec<Entry>) {
        for e in &entries {
            let c = &self.counters;
            let counter = match (e.rejected.is_some(), e.feedback, e.matched) {
                (true, ..) => &c.rejected,
                (false, false, true) => &c.bounces_matched,
                (false, false, false) => &c.bounces_unmatched,
                (false, true, true) => &c.feedback_matched,
                (false, true, false) => &c.feedback_unmatched,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let mut recent = crate::locks::lock(&self.recent);
        for e in entries {
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(e);
        }
    }

    /// The last `n` entries (newest first) that pass `keep`.
    pub fn recent(&self, n: usize, keep: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        let recent = crate::locks::lock(&self.recent);
        recent
            .iter()
            .rev()
            .filter(|e| keep(e))
            .take(n)
            .cloned()
            .collect()
    }

    /// A message id for the 250 of a report nothing was spooled for (high bit set, so it
    /// never names a spooled message).
    pub fn consumed_id(&self) -> crate::envelope::MessageId {
        let n = self.consumed.fetch_add(1, Ordering::Relaxed);
        crate::envelope::MessageId((1 << 63) | n)
    }
}
