//! The fleet: several pmtad nodes sharing cluster-wide limits through one Redis (or Valkey)
//! server, named by `cluster-redis-url`.
//!
//! Why Redis and leases: a provider's limit must hold across the fleet, and Redis is an
//! engine operators already run; no consensus of our own. A connection slot of a queue with
//! `cluster-max-smtp-out` is a lease in a sorted set (member = node and connection, score =
//! expiry) taken atomically by a Lua script, renewed by the node's heartbeat while the
//! connection lives and removed when it closes; a node that dies stops renewing, so its
//! share comes back within [`LEASE_TTL`].
//!
//! When Redis does not answer, a node never sends unlimited: each applies
//! `limit / nodes last seen` (at least 1) to its own connections, says so once in the log
//! and in `domain detail`, and goes back to leases when Redis answers again.

mod rate;
mod redis_io;
mod scripts;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use config::ClusterFallback as Fallback;
pub use rate::RateKind;
pub use redis_io::{NodeStats, RedisError};

/// How long a lease lives without renewal: a dead node's connections count this long.
pub const LEASE_TTL: Duration = Duration::from_secs(5);
/// How often the heartbeat renews this node's leases and says it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// One node's view of the fleet.
#[derive(Debug)]
pub struct Cluster {
    node: String,
    logs: crate::logs::LogSink,
    redis: redis_io::Redis,
    /// `cluster-redis-url` with its password as `***`: what `show cluster` names.
    shown_url: String,
    /// False while Redis does not answer (the fallback applies).
    reachable: AtomicBool,
    /// Nodes alive at the last heartbeat that reached Redis (at least 1).
    nodes: AtomicU32,
    seq: AtomicU64,
    /// Leases this node holds: member -> (lease key, limit), renewed by the heartbeat.
    held: Mutex<HashMap<String, (String, u32)>>,
    /// What the last heartbeat published (a recovery heartbeat sends it again).
    stats: Mutex<NodeStats>,
    /// When Redis answered again after being unreachable (see [`Cluster::settling`]).
    back_at: Mutex<Option<std::time::Instant>>,
    /// `cluster-fallback`: what the limits become while Redis is unreachable (reloadable).
    policy: Mutex<Fallback>,
    /// The token purses of each queue's fleet-wide rates, by [`RateKind`] (see [`rate`]).
    purses: Mutex<HashMap<String, [SharedPurse; 2]>>,
}

/// The fleet as `/metrics` shows it on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetMetrics {
    /// Redis is unreachable: the cluster limits are this node's `cluster-fallback`.
    pub fallback: bool,
    pub policy: &'static str,
    /// Nodes alive at the last heartbeat that reached Redis (the divisor of `divide`).
    pub nodes: u64,
    /// Connection leases this node holds (or keeps for the fallback).
    pub leases: u64,
    /// Round trips this node asked of Redis since it started.
    pub redis_calls: u64,
}

/// One rate's purse, locked across its round trip (one refill at a time per queue).
type SharedPurse = Arc<tokio::sync::Mutex<rate::Purse>>;

/// A fleet-wide rate said "not now": no token fits before `until`; `fallback` when that is
/// this node's share with Redis unreachable.
#[derive(Debug, Clone, Copy)]
pub struct RateWait {
    pub until: Instant,
    pub fallback: bool,
}

/// Liveness of a node for `show cluster`: a heartbeat within three lease lifetimes.
const ALIVE_MS: u64 = 3 * LEASE_TTL.as_millis() as u64;

/// What [`Cluster::acquire`] decided for a new connection.
#[derive(Debug)]
pub enum Grant {
    /// Redis gave a lease; hand it back with [`Cluster::release`].
    Lease(String),
    /// Redis is unreachable and this node's share allows the connection. The member is
    /// kept with the leases: the first heartbeat that reaches Redis again registers it (if
    /// the fleet is under its limit), so connections opened meanwhile count at once.
    Fallback(String),
    /// The fleet (or, with Redis unreachable, this node's share) is at the limit.
    Denied { share: Option<u32> },
}

