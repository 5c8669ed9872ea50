//! When to try a recipient again (`retry-after`), and when to give up (`bounce-after`).

use std::time::Duration;

/// The retry policy of a queue in its current mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `retry-after 10m,30m,1h`: the interval after the n-th failed attempt; the last repeats.
    pub intervals: Vec<Duration>,
    /// `bounce-after 4d12h`: mail older than this is bounced as `message-expired`.
    pub bounce_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            intervals: vec![Duration::from_secs(600)],
            bounce_after: Duration::from_secs(4 * 86_400 + 12 * 3600),
        }
    }
}

/// What to do with a recipient after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTransient {
    /// Try again this long after now.
    RetryIn(Duration),
    /// The message is older than `bounce-after`: bounce it (`message-expired`).
    Expire,
}

impl RetryPolicy {
    /// Decide after `failures` failed attempts (1 after the first) of a message that has been
    /// queued for `age`. A retry that would land past the expiry is still made, at the expiry
    /// time, so a message gets its last chance instead of bouncing early.
    pub fn after_transient(&self, failures: u32, age: Duration) -> AfterTransient {
        if age >= self.bounce_after {
            return AfterTransient::Expire;
        }
        let idx = (failures.max(1) as usize - 1).min(self.intervals.len().saturating_sub(1));
        let wait = self
            .intervals
            .get(idx)
            .copied()
            .unwrap_or(Duration::from_secs(600));
        AfterTransient::RetryIn(wait.min(self.bounce_after - age))
    }

    /// True when a message of this age must bounce without another attempt.
    pub fn expired(&self, age: Duration) -> bool {
        age >= self.bounce_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn intervals_advance_and_the_last_repeats() {
        let p = RetryPolicy {
            intervals: vec![mins(10), mins(30), mins(60)],
            ..Default::default()
        };
        let age = mins(1);
        assert_eq!(p.after_transient(1, age), AfterTransient::RetryIn(mins(10)));
        assert_eq!(p.after_transient(2, age), AfterTransient::RetryIn(mins(30)));
        assert_eq!(p.after_transient(3, age), AfterTransient::RetryIn(mins(60)));
        assert_eq!(p.after_transient(9, age), AfterTransient::RetryIn(mins(60)));
    }

    #[test]
    fn old_mail_expires_and_the_last_retry_lands_at_expiry() {
        let p = RetryPolicy {
            intervals: vec![mins(60)],
            bounce_after: mins(90),
        };
        assert_eq!(
            p.after_transient(1, mins(80)),
            AfterTransient::RetryIn(mins(10))
        );
        assert_eq!(p.after_transient(2, mins(90)), AfterTransient::Expire);
        assert!(p.expired(mins(91)));
        assert!(!p.expired(mins(89)));
    }

    #[test]
    fn empty_list_falls_back_to_the_default_interval() {
        let p = RetryPolicy {
            intervals: vec![],
            ..Default::default()
        };
        assert_eq!(
            p.after_transient(1, mins(1)),
            AfterTransient::RetryIn(mins(10))
        );
    }
}
