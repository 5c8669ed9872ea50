//! `smtp-max-auth-failure-rate N/TIME`: the defence against password guessing. Per client
//! IP address, across all its sessions, at most N failed AUTH attempts fit in a window that
//! starts at the first failure; once N are counted, AUTH from that address is refused until
//! the window ends. As in PowerMTA: with `3/5m`, failures at 10:00, 10:01 and 10:02 lock
//! the client out until 10:05.
//!
//! The table is bounded: expired windows are dropped when it fills, and beyond
//! [`MAX_CLIENTS`] live windows a new address is not tracked (a flood from that many
//! addresses is not a password guess against one account this can stop).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Most client addresses tracked at once.
pub(crate) const MAX_CLIENTS: usize = 100_000;

/// At most `max` failures per `per`, counted from the first failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRate {
    pub max: u32,
    pub per: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    until: Instant,
    failures: u32,
}

/// Failed AUTH attempts per client address (shared by every session of a listener).
#[derive(Debug, Default)]
pub struct AuthLockout {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl AuthLockout {
    /// Whether `ip` may not try AUTH now: `rate.max` failures in its current window.
    pub(crate) fn locked(&self, ip: IpAddr, rate: FailureRate, now: Instant) -> bool {
        let windows = crate::locks::lock(&self.windows);
        windows
            .get(&ip)
            .is_some_and(|w| now < w.until && w.failures >= rate.max)
    }

    /// Counts a failure of `ip`; true when that locks it out.
    pub(crate) fn failed(&self, ip: IpAddr, rate: FailureRate, now: Instant) -> bool {
        let mut windows = crate::locks::lock(&self.windows);
        if !windows.contains_key(&ip) && windows.len() >= MAX_CLIENTS {
            windows.retain(|_, w| now < w.until);
            if windows.len() >= MAX_CLIENTS {
                return false;
            }
        }
        let w = windows.entry(ip).or_insert(Window {
            until: now + rate.per,
            failures: 0,
        });
        if now >= w.until {
            *w = Window {
                until: now + rate.per,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
        w.failures >= rate.max
    }

    /// A successful AUTH forgets the address's earlier failures.
    pub(crate) fn succeeded(&self, ip: IpAddr) {
        let mut windows = crate::locks::lock(&self.windows);
        windows.remove(&ip);
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        crate::locks::lock(&self.windows).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: FailureRate = FailureRate {
        max: 3,
        per: Duration::from_secs(300),
    };

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(n))
    }

    #[test]
    fn three_failures_lock_until_the_window_from_the_first_ends() {
        let l = AuthLockout::default();
        let t0 = Instant::now();
        let min = Duration::from_secs(60);
        assert!(!l.failed(ip(1), RATE, t0));
        assert!(!l.failed(ip(1), RATE, t0 + min));
        assert!(!l.locked(ip(1), RATE, t0 + min));
        assert!(l.failed(ip(1), RATE, t0 + 2 * min));
        assert!(l.locked(ip(1), RATE, t0 + 4 * min));
        assert!(
            !l.locked(ip(2), RATE, t0 + 4 * min),
            "other clients are not affected"
        );
        assert!(!l.locked(ip(1), RATE, t0 + 5 * min), "free again at 10:05");
        // A failure after the window starts a new one.
        assert!(!l.failed(ip(1), RATE, t0 + 6 * min));
    }

    #[test]
    fn success_forgets_failures() {
        let l = AuthLockout::default();
        let t0 = Instant::now();
        l.failed(ip(1), RATE, t0);
        l.failed(ip(1), RATE, t0);
        l.succeeded(ip(1));
        assert!(!l.failed(ip(1), RATE, t0));
    }

    #[test]
    fn the_table_stays_bounded() {
        let l = AuthLockout::default();
        let t0 = Instant::now();
        for n in 0..MAX_CLIENTS as u32 {
            l.failed(ip(n), RATE, t0);
        }
        assert!(!l.failed(ip(u32::MAX), RATE, t0), "not tracked when full");
        assert_eq!(l.tracked(), MAX_CLIENTS);
        // Once the windows expire, room is made.
        l.failed(ip(u32::MAX), RATE, t0 + RATE.per);
        assert_eq!(l.tracked(), 1);
    }
}