impl Cluster {
    /// A node of the fleet `cfg` names; connects lazily, so a Redis that is down at start
    /// only means the fallback until it answers.
    pub fn new(
        cfg: &config::Cluster,
        node: String,
        logs: crate::logs::LogSink,
    ) -> Result<Arc<Self>, RedisError> {
        Ok(Arc::new(Self {
            logs,
            redis: redis_io::Redis::new(cfg)?,
            shown_url: config::redact_url(cfg.redis_url.as_deref().unwrap_or_default()),
            node,
            reachable: AtomicBool::new(true),
            nodes: AtomicU32::new(1),
            seq: AtomicU64::new(0),
            held: Mutex::new(HashMap::new()),
            stats: Mutex::new(NodeStats::default()),
            back_at: Mutex::new(None),
            purses: Mutex::new(HashMap::new()),
            policy: Mutex::new(Fallback::default()),
        }))
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// True while Redis answers.
    pub fn reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// Nodes alive at the last heartbeat.
    pub fn nodes(&self) -> u32 {
        self.nodes.load(Ordering::Relaxed).max(1)
    }

    /// This node's share of `limit` while Redis is unreachable (0: `cluster-fallback pause`).
    pub fn fallback_share(&self, limit: u32) -> u32 {
        match self.fallback() {
            Fallback::Divide => (limit / self.nodes()).max(1),
            Fallback::Local => limit,
            Fallback::Pause => 0,
        }
    }

    /// `cluster-fallback` as configured now.
    pub fn fallback(&self) -> Fallback {
        *crate::locks::lock(&self.policy)
    }

    /// A (re)loaded `cluster-fallback`.
    pub fn set_fallback(&self, policy: Fallback) {
        *crate::locks::lock(&self.policy) = policy;
    }

    /// What `/metrics` shows of the fleet on this node.
    pub fn metrics(&self) -> FleetMetrics {
        let held = crate::locks::lock(&self.held).len();
        FleetMetrics {
            fallback: !self.reachable(),
            policy: self.fallback().as_str(),
            nodes: u64::from(self.nodes()),
            leases: held as u64,
            redis_calls: self.redis.calls(),
        }
    }

    /// One round trip: a lease for a new connection of `queue`, or, when Redis does not
    /// answer, a place within this node's share.
    pub async fn acquire(&self, queue: &str, limit: u32) -> Grant {
        let member = format!("{}:{}", self.node, self.seq.fetch_add(1, Ordering::Relaxed));
        let key = scripts::lease_key(queue);
        if !self.reachable() {
            // Back from the fallback? The heartbeat registers the connections opened
            // meanwhile before this node asks for more, so the fleet counts them.
            let stats = *crate::locks::lock(&self.stats);
            self.heartbeat(stats).await;
        }
        if self.reachable() && !self.settling() {
            match self.redis.acquire(&key, &member, limit, LEASE_TTL).await {
                Ok(true) => {
                    self.hold(&member, key, limit);
                    return Grant::Lease(member);
                }
                Ok(false) => return Grant::Denied { share: None },
                Err(e) => self.note_reachable(false, Some(&e)),
            }
        }
        self.within_share(member, key, limit)
    }

    /// `n` tokens of the queue's fleet-wide rate `count` per `period`: from the node's purse,
    /// else one round trip for a batch (see [`rate::Gcra::want`]; `waiting`, the queue's
    /// other messages, is asked only then), else with Redis unreachable from this node's
    /// share. A connection (or the connections of
    /// one queue) asks Redis one at a time: the others wait on the purse, then spend what
    /// it took.
    pub async fn take(
        &self,
        kind: RateKind,
        queue: &str,
        (count, period): (u64, Duration),
        n: u32,
        waiting: impl FnOnce() -> u64,
    ) -> Result<(), RateWait> {
        let Some(gcra) = rate::Gcra::of(count, period) else {
            let until = Instant::now() + Duration::from_secs(3600);
            return Err(RateWait {
                until,
                fallback: false,
            });
        };
        let purse = self.purse(kind, queue);
        let mut purse = purse.lock().await;
        let now = Instant::now();
        if purse.spend(n, now) {
            return Ok(());
        }
        if self.reachable() {
            if let Some(until) = purse.waiting(now) {
                return Err(RateWait {
                    until,
                    fallback: false,
                });
            }
            let want = gcra.want(self.nodes(), n, waiting(), purse.pace(now));
            let key = scripts::rate_key(kind.key_part(), queue);
            match self
                .redis
                .take(&key, want, n, gcra.interval_us, gcra.burst)
                .await
            {
                Ok(Ok(granted)) => {
                    purse.fill(granted, n, Instant::now());
                    return Ok(());
                }
                Ok(Err(wait)) => {
                    let until = Instant::now() + wait;
                    purse.refuse(until);
                    return Err(RateWait {
                        until,
                        fallback: false,
                    });
                }
                Err(e) => self.note_reachable(false, Some(&e)),
            }
        }
        let nodes = self.nodes();
        (purse.fallback(gcra, nodes, n, Instant::now())).map_err(|until| RateWait {
            until,
            fallback: true,
        })
    }

    /// The queue's purse of `kind` (made on first use: no allocation per message after).
    fn purse(&self, kind: RateKind, queue: &str) -> SharedPurse {
        let mut purses = crate::locks::lock(&self.purses);
        if let Some(pair) = purses.get(queue) {
            return pair[kind as usize].clone();
        }
        purses.entry(queue.to_string()).or_default()[kind as usize].clone()
    }

    /// The fallback: this node's connections of the queue (those it holds leases for, or
    /// kept while Redis was away) stay under `limit / nodes`.
    fn within_share(&self, member: String, key: String, limit: u32) -> Grant {
        let share = self.fallback_share(limit);
        let mut held = crate::locks::lock(&self.held);
        let mine = held.values().filter(|(k, _)| *k == key).count();
        if mine >= share as usize {
            return Grant::Denied { share: Some(share) };
        }
        held.insert(member.clone(), (key, limit));
        Grant::Fallback(member)
    }

    fn hold(&self, member: &str, key: String, limit: u32) {
        let mut held = crate::locks::lock(&self.held);
        held.insert(member.to_string(), (key, limit));
    }

    /// True for two heartbeats after Redis came back: every node's next heartbeat registers
    /// the connections it opened during the fallback; until then shares still apply, so the
    /// fleet never counts fewer connections than are open.
    fn settling(&self) -> bool {
        let back = *crate::locks::lock(&self.back_at);
        back.is_some_and(|t| t.elapsed() < 2 * HEARTBEAT + HEARTBEAT / 2)
    }

    /// Give a lease back (the connection closed); a Redis that does not answer lets it
    /// expire instead.
    pub async fn release(&self, member: &str) {
        let entry = {
            let mut held = crate::locks::lock(&self.held);
            held.remove(member)
        };
        if let Some((key, _)) = entry
            && let Err(e) = self.redis.release(&key, member).await
        {
            self.note_reachable(false, Some(&e));
        }
    }

    /// One heartbeat: say this node is alive, renew every lease it holds (one round trip),
    /// learn how many nodes are alive and the fleet-wide pauses (`None`: Redis did not
    /// answer, the pauses last known hold).
    pub async fn heartbeat(&self, stats: NodeStats) -> Option<Vec<String>> {
        *crate::locks::lock(&self.stats) = stats;
        let held: Vec<(String, String, u32)> = {
            let held = crate::locks::lock(&self.held);
            held.iter()
                .map(|(m, (k, l))| (k.clone(), m.clone(), *l))
                .collect()
        };
        match self
            .redis
            .heartbeat(&self.node, stats, &held, LEASE_TTL)
            .await
        {
            Ok(beat) => {
                self.note_reachable(true, None);
                // A Redis that restarted empty knows fewer nodes than there are until each
                // beats again: while settling the count only grows, so no share swells.
                let nodes = match self.settling() {
                    true => beat.nodes.max(self.nodes()),
                    false => beat.nodes.max(1),
                };
                self.nodes.store(nodes, Ordering::Relaxed);
                if beat.lost > 0 {
                    self.logs.event(format_args!(
                        "cluster: {} lease(s) had expired and the fleet was at the limit",
                        beat.lost
                    ));
                }
                Some(beat.paused)
            }
            Err(e) => {
                self.note_reachable(false, Some(&e));
                None
            }
        }
    }

    /// `pause|resume queue PATTERN --cluster`: true if the fleet's set changed.
    pub async fn set_pause(&self, pattern: &str, pause: bool) -> Result<bool, RedisError> {
        self.redis.set_pause(pattern, pause).await
    }

    /// The fleet-wide pause patterns as Redis holds them now.
    pub async fn paused(&self) -> Result<Vec<String>, RedisError> {
        self.redis.paused().await
    }

    /// `show cluster`.
    pub async fn status(&self) -> Result<proto::ClusterStatus, RedisError> {
        let (now, nodes, limits) = self.redis.status().await?;
        let now: u64 = now.parse().unwrap_or(0);
        let mut paused = self.redis.paused().await?;
        paused.sort();
        Ok(proto::ClusterStatus {
            node: self.node.clone(),
            redis: self.shown_url.clone(),
            nodes: nodes.into_iter().map(|n| node_row(now, n)).collect(),
            limits: limits.into_iter().map(limit_row).collect(),
            paused,
        })
    }

    /// The fallback in force, for the log line that announces it.
    fn fallback_words(&self) -> String {
        match self.fallback() {
            Fallback::Divide => format!("each node applies limit / {} node(s)", self.nodes()),
            Fallback::Local => "each node applies the whole limit on its own".into(),
            Fallback::Pause => "queues with a cluster limit pause until Redis answers".into(),
        }
    }

    /// Logs the switch to the fallback and back once each, not per call.
    fn note_reachable(&self, ok: bool, err: Option<&RedisError>) {
        let was = self.reachable.swap(ok, Ordering::Relaxed);
        match (was, ok) {
            (true, false) => self.logs.event(format_args!(
                "cluster: Redis unreachable ({}); cluster limits in fallback: {}",
                err.map(ToString::to_string).unwrap_or_default(),
                self.fallback_words()
            )),
            (false, true) => {
                *crate::locks::lock(&self.back_at) = Some(std::time::Instant::now());
                self.logs
                    .event("cluster: Redis answers again; cluster limits leave the fallback")
            }
            _ => {}
        }
    }
}

fn node_row(
    now: u64,
    (id, beat, version, queues, connections): redis_io::NodeRow,
) -> proto::ClusterNode {
    let beat = beat.parse::<f64>().unwrap_or(0.0) as u64;
    let age = now.saturating_sub(beat);
    proto::ClusterNode {
        id,
        heartbeat_age_ms: age,
        alive: age <= ALIVE_MS,
        version,
        queues: queues.parse().unwrap_or(0),
        connections: connections.parse().unwrap_or(0),
    }
}

fn limit_row((queue, limit, live): redis_io::LimitRow) -> proto::ClusterLimit {
    let mut per_node: Vec<proto::ClusterNodeUse> = Vec::new();
    for member in &live {
        // Members are NODE:SEQ; a node id may itself hold colons.
        let node = member.rsplit_once(':').map_or(member.as_str(), |(n, _)| n);
        match per_node.iter_mut().find(|u| u.node == node) {
            Some(u) => u.connections += 1,
            None => per_node.push(proto::ClusterNodeUse {
                node: node.to_string(),
                connections: 1,
            }),
        }
    }
    per_node.sort_by(|a, b| a.node.cmp(&b.node));
    proto::ClusterLimit {
        queue,
        max_smtp_out: limit.parse().unwrap_or(0),
        connections: live.len() as u64,
        per_node,
    }
}
