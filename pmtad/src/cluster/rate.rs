//! Fleet-wide rates (`cluster-max-msg-rate`, `cluster-max-connect-rate`): one GCRA per rate
//! in Redis, and on each node a small purse of tokens taken from it.
//!
//! Why a purse: asking Redis per recipient would cost a round trip each; a node takes a
//! batch (at most a quarter second of its share of the rate, at most 100, and no more than
//! its queue has waiting or its recent pace spends in a quarter second, whichever is more)
//! and spends it locally, so at high rates a round trip serves many messages while at low
//! rates a node holds no more than one token it might not use. The pace matters where the
//! queue drains as fast as mail arrives (a connection per message from the feeders): with
//! nothing waiting, a batch sized by the backlog alone would be one token, a round trip per
//! message. Tokens
//! not spent within [`VALID`] are dropped, never saved up for a burst. The fleet's sending in
//! any window of `w` seconds is thus at most `rate × w + burst + nodes × batch`.
//!
//! The burst is one second's worth of the rate, at least 2: the fleet keeps a little ahead,
//! so a node that wakes late for its turn does not lose the fleet's capacity.

use std::time::{Duration, Instant};

use crate::sched::rate_limit::{Rate, RateLimiter};

/// How long tokens taken from Redis stay good on the node.
pub const VALID: Duration = Duration::from_secs(1);
/// The most tokens one round trip takes.
const MAX_BATCH: u32 = 100;

/// Which fleet-wide rate (the discriminant indexes a queue's pair of purses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateKind {
    Msg = 0,
    Connect = 1,
}

impl RateKind {
    /// The kind's part of the Redis key.
    pub fn key_part(self) -> &'static str {
        match self {
            RateKind::Msg => "msg-rate",
            RateKind::Connect => "connect-rate",
        }
    }
}

/// The GCRA parameters of one configured rate (`count` per `period`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gcra {
    /// Microseconds between two tokens at the steady rate.
    pub interval_us: f64,
    /// Tokens the fleet may take at once after a quiet spell.
    pub burst: u32,
}

impl Gcra {
    /// `None` for `0/…` (nothing may go at all).
    pub fn of(count: u64, period: Duration) -> Option<Self> {
        if count == 0 {
            return None;
        }
        let per_sec = count as f64 / period.as_secs_f64().max(1e-6);
        Some(Self {
            interval_us: period.as_micros() as f64 / count as f64,
            burst: (per_sec.ceil() as u32).max(2),
        })
    }

    /// Tokens to ask for at most: a quarter second of this node's share, within the burst.
    pub fn batch(&self, nodes: u32) -> u32 {
        let per_sec = 1e6 / self.interval_us;
        let share = per_sec / (4.0 * f64::from(nodes.max(1)));
        (share.floor() as u32).clamp(1, MAX_BATCH.min(self.burst))
    }

    /// Tokens one round trip asks for when `n` are needed now: `n`, plus the queue's
    /// `waiting` messages or its `pace` (a quarter second's worth), whichever is more,
    /// within [`Gcra::batch`].
    pub fn want(&self, nodes: u32, n: u32, waiting: u64, pace: u32) -> u32 {
        let extra = u32::try_from(waiting).unwrap_or(u32::MAX).max(pace);
        n.max(self.batch(nodes).min(n.saturating_add(extra)))
    }

    /// The node's own limiter while Redis is unreachable: `rate / nodes`, and its share of
    /// the burst (at least 1).
    pub fn fallback(&self, nodes: u32) -> Rate {
        let nodes = nodes.max(1);
        let interval = self.interval_us * f64::from(nodes);
        let burst = (self.burst / nodes).max(1);
        Rate {
            count: burst,
            period: Duration::from_micros((interval * f64::from(burst)) as u64),
        }
    }
}

/// One rate of one queue on this node.
#[derive(Debug, Default)]
pub struct Purse {
    tokens: u32,
    valid_until: Option<Instant>,
    /// Redis said no token fits before then: ask again only after it.
    wait_until: Option<Instant>,
    /// The limiter applied while Redis is unreachable, and the node count it was made for.
    fallback: Option<(RateLimiter, u32)>,
    /// When the last batch came from Redis, and the tokens spent since (its own first
    /// spend included): the queue's recent pace, which sizes the next batch.
    filled_at: Option<Instant>,
    spent: u32,
}

impl Purse {
    /// Spend `n` tokens already held, if they are still good.
    pub fn spend(&mut self, n: u32, now: Instant) -> bool {
        if self.valid_until.is_none_or(|t| t <= now) {
            self.tokens = 0;
        }
        if self.tokens >= n {
            self.tokens -= n;
            self.spent = self.spent.saturating_add(n);
            return true;
        }
        false
    }

