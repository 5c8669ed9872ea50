//! The connection gate of one queue: may a new connection be opened now, and if not, why not
//! and until when?
//!
//! It enforces `max-smtp-out`, `max-smtp-out-per-ip`, `delivery-interval`,
//! `max-connect-rate` and `max-msg-rate` for one (domain, virtual MTA) queue. The answer for a
//! refusal is a [`Hold`], the same value `pmtactl domain detail` shows as "why is this domain
//! not sending", so the operator sees exactly what the scheduler saw.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::rate_limit::{Rate, RateLimiter};

/// The effective limits of a queue in its current mode (normal or backoff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_smtp_out: u32,
    pub max_smtp_out_per_ip: Option<u32>,
    pub delivery_interval: Duration,
    pub max_msg_per_connection: Option<u32>,
    pub max_msg_rate: Option<Rate>,
    pub max_connect_rate: Option<Rate>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_smtp_out: 20,
            max_smtp_out_per_ip: None,
            delivery_interval: Duration::ZERO,
            max_msg_per_connection: None,
            max_msg_rate: None,
            max_connect_rate: None,
        }
    }
}

/// Why a queue is not opening a connection or sending a message right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// `max-smtp-out` connections are open already.
    ConnectionLimit { max: u32 },
    /// Every destination address has `max-smtp-out-per-ip` connections open.
    PerIpLimit { max: u32 },
    /// `delivery-interval` has not passed since the last connection attempt.
    DeliveryInterval { until: Instant },
    /// `max-connect-rate` is used up.
    ConnectRate { until: Instant },
    /// `max-msg-rate` is used up.
    MsgRate { until: Instant },
    /// A `defer-queue` reply pattern put the queue in retry mode.
    Deferred { until: Instant },
    /// `cluster-max-smtp-out`: the fleet has `max` connections open (or, with Redis
    /// unreachable, this node has its `share` open); asked again at `until`.
    ClusterLimit {
        max: u32,
        share: Option<u32>,
        until: Instant,
    },
    /// `cluster-max-msg-rate` (or, `connect`, `cluster-max-connect-rate`): no token of the
    /// fleet's rate fits before `until` (`fallback`: of this node's share, Redis unreachable).
    ClusterRate {
        connect: bool,
        fallback: bool,
        until: Instant,
    },
}

impl Hold {
    /// When the hold lifts by itself; `None` when it waits for a connection to close.
    pub fn until(&self) -> Option<Instant> {
        match self {
            Hold::ConnectionLimit { .. } | Hold::PerIpLimit { .. } => None,
            Hold::DeliveryInterval { until }
            | Hold::ConnectRate { until }
            | Hold::MsgRate { until }
            | Hold::Deferred { until }
            | Hold::ClusterLimit { until, .. }
            | Hold::ClusterRate { until, .. } => Some(*until),
        }
    }

    /// The configuration directive behind the hold, as PowerMTA's last-error text names it.
    pub fn directive(&self) -> &'static str {
        match self {
            Hold::ConnectionLimit { .. } => "max-smtp-out",
            Hold::PerIpLimit { .. } => "max-smtp-out-per-ip",
            Hold::DeliveryInterval { .. } => "delivery-interval",
            Hold::ConnectRate { .. } => "max-connect-rate",
            Hold::MsgRate { .. } => "max-msg-rate",
            Hold::Deferred { .. } => "defer-queue",
            Hold::ClusterLimit { .. } => "cluster-max-smtp-out",
            Hold::ClusterRate { connect: true, .. } => "cluster-max-connect-rate",
            Hold::ClusterRate { connect: false, .. } => "cluster-max-msg-rate",
        }
    }
}

