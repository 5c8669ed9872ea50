//! The engine's side of the fleet: a connection of a queue with `cluster-max-smtp-out`
//! starts only with a lease from Redis (or, Redis unreachable, within this node's share).
//!
//! The scheduler reserves the local slot as for any connection; the lease is asked for here,
//! in the connection's own task, so the scheduler's pass never waits on the network. A
//! refusal gives the message back untouched and holds the queue briefly: "at the limit,
//! ask again soon", shown in `domain detail`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use proto::{ControlError, QueueActionReport, QueuePattern};

use super::Shared;
use super::outcomes::Context;
use crate::cluster::{Cluster, Grant, NodeStats};
use crate::control::not_in_fleet;
use crate::queue::Lease;
use crate::sched::Hold;

/// How long a queue the fleet refused waits before asking Redis again.
const RETRY: Duration = Duration::from_millis(250);

/// `Some((first, lease member))` when the connection may go ahead; `None` when it may not
/// (the message is back in its queue). The member is `None` for a queue without a cluster
/// limit; with one it is the lease to give back (held in Redis, or kept for the fallback).
pub async fn admit(
    shared: &Shared,
    ctx: &Context,
    first: Lease,
) -> Option<(Lease, Option<String>)> {
    let (Some(cluster), Some(max)) = (&shared.cluster, ctx.policy.cluster_max_smtp_out) else {
        return Some((first, None));
    };
    let max = u32::try_from(max).unwrap_or(u32::MAX);
    let queue = format!("{}/{}", ctx.domain, ctx.vmta);
    match cluster.acquire(&queue, max).await {
        Grant::Lease(member) | Grant::Fallback(member) => Some((first, Some(member))),
        Grant::Denied { share } => {
            refuse(shared, ctx, first, max, share);
            None
        }
    }
}

fn refuse(shared: &Shared, ctx: &Context, first: Lease, max: u32, share: Option<u32>) {
    let until = Instant::now() + RETRY;
    let hold = Hold::ClusterLimit { max, share, until };
    let mut st = shared.state();
    if let Some(rt) = st.queues.get_mut(&ctx.q) {
        rt.gate.cluster_denied(hold);
        rt.hold = Some(hold);
    }
    st.index.give_back(first, crate::logs::clock::now_secs());
}

/// The heartbeat task: once a second, renew this node's leases, publish its figures and
/// take up the fleet-wide pauses. Runs until shutdown.
pub async fn run_heartbeat(shared: Arc<Shared>, cluster: Arc<Cluster>) {
    let mut tick = tokio::time::interval(crate::cluster::HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tick.tick() => beat(&shared, &cluster).await,
        }
    }
}

/// One heartbeat; the daemon runs the first before its scheduler starts, so a fleet-wide
/// pause holds a restarted node from its first connection.
pub async fn beat(shared: &Shared, cluster: &Cluster) {
    let stats = {
        let st = shared.state();
        NodeStats {
            queues: st.queues.len() as u64,
            connections: u64::from(st.total_out),
        }
    };
    if let Some(paused) = cluster.heartbeat(stats).await {
        apply_pauses(shared, &paused);
    }
}

/// Makes the fleet-wide pause patterns this node's; logs and wakes the scheduler on a
/// change (a resume must send at once).
pub fn apply_pauses(shared: &Shared, paused: &[String]) {
    let patterns: Vec<QueuePattern> = paused
        .iter()
        .filter_map(|p| QueuePattern::parse(p).ok())
        .collect();
    let changed = shared.state().index.set_cluster_pauses(patterns);
    if changed {
        let list = if paused.is_empty() {
            "none".to_string()
        } else {
            paused.join(", ")
        };
        shared
            .logs
            .event(format_args!("cluster: fleet-wide pauses now {list}"));
        shared.wake.notify_one();
    }
}

/// `pause|resume queue PATTERN --cluster`: change the set in Redis, then take it up here at
/// once (the other nodes do at their next heartbeat, within a second).
pub async fn cluster_pause(
    shared: &Shared,
    pattern: &QueuePattern,
    pause: bool,
) -> Result<QueueActionReport, ControlError> {
    let cluster = shared.cluster.as_ref().ok_or_else(not_in_fleet)?;
    let redis = |e: crate::cluster::RedisError| ControlError::Failed(format!("Redis: {e}"));
    let changed = cluster
        .set_pause(&pattern.to_string(), pause)
        .await
        .map_err(redis)?;
    let paused = cluster.paused().await.map_err(redis)?;
    apply_pauses(shared, &paused);
    let st = shared.state();
    let matched = (0..st.index.len())
        .filter_map(|i| st.index.queue_at(i))
        .filter(|&q| {
            let (d, v) = st.index.names_of(q);
            pattern.matches(d, v)
        })
        .count() as u64;
    Ok(QueueActionReport {
        pattern: pattern.to_string(),
        matched,
        changed: if changed { matched } else { 0 },
        warning: None,
    })
}

/// `show cluster`.
pub async fn status(shared: &Shared) -> Result<proto::ClusterStatus, ControlError> {
    let cluster = shared.cluster.as_ref().ok_or_else(not_in_fleet)?;
    cluster
        .status()
        .await
        .map_err(|e| ControlError::Failed(format!("Redis: {e}")))
}
