//! Spool free space: new mail is refused (`452 4.3.1`) while the spool's file system is full
//! or nearly full, and accepted again by itself once space returns.
//!
//! "Full" starts when the free space drops below `min-free-space` (checked once a second) or
//! when a spool write fails for lack of space (ENOSPC, EDQUOT). It ends when the free space is
//! back to `min-free-space` plus [`RESUME_MARGIN`], so a spool hovering at the threshold does
//! not flap. Only intake is refused: deliveries, their state records and compaction go on,
//! which is what the margin below the threshold is for. The start and the end are logged
//! once each in the main log; `show status` shows the condition while it lasts.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

/// Free space above `min-free-space` needed before intake resumes.
pub const RESUME_MARGIN: u64 = 1 << 20;

/// How often the free space is read.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// What [`SpoolSpace::observe`] changed, for the caller to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Full { free: u64, min: u64 },
    Resumed { free: u64, after: Duration },
}

impl std::fmt::Display for Transition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transition::Full { free, min } => write!(
                f,
                "spool full: new mail refused with 452 4.3.1 ({} KiB free, min-free-space {} KiB); \
                 delivery continues",
                free / 1024,
                min / 1024
            ),
            Transition::Resumed { free, after } => write!(
                f,
                "spool has space again: new mail accepted after {} s refused ({} KiB free)",
                after.as_secs(),
                free / 1024
            ),
        }
    }
}

/// The spool's space condition, read on the hot path through one atomic.
#[derive(Debug, Default)]
pub struct SpoolSpace {
    refusing: AtomicBool,
    /// When the current refusal started.
    since: Mutex<Option<SystemTime>>,
}

impl SpoolSpace {
    /// True while new mail is refused.
    pub fn refusing(&self) -> bool {
        self.refusing.load(Ordering::Relaxed)
    }

    /// When the current refusal started, if intake is refused.
    pub fn refused_since(&self) -> Option<SystemTime> {
        *crate::locks::lock(&self.since)
    }

    /// Takes a reading of the free space (`write_failed`: a write just found the disk full)
    /// and returns the change of condition, if any.
    pub fn observe(&self, free: u64, min: u64, write_failed: bool) -> Option<Transition> {
        let mut since = crate::locks::lock(&self.since);
        match *since {
            None if write_failed || free < min => {
                *since = Some(SystemTime::now());
                self.refusing.store(true, Ordering::Relaxed);
                Some(Transition::Full { free, min })
            }
            Some(start) if !write_failed && free >= min.saturating_add(RESUME_MARGIN) => {
                *since = None;
                self.refusing.store(false, Ordering::Relaxed);
                let after = SystemTime::now().duration_since(start).unwrap_or_default();
                Some(Transition::Resumed { free, after })
            }
            _ => None,
        }
    }
}

impl super::Shared {
    /// Reads the spool's free space and logs a change of condition (`write_failed`: a spool
    /// write just failed for lack of space).
    pub fn check_space(&self, write_failed: bool) {
        let min = self.policies().config.spool_min_free_space;
        let Some(free) = free_bytes(self.spool.root()) else {
            return;
        };
        if let Some(change) = self.space.observe(free, min, write_failed) {
            // Also on standard error: the supervisor's journal sees it without the main log.
            eprintln!("pmtad: {change}");
            self.logs.event(change);
        }
    }
}

/// Checks the spool's free space every [`CHECK_INTERVAL`] until the daemon shuts down.
pub fn spawn_monitor(shared: std::sync::Arc<super::Shared>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECK_INTERVAL);
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                _ = tick.tick() => shared.check_space(false),
            }
        }
    });
}

/// Space left for unprivileged writers on the file system of `dir` (None if unreadable).
pub fn free_bytes(dir: &Path) -> Option<u64> {
    rustix::fs::statvfs(dir)
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_threshold_refuses_once_and_resumes_above_the_margin() {
        let s = SpoolSpace::default();
        assert_eq!(s.observe(10 << 20, 4 << 20, false), None);
        assert!(matches!(
            s.observe(3 << 20, 4 << 20, false),
            Some(Transition::Full { .. })
        ));
        assert!(s.refusing() && s.refused_since().is_some());
        // Still full, and back at the threshold but not past the margin: no new event.
        assert_eq!(s.observe(2 << 20, 4 << 20, false), None);
        assert_eq!(s.observe(4 << 20, 4 << 20, false), None);
        assert!(matches!(
            s.observe(5 << 20, 4 << 20, false),
            Some(Transition::Resumed { .. })
        ));
        assert!(!s.refusing() && s.refused_since().is_none());
    }

    #[test]
    fn a_failed_write_refuses_even_without_a_threshold() {
        let s = SpoolSpace::default();
        assert!(matches!(
            s.observe(100 << 20, 0, true),
            Some(Transition::Full { .. })
        ));
        assert_eq!(s.observe(100 << 20, 0, true), None);
        assert!(matches!(
            s.observe(100 << 20, 0, false),
            Some(Transition::Resumed { .. })
        ));
    }
}
