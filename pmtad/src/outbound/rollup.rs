//! Merged queues: `queue-to NAME` and MX rollup (`<mx-rollup-list>`).
//!
//! A recipient domain's mail joins the queue of its `queue-to`, else the rollup its MX hosts
//! were last seen to match, else its own queue. Rollup membership is learnt at delivery
//! time, from the same MX answer delivery uses: before a domain queue connects it compares
//! its most-preferred MX hosts with the rollup list; on a match its waiting mail moves to the
//! rollup queue (`NAME.rollup/VMTA`, one `<domain NAME.rollup>` policy) and later mail goes
//! there directly. The rollup queue checks each message's recipient domains again before
//! sending (through the resolver's cache, so as often as the records' TTL allows) and routes
//! recipients whose domain no longer matches anew, so a DNS change moves pending recipients
//! at the next resolution and loses none.
//!
//! With the outbound side because membership is learnt and checked by the connection loop;
//! intake only asks [`route`](crate::daemon::route) for the queue of a recipient domain, from
//! the table in [`crate::daemon::Routes`] this module keeps up to date.

use std::net::IpAddr;
use std::sync::Arc;

use std::collections::HashMap;

use crate::daemon::{Context, Shared, route};
use crate::envelope::Envelope;
use crate::logs::clock::now_secs;
use crate::queue::Lease;

/// The rollup whose patterns the most-preferred MX hosts of `domain` match; `Err` when DNS
/// gave no answer (membership then stays as it was).
pub async fn classify(shared: &Shared, domain: &str) -> Result<Option<String>, ()> {
    let policies = shared.policies();
    let cfg = &policies.config;
    if cfg.mx_rollups.is_empty() {
        return Ok(None);
    }
    let resolver = shared.resolver();
    let targets = resolver.mx_targets(domain).await.map_err(|_| ())?;
    let Some(best) = targets
        .iter()
        .filter(|t| !t.implicit)
        .map(|t| t.preference)
        .min()
    else {
        return Ok(None);
    };
    let hosts: Vec<String> = targets
        .iter()
        .filter(|t| t.preference == best && !t.implicit)
        .map(|t| t.host.to_ascii_lowercase())
        .collect();
    let mut ips: Vec<IpAddr> = Vec::new();
    if cfg.mx_rollups.iter().any(|r| r.by_ip()) {
        for h in &hosts {
            ips.extend(resolver.addresses(h).await.unwrap_or_default());
        }
    }
    let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
    Ok(cfg.mx_rollup_for(&refs, &ips).map(|r| r.name.clone()))
}

/// Before a domain queue connects: when its MX hosts match a rollup, its waiting mail (and
/// `first`) moves to the rollup queue and `None` comes back; otherwise `first` does.
pub async fn before_connect(shared: &Shared, ctx: &Context, first: Lease) -> Option<Lease> {
    let p = &ctx.policy;
    let fixed = p.route.is_some() || p.resolve_to.is_some() || p.disable_mx_rollup;
    if fixed || shared.state().routes.is_merged(&ctx.domain) {
        return Some(first);
    }
    let Ok(Some(rollup)) = classify(shared, &ctx.domain).await else {
        return Some(first);
    };
    let moved = {
        let mut st = shared.state();
        st.routes.set(&ctx.domain, Some(&rollup));
        st.index.give_back(first, now_secs());
        st.index.move_waiting(ctx.q, &rollup)
    };
    shared.logs.event(format!(
        "{}: MX hosts match {rollup}; {moved} recipient(s) moved to {rollup}/{}",
        ctx.domain, ctx.vmta
    ));
    shared.wake.notify_one();
    None
}

/// True when `queue_domain` is a configured rollup.
fn is_rollup(shared: &Shared, queue_domain: &str) -> bool {
    let policies = shared.policies();
    policies
        .config
        .mx_rollups
        .iter()
        .any(|r| r.name == queue_domain)
}

/// In a rollup queue, before sending: recipients whose domain's MX hosts no longer match
/// this rollup are routed anew (to their own queue or another rollup). Returns the lease
/// with the recipients that stay, or None when none does.
pub async fn recheck(
    shared: &Shared,
    ctx: &Context,
    lease: Lease,
    env: &Envelope,
) -> Option<Lease> {
    if !is_rollup(shared, &ctx.domain) {
        return Some(lease);
    }
    let mut verdicts: HashMap<String, bool> = HashMap::new();
    let mut leaving = Vec::new();
    for &i in &lease.recipients {
        let domain = env.recipients[i as usize].domain().to_ascii_lowercase();
        let stays = match verdicts.get(&domain) {
            Some(v) => *v,
            None => {
                let v = match classify(shared, &domain).await {
                    Ok(found) => leave_unless(shared, &domain, found, &ctx.domain),
                    Err(()) => true,
                };
                verdicts.insert(domain, v);
                v
            }
        };
        if !stays {
            leaving.push(i);
        }
    }
    if leaving.is_empty() {
        return Some(lease);
    }
    reroute(shared, ctx, lease, env, &leaving)
}

/// Records the new membership of `domain`; true when it is still `rollup`.
fn leave_unless(shared: &Shared, domain: &str, found: Option<String>, rollup: &str) -> bool {
    if found.as_deref() == Some(rollup) {
        return true;
    }
    shared.state().routes.set(domain, found.as_deref());
    shared.logs.event(format!(
        "{domain}: MX hosts no longer match {rollup}; its recipients move to {}",
        found.as_deref().unwrap_or(domain)
    ));
    false
}

/// Moves `leaving` out of `lease` into the queues routing now picks for them; the lease
/// keeps the rest (None, and its slot finished, when nothing is left).
fn reroute(
    shared: &Shared,
    ctx: &Context,
    mut lease: Lease,
    env: &Envelope,
    leaving: &[u32],
) -> Option<Lease> {
    let policies = shared.policies();
    let now = now_secs();
    let mut guard = shared.state();
    let st = &mut *guard;
    let (index, routes) = (&mut st.index, &mut st.routes);
    index.insert_routed(lease.message, env, Some(leaving), now, |d| {
        route(&policies, routes, d, &ctx.vmta)
    });
    lease.recipients.retain(|i| !leaving.contains(i));
    let out = if lease.recipients.is_empty() {
        index.finish(lease);
        None
    } else {
        Some(lease)
    };
    drop(guard);
    shared.wake.notify_one();
    out
}

/// The domain whose MX hosts a connection of the queue goes to: the queue's own, or for a
/// merged queue (rollup, `queue-to`) the domain of the first recipient it sends (every
/// member's MX hosts are the provider's).
pub async fn lookup_domain(shared: &Shared, ctx: &Context, first: &Lease) -> Arc<str> {
    if !shared.state().routes.is_merged(&ctx.domain) {
        return ctx.domain.clone();
    }
    match shared.spool.read_message(first.message).await {
        Ok((env, _)) => first
            .recipients
            .first()
            .and_then(|&i| env.recipients.get(i as usize))
            .map(|r| Arc::from(r.domain().to_ascii_lowercase()))
            .unwrap_or_else(|| ctx.domain.clone()),
        Err(_) => ctx.domain.clone(),
    }
}
