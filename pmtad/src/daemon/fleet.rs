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

use super::Context;
use super::Shared;
use crate::cluster::{Cluster, Grant, NodeStats, RateKind};
use crate::control::not_in_fleet;
use crate::queue::Lease;
use crate::sched::Hold;

/// How long a queue the fleet refused waits before asking Redis again.
const RETRY: Duration = Duration::from_millis(250);

/// `Some((first, lease member))` when the connection may go ahead; `None` when it may not
/// (the message is back in its queue). The member is `None` for a queue without a cluster
/// limit; with one it is the lease to give back (held in Redis, or kept for the fallback).
/// `cluster-max-connect-rate` is charged here, after the lease: one round trip each.
pub async fn admit(
    shared: &Shared,
    ctx: &Context,
    first: Lease,
) -> Option<(Lease, Option<String>)> {
    let Some(cluster) = &shared.cluster else {
        return Some((first, None));
    };
    let queue = queue_name(ctx);
    let mut member = None;
    if let Some(max) = ctx.policy.cluster_max_smtp_out {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        match cluster.acquire(&queue, max).await {
            Grant::Lease(m) | Grant::Fallback(m) => member = Some(m),
            Grant::Denied { share } => {
                let until = Instant::now() + RETRY;
                refuse(shared, ctx, first, Hold::ClusterLimit { max, share, until });
                return None;
            }
        }
    }
    if let Some(rate) = ctx.policy.cluster_max_connect_rate
        && let Err(w) =
            (cluster.take(RateKind::Connect, &queue, (rate.count, rate.per), 1, || 0)).await
    {
        if let Some(m) = &member {
            cluster.release(m).await;
        }
        let hold = Hold::ClusterRate {
            connect: true,
            fallback: w.fallback,
            until: w.until,
        };
        refuse(shared, ctx, first, hold);
        return None;
    }
    Some((first, member))
}

/// The fleet's name of the queue (its Redis keys carry it): the nodes name it alike.
fn queue_name(ctx: &Context) -> String {
    format!("{}/{}", ctx.domain, ctx.vmta)
}

/// Before each message of an SMTP connection: `cluster-max-msg-rate` tokens for its
/// recipients (from the node's purse; a round trip per batch). A wait up to [`SHORT_WAIT`]
/// is spent here with the connection kept open; a longer one gives the message back (the
/// connection then closes). Either way the queue opens no new connection before a token
/// fits. `None`: the message is back in its queue.
pub async fn pace(shared: &Shared, ctx: &Context, lease: Lease) -> Option<Lease> {
    let (Some(cluster), Some(rate)) = (&shared.cluster, ctx.policy.cluster_max_msg_rate) else {
        return Some(lease);
    };
    let queue = queue_name(ctx);
    let n = u32::try_from(lease.recipients.len()).unwrap_or(u32::MAX);
    loop {
        let waiting = || shared.state().index.waiting(ctx.q);
        let took = cluster.take(RateKind::Msg, &queue, (rate.count, rate.per), n, waiting);
        let Err(w) = took.await else {
            return Some(lease);
        };
        let hold = Hold::ClusterRate {
            connect: false,
            fallback: w.fallback,
            until: w.until,
        };
        hold_queue(shared, ctx, hold);
        let long = w.until.saturating_duration_since(Instant::now()) > SHORT_WAIT;
        if long || shared.shutdown.is_cancelled() {
            return give_back(shared, lease);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(w.until.into()) => {}
            _ = shared.shutdown.cancelled() => return give_back(shared, lease),
        }
    }
}

/// The longest a connection waits for a `cluster-max-msg-rate` token with its server.
const SHORT_WAIT: Duration = Duration::from_secs(2);

fn give_back(shared: &Shared, lease: Lease) -> Option<Lease> {
    let mut st = shared.state();
    st.index.give_back(lease, crate::logs::clock::now_secs());
    None
}

/// The queue opens no new connection before the hold's time (`domain detail` shows it).
fn hold_queue(shared: &Shared, ctx: &Context, hold: Hold) {
    let mut st = shared.state();
    if let Some(rt) = st.queues.get_mut(&ctx.q) {
        rt.gate.cluster_denied(hold);
        rt.hold = Some(hold);
    }
}

fn refuse(shared: &Shared, ctx: &Context, first: Lease, hold: Hold) {
    hold_queue(shared, ctx, hold);
    give_back(shared, first);
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
