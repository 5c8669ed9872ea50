//! Normal and backoff mode of a queue.
//!
//! Backoff is entered by an `<smtp-pattern-list>` rule (`reply /re/ mode=backoff`) or by the
//! operator (`pmtactl set queue --mode=backoff`); while in it the `backoff-*` twins of the
//! limits apply. It ends after `backoff-to-normal-after` (the rule's own value first), on the
//! first delivery when `backoff-to-normal-after-delivery` is set, by a `mode=normal` rule, or
//! by the operator. Mode is queue state, not configuration: a reload keeps it.

use std::time::{Duration, Instant};

/// The two delivery modes of PowerMTA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Backoff,
}

impl Mode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Backoff => "backoff",
        }
    }
}

/// How a queue leaves backoff by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackoffExit {
    /// `backoff-to-normal-after`: `None` = never.
    pub after: Option<Duration>,
    /// `backoff-to-normal-after-delivery`.
    pub on_delivery: bool,
}

/// Mode state of one queue.
#[derive(Debug, Clone, Default)]
pub struct ModeState {
    mode: Mode,
    /// Set in backoff when a timer will return the queue to normal.
    normal_at: Option<Instant>,
    on_delivery: bool,
}

impl ModeState {
    /// The mode now; a backoff whose timer has run out reads as normal.
    pub fn mode(&mut self, now: Instant) -> Mode {
        if self.mode == Mode::Backoff && self.normal_at.is_some_and(|t| t <= now) {
            self.set_normal();
        }
        self.mode
    }

    /// Instant the queue returns to normal by itself, if any.
    pub fn normal_at(&self) -> Option<Instant> {
        self.normal_at
    }

    /// Enter backoff (a pattern rule, or the operator). `rule_after` is the rule's own
    /// `backoff-to-normal-after=`, which overrides the domain's setting.
    pub fn enter_backoff(&mut self, now: Instant, exit: BackoffExit, rule_after: Option<Duration>) {
        self.mode = Mode::Backoff;
        self.normal_at = rule_after.or(exit.after).map(|d| now + d);
        self.on_delivery = exit.on_delivery;
    }

    /// Return to normal (a `mode=normal` rule, the operator, or an exit condition).
    pub fn set_normal(&mut self) {
        *self = Self::default();
    }

    /// A recipient was delivered: honours `backoff-to-normal-after-delivery`.
    pub fn on_delivered(&mut self) {
        if self.mode == Mode::Backoff && self.on_delivery {
            self.set_normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_times_out_to_normal() {
        let t0 = Instant::now();
        let mut m = ModeState::default();
        let exit = BackoffExit {
            after: Some(Duration::from_secs(600)),
            on_delivery: false,
        };
        m.enter_backoff(t0, exit, None);
        assert_eq!(m.mode(t0 + Duration::from_secs(599)), Mode::Backoff);
        assert_eq!(m.mode(t0 + Duration::from_secs(600)), Mode::Normal);
    }

    #[test]
    fn the_rule_timer_overrides_the_domain_timer() {
        let t0 = Instant::now();
        let mut m = ModeState::default();
        let exit = BackoffExit {
            after: Some(Duration::from_secs(3600)),
            on_delivery: false,
        };
        m.enter_backoff(t0, exit, Some(Duration::from_secs(60)));
        assert_eq!(m.normal_at(), Some(t0 + Duration::from_secs(60)));
    }

    #[test]
    fn never_means_until_told_and_delivery_exit_works() {
        let t0 = Instant::now();
        let mut m = ModeState::default();
        m.enter_backoff(t0, BackoffExit::default(), None);
        m.on_delivered();
        assert_eq!(m.mode(t0 + Duration::from_secs(86_400 * 30)), Mode::Backoff);
        m.enter_backoff(
            t0,
            BackoffExit {
                after: None,
                on_delivery: true,
            },
            None,
        );
        m.on_delivered();
        assert_eq!(m.mode(t0), Mode::Normal);
    }
}
