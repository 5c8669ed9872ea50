//! The engine's side of the fleet: a connection of a queue with `cluster-max-smtp-out`
//! starts only with a lease from Redis (or, Redis unreachable, within this node's share).
//!
//! The scheduler reserves the local slot as for any connection; the lease is asked for here,
//! in the connection's own task, so the scheduler's pass never waits on the network. A
//! refusal gives the message back untouched and holds the queue briefly: "at the limit,
//! ask again soon", shown in `domain detail`.

use std::time::{Duration, Instant};

use super::Shared;
use super::outcomes::Context;
use crate::cluster::Grant;
use crate::queue::Lease;
use crate::sched::Hold;

/// How long a queue the fleet refused waits before asking Redis again.
const RETRY: Duration = Duration::from_millis(250);

/// `Some((first, lease member))` when the connection may go ahead; `None` when it may not
/// (the message is back in its queue). The member is `None` without a Redis lease.
pub async fn admit(
    shared: &Shared,
    ctx: &Context,
    first: Lease,
) -> Option<(Lease, Option<String>)> {
    let (Some(cluster), Some(max)) = (&shared.cluster, ctx.policy.cluster_max_smtp_out) else {
        return Some((first, None));
    };
    let max = u32::try_from(max).unwrap_or(u32::MAX);
    let local = local_open(shared, ctx);
    let queue = format!("{}/{}", ctx.domain, ctx.vmta);
    match cluster.acquire(&queue, max, local).await {
        Grant::Lease(member) => Some((first, Some(member))),
        Grant::Fallback => Some((first, None)),
        Grant::Denied { share } => {
            refuse(shared, ctx, first, max, share);
            None
        }
    }
}

/// This node's open connections of the queue, the one asking included.
fn local_open(shared: &Shared, ctx: &Context) -> u32 {
    let st = shared.state();
    st.queues.get(&ctx.q).map_or(1, |rt| rt.gate.active())
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