/// Connection and rate accounting for one queue.
#[derive(Debug)]
pub struct QueueGate {
    limits: Limits,
    active: u32,
    /// Open connections per destination address; a queue talks to a handful of MX
    /// addresses, so a short vector beats a map.
    per_ip: Vec<(IpAddr, u32)>,
    last_attempt: Option<Instant>,
    connect_rate: Option<RateLimiter>,
    msg_rate: Option<RateLimiter>,
    /// Destination addresses known for the queue; with `max-smtp-out-per-ip` they cap the
    /// connections worth opening (more would only find every address busy).
    known_ips: Option<u32>,
    /// Set by a `defer-queue` reply pattern: no new connection before then.
    deferred_until: Option<Instant>,
    /// The fleet refused a lease: no new connection before the hold's time.
    cluster_hold: Option<Hold>,
}

impl QueueGate {
    pub fn new(limits: Limits) -> Self {
        let mut gate = Self {
            limits: Limits::default(),
            active: 0,
            per_ip: Vec::new(),
            last_attempt: None,
            connect_rate: None,
            msg_rate: None,
            known_ips: None,
            deferred_until: None,
            cluster_hold: None,
        };
        gate.set_limits(limits);
        gate
    }

    /// Apply new limits (reload, or a switch between normal and backoff mode). Open
    /// connections and the rate debt carry over, so a reload never resets a throttle.
    pub fn set_limits(&mut self, limits: Limits) {
        self.connect_rate = merge_rate(self.connect_rate.take(), limits.max_connect_rate);
        self.msg_rate = merge_rate(self.msg_rate.take(), limits.max_msg_rate);
        self.limits = limits;
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many destination addresses the queue's last routing answer had.
    pub fn set_known_ips(&mut self, n: Option<u32>) {
        self.known_ips = n;
    }

    /// Open connections of this queue.
    pub fn active(&self) -> u32 {
        self.active
    }

    /// Open connections per destination address.
    pub fn per_ip(&self) -> &[(IpAddr, u32)] {
        &self.per_ip
    }

    /// Reserve a connection slot if every limit allows a new connection at `now`.
    /// On success the delivery interval and connect rate are charged.
    pub fn try_open(&mut self, now: Instant) -> Result<(), Hold> {
        self.check_open(now)?;
        if let Some(rate) = &mut self.connect_rate {
            rate.try_acquire(now)
                .map_err(|until| Hold::ConnectRate { until })?;
        }
        self.last_attempt = Some(now);
        self.active += 1;
        Ok(())
    }

    /// `defer-queue`: open no connection before `until` (the queue's retry interval).
    pub fn defer_until(&mut self, until: Instant) {
        self.deferred_until = Some(until);
    }

    /// True while a `defer-queue` deferral holds at `now`.
    pub fn deferred(&self, now: Instant) -> bool {
        self.deferred_until.is_some_and(|t| t > now)
    }

    /// Lift a `defer-queue` deferral (`pmtactl schedule`); true if one was set.
    pub fn end_deferral(&mut self) -> bool {
        self.deferred_until.take().is_some()
    }

    /// The fleet refused a connection lease (a [`Hold::ClusterLimit`]): open none before its
    /// time, when Redis is asked again.
    pub fn cluster_denied(&mut self, hold: Hold) {
        self.cluster_hold = Some(hold);
    }

    /// What [`try_open`](Self::try_open) would answer, without charging anything.
    pub fn check_open(&self, now: Instant) -> Result<(), Hold> {
        if let Some(until) = self.deferred_until.filter(|t| *t > now) {
            return Err(Hold::Deferred { until });
        }
        if let Some(hold) = self
            .cluster_hold
            .filter(|h| h.until().is_some_and(|t| t > now))
        {
            return Err(hold);
        }
        if self.active >= self.limits.max_smtp_out {
            return Err(Hold::ConnectionLimit {
                max: self.limits.max_smtp_out,
            });
        }
        if let (Some(per_ip), Some(ips)) = (self.limits.max_smtp_out_per_ip, self.known_ips)
            && self.active >= per_ip.saturating_mul(ips.max(1))
        {
            return Err(Hold::PerIpLimit { max: per_ip });
        }
        if let Some(last) = self.last_attempt {
            let until = last + self.limits.delivery_interval;
            if until > now {
                return Err(Hold::DeliveryInterval { until });
            }
        }
        if let Some(rate) = &self.connect_rate {
            let until = rate.next_allowed(now);
            if until > now {
                return Err(Hold::ConnectRate { until });
            }
        }
        // A connection could not send anything while the message rate is used up: wait for
        // it here rather than connect and quit.
        if let Some(rate) = &self.msg_rate {
            let until = rate.next_allowed(now);
            if until > now {
                return Err(Hold::MsgRate { until });
            }
        }
        Ok(())
    }

    /// Give back a slot reserved by `try_open` (and its address, once connected).
    pub fn release(&mut self, ip: Option<IpAddr>) {
        self.active = self.active.saturating_sub(1);
        if let Some(ip) = ip {
            self.release_ip(ip);
        }
    }

    /// Give back an address claimed by [`try_claim_ip`](Self::try_claim_ip) whose connection
    /// failed, keeping the slot for the next address.
    pub fn release_ip(&mut self, ip: IpAddr) {
        if let Some(pos) = self.per_ip.iter().position(|(a, _)| *a == ip) {
            self.per_ip[pos].1 -= 1;
            if self.per_ip[pos].1 == 0 {
                self.per_ip.swap_remove(pos);
            }
        }
    }

    /// Claim a connection to `ip` if `max-smtp-out-per-ip` allows it.
    pub fn try_claim_ip(&mut self, ip: IpAddr) -> Result<(), Hold> {
        let max = self.limits.max_smtp_out_per_ip;
        let entry = self.per_ip.iter_mut().find(|(a, _)| *a == ip);
        match (entry, max) {
            (Some((_, n)), Some(max)) if *n >= max => Err(Hold::PerIpLimit { max }),
            (Some((_, n)), _) => {
                *n += 1;
                Ok(())
            }
            (None, Some(0)) => Err(Hold::PerIpLimit { max: 0 }),
            (None, _) => {
                self.per_ip.push((ip, 1));
                Ok(())
            }
        }
    }

    /// Charge `max-msg-rate` for one recipient about to be attempted.
    pub fn try_message(&mut self, now: Instant) -> Result<(), Hold> {
        match &mut self.msg_rate {
            Some(rate) => rate
                .try_acquire(now)
                .map_err(|until| Hold::MsgRate { until }),
            None => Ok(()),
        }
    }

    /// Charge `max-msg-rate` for `n` recipients of one transaction: the first must be
    /// allowed now, the others are charged as debt (see [`RateLimiter::charge`]).
    pub fn try_transaction(&mut self, now: Instant, n: usize) -> Result<(), Hold> {
        self.try_message(now)?;
        if let Some(rate) = &mut self.msg_rate {
            for _ in 1..n {
                rate.charge(now);
            }
        }
        Ok(())
    }

    /// May a connection that has sent `sent` messages send one more?
    pub fn connection_may_continue(&self, sent: u32) -> bool {
        self.limits
            .max_msg_per_connection
            .is_none_or(|max| sent < max)
    }
}

fn merge_rate(old: Option<RateLimiter>, rate: Option<Rate>) -> Option<RateLimiter> {
    match (old, rate) {
        (Some(mut l), Some(r)) => {
            l.set_rate(r);
            Some(l)
        }
        (None, Some(r)) => Some(RateLimiter::new(r)),
        (_, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn max_smtp_out_caps_open_connections() {
        let now = Instant::now();
        let mut g = QueueGate::new(Limits {
            max_smtp_out: 2,
            ..Limits::default()
        });
        assert!(g.try_open(now).is_ok());
        assert!(g.try_open(now).is_ok());
        assert_eq!(g.try_open(now), Err(Hold::ConnectionLimit { max: 2 }));
        g.release(None);
        assert!(g.try_open(now).is_ok());
    }

    #[test]
    fn per_ip_limit_spreads_connections() {
        let now = Instant::now();
        let limits = Limits {
            max_smtp_out_per_ip: Some(1),
            ..Limits::default()
        };
        let mut g = QueueGate::new(limits);
        g.try_open(now).unwrap();
        g.try_claim_ip(ip(2)).unwrap();
        g.try_open(now).unwrap();
        assert_eq!(g.try_claim_ip(ip(2)), Err(Hold::PerIpLimit { max: 1 }));
        g.try_claim_ip(ip(3)).unwrap();
        g.release(Some(ip(2)));
        assert!(g.try_claim_ip(ip(2)).is_ok());
        assert_eq!(g.active(), 1);
    }

    #[test]
    fn known_addresses_cap_connections_under_a_per_ip_limit() {
        let now = Instant::now();
        let mut g = QueueGate::new(Limits {
            max_smtp_out_per_ip: Some(1),
            ..Limits::default()
        });
        g.set_known_ips(Some(2));
        g.try_open(now).unwrap();
        g.try_open(now).unwrap();
        assert_eq!(g.try_open(now), Err(Hold::PerIpLimit { max: 1 }));
    }

    #[test]
    fn delivery_interval_spaces_attempts() {
        let t0 = Instant::now();
        let limits = Limits {
            delivery_interval: Duration::from_secs(10),
            ..Limits::default()
        };
        let mut g = QueueGate::new(limits);
        g.try_open(t0).unwrap();
        let until = t0 + Duration::from_secs(10);
        assert_eq!(
            g.try_open(t0 + Duration::from_secs(3)),
            Err(Hold::DeliveryInterval { until })
        );
        assert!(g.try_open(until).is_ok());
    }

    #[test]
    fn connect_rate_and_msg_rate_hold_with_a_deadline() {
        let t0 = Instant::now();
        let one_per_min = Rate {
            count: 1,
            period: Duration::from_secs(60),
        };
        let limits = Limits {
            max_connect_rate: Some(one_per_min),
            max_msg_rate: Some(one_per_min),
            ..Limits::default()
        };
        let mut g = QueueGate::new(limits);
        g.try_open(t0).unwrap();
        let hold = g.try_open(t0).unwrap_err();
        assert_eq!(hold.directive(), "max-connect-rate");
        assert_eq!(hold.until(), Some(t0 + Duration::from_secs(60)));
        g.try_message(t0).unwrap();
        assert!(matches!(g.try_message(t0), Err(Hold::MsgRate { .. })));
    }

    #[test]
    fn a_used_up_message_rate_opens_no_connection() {
        let t0 = Instant::now();
        let mut g = QueueGate::new(Limits {
            max_msg_rate: Some(Rate {
                count: 1,
                period: Duration::from_secs(60),
            }),
            ..Limits::default()
        });
        g.try_message(t0).unwrap();
        let hold = g.check_open(t0).unwrap_err();
        assert_eq!(hold.directive(), "max-msg-rate");
        assert_eq!(hold.until(), Some(t0 + Duration::from_secs(60)));
        assert!(g.check_open(t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn new_limits_keep_open_connections() {
        let now = Instant::now();
        let mut g = QueueGate::new(Limits {
            max_smtp_out: 5,
            ..Limits::default()
        });
        for _ in 0..3 {
            g.try_open(now).unwrap();
        }
        g.set_limits(Limits {
            max_smtp_out: 2,
            ..Limits::default()
        });
        assert_eq!(g.active(), 3);
        assert!(matches!(
            g.try_open(now),
            Err(Hold::ConnectionLimit { max: 2 })
        ));
    }

    #[test]
    fn a_deferred_queue_opens_nothing_until_its_retry_time() {
        let t0 = Instant::now();
        let mut g = QueueGate::new(Limits::default());
        let until = t0 + Duration::from_secs(5);
        g.defer_until(until);
        assert_eq!(g.try_open(t0), Err(Hold::Deferred { until }));
        assert!(g.try_open(until).is_ok());
    }

    #[test]
    fn messages_per_connection() {
        let g = QueueGate::new(Limits {
            max_msg_per_connection: Some(2),
            ..Limits::default()
        });
        assert!(g.connection_may_continue(1));
        assert!(!g.connection_may_continue(2));
        assert!(QueueGate::new(Limits::default()).connection_may_continue(1_000_000));
    }
}
