//! Rate limits such as `max-msg-rate 500/h` and `max-connect-rate 10/m`.
//!
//! Implemented as GCRA (a token bucket expressed as one "theoretical arrival time"), so a
//! limiter is two words of state and a check is a few arithmetic operations: cheap enough to
//! run per recipient. The bucket holds at most N tokens and refills at N per period, so the
//! long-run rate never exceeds N/period while an idle queue may start with a burst of N —
//! the same semantics as KumoMTA's and most shapers' throttles.

use std::time::{Duration, Instant};

/// `N` events per `period`. `None` at the use site means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    /// Time between two events at the steady rate.
    fn interval(&self) -> Duration {
        self.period / self.count.max(1)
    }
}

/// GCRA state for one rate.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: Rate,
    /// Theoretical arrival time of the next event at the steady rate.
    tat: Option<Instant>,
}

impl RateLimiter {
    pub fn new(rate: Rate) -> Self {
        Self { rate, tat: None }
    }

    /// Replace the rate (on reload or a mode change) keeping the accumulated debt.
    pub fn set_rate(&mut self, rate: Rate) {
        self.rate = rate;
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Earliest instant at which one more event is allowed (`now` when allowed now).
    pub fn next_allowed(&self, now: Instant) -> Instant {
        if self.rate.count == 0 {
            // `0/h` stops the flow entirely; report a far-away instant.
            return now + Duration::from_secs(365 * 86_400);
        }
        let burst = self.rate.interval() * (self.rate.count - 1);
        match self.tat {
            Some(tat) if tat > now + burst => tat - burst,
            _ => now,
        }
    }

    /// Consume one event if allowed now; otherwise say when to try again.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Instant> {
        let at = self.next_allowed(now);
        if at > now {
            return Err(at);
        }
        self.charge(now);
        Ok(())
    }

    /// Consume one event whether or not it is allowed now: the debt delays later events.
    /// For the other recipients of a transaction whose first one was allowed, so a message
    /// with more recipients than the burst still goes out and the long-run rate holds.
    pub fn charge(&mut self, now: Instant) {
        let base = self.tat.filter(|t| *t > now).unwrap_or(now);
        self.tat = Some(base + self.rate.interval());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_sec(n: u32) -> Rate {
        Rate {
            count: n,
            period: Duration::from_secs(1),
        }
    }

    #[test]
    fn burst_of_n_then_steady_spacing() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(per_sec(4));
        for _ in 0..4 {
            assert!(l.try_acquire(t0).is_ok());
        }
        let next = l.try_acquire(t0).unwrap_err();
        assert_eq!(next - t0, Duration::from_millis(250));
        assert!(l.try_acquire(next).is_ok());
        assert!(l.try_acquire(next).is_err());
    }

    #[test]
    fn long_run_rate_is_bounded() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(Rate {
            count: 83,
            period: Duration::from_secs(600),
        });
        let mut now = t0;
        let mut sent = 0u32;
        while now < t0 + Duration::from_secs(3600) {
            match l.try_acquire(now) {
                Ok(()) => sent += 1,
                Err(at) => now = at,
            }
        }
        // One hour at 83/10m is 498, plus the initial burst of 83 at most.
        assert!(sent <= 498 + 83, "sent {sent}");
        assert!(sent >= 498, "sent {sent}");
    }

    #[test]
    fn forced_charges_become_debt() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(per_sec(2));
        assert!(l.try_acquire(t0).is_ok());
        for _ in 0..3 {
            l.charge(t0);
        }
        // Four events at 2/s: the next one is allowed 1.5 s later (burst of 2).
        assert_eq!(l.next_allowed(t0) - t0, Duration::from_millis(1500));
    }

    #[test]
    fn zero_rate_never_allows() {
        let now = Instant::now();
        let mut l = RateLimiter::new(Rate {
            count: 0,
            period: Duration::from_secs(60),
        });
        assert!(l.try_acquire(now).is_err());
    }

    #[test]
    fn idle_time_refills_but_never_beyond_the_burst() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(per_sec(2));
        assert!(l.try_acquire(t0).is_ok());
        assert!(l.try_acquire(t0).is_ok());
        let later = t0 + Duration::from_secs(100);
        assert!(l.try_acquire(later).is_ok());
        assert!(l.try_acquire(later).is_ok());
        assert!(l.try_acquire(later).is_err());
    }
}