    /// Tokens the queue spends in a quarter second at the pace it kept since the last
    /// batch (0 before the first): what the next batch may take though nothing waits yet.
    pub fn pace(&self, now: Instant) -> u32 {
        let Some(at) = self.filled_at else {
            return 0;
        };
        // A millisecond at least: two batches within one say little more than "fast".
        let elapsed = now.saturating_duration_since(at).as_secs_f64().max(1e-3);
        (f64::from(self.spent) * 0.25 / elapsed).min(f64::from(MAX_BATCH)) as u32
    }

    /// Redis refused until `until` (asked again only then).
    pub fn waiting(&self, now: Instant) -> Option<Instant> {
        self.wait_until.filter(|t| *t > now)
    }

    /// Redis granted `granted` tokens of which `n` are spent at once.
    pub fn fill(&mut self, granted: u32, n: u32, now: Instant) {
        self.tokens = granted.saturating_sub(n);
        self.valid_until = Some(now + VALID);
        self.wait_until = None;
        self.filled_at = Some(now);
        self.spent = n;
    }

    pub fn refuse(&mut self, until: Instant) {
        self.wait_until = Some(until);
    }

    /// Redis unreachable: `n` tokens from this node's share, or when one fits.
    pub fn fallback(
        &mut self,
        gcra: Gcra,
        nodes: u32,
        n: u32,
        now: Instant,
    ) -> Result<(), Instant> {
        let rate = gcra.fallback(nodes);
        let (limiter, made_for) = self
            .fallback
            .get_or_insert_with(|| (RateLimiter::new(rate), nodes));
        if *made_for != nodes {
            limiter.set_rate(rate);
            *made_for = nodes;
        }
        limiter.try_acquire(now)?;
        for _ in 1..n {
            limiter.charge(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_burst_and_batch_follow_the_rate_and_the_fleet() {
        let g = Gcra::of(600, Duration::from_secs(60)).unwrap();
        assert_eq!(g.interval_us, 100_000.0);
        assert_eq!(g.burst, 10);
        // 10/s shared by 3 nodes: a quarter second of a share is under one token.
        assert_eq!(g.batch(3), 1);
        let fast = Gcra::of(360_000, Duration::from_secs(3600)).unwrap();
        assert_eq!(fast.batch(1), 25);
        let slow = Gcra::of(3000, Duration::from_secs(3600)).unwrap();
        assert_eq!((slow.burst, slow.batch(1)), (2, 1));
        assert!(Gcra::of(0, Duration::from_secs(1)).is_none());
    }

    #[test]
    fn tokens_expire_and_the_fallback_divides_the_rate() {
        let now = Instant::now();
        let mut p = Purse::default();
        p.fill(5, 1, now);
        assert!(p.spend(4, now));
        assert!(!p.spend(1, now));
        p.fill(5, 1, now);
        assert!(!p.spend(1, now + VALID));
        let g = Gcra::of(600, Duration::from_secs(60)).unwrap();
        // 10/s over 2 nodes: half the burst of 10, then one per 200 ms.
        for _ in 0..5 {
            assert!(p.fallback(g, 2, 1, now).is_ok());
        }
        let next = p.fallback(g, 2, 1, now).unwrap_err();
        assert_eq!(next - now, Duration::from_millis(200));
    }

    #[test]
    fn a_batch_covers_the_backlog_or_the_pace_within_the_share() {
        let fast = Gcra::of(100_000, Duration::from_secs(1)).unwrap();
        // Nothing waiting (a connection per message drains the queue): the pace decides.
        assert_eq!(fast.want(1, 1, 0, 0), 1);
        assert_eq!(fast.want(1, 1, 0, 40), 41);
        assert_eq!(fast.want(1, 1, 60, 40), 61, "the backlog when it is more");
        assert_eq!(fast.want(1, 1, 0, 100), 100, "at most MAX_BATCH");
        // 10/s over 3 nodes: a quarter second of a share is under one token, pace or not.
        let slow = Gcra::of(600, Duration::from_secs(60)).unwrap();
        assert_eq!(slow.want(3, 1, 5, 100), 1);
        assert_eq!(slow.want(3, 2, 0, 100), 2, "never less than needed now");
    }

    #[test]
    fn the_pace_since_the_last_batch_sizes_the_next() {
        let now = Instant::now();
        let mut p = Purse::default();
        assert_eq!(p.pace(now), 0, "no batch yet: nothing known");
        p.fill(1, 1, now);
        // One message a second: a quarter second of it is no token ahead.
        assert_eq!(p.pace(now + Duration::from_secs(1)), 0);
        // One every 10 ms: 25 in a quarter second.
        assert_eq!(p.pace(now + Duration::from_millis(10)), 25);
        p.fill(4, 1, now);
        assert!(p.spend(3, now));
        assert_eq!(p.pace(now + Duration::from_millis(10)), 100, "capped");
    }
}
