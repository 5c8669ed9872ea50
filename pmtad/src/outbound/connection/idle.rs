//! Idle connections (`connection-idle-timeout`): a connection whose queue has no due mail
//! waits a while for the scheduler to hand it the next message instead of closing.
//!
//! Why: a relay fed in real time drains its queues as fast as mail arrives, so without this
//! every message paid a TCP connect, greeting, EHLO and QUIT of its own (measured: one
//! connection per message in `relay-bench`, most of pmtad's CPU).
//!
//! Hand-over goes through one oneshot channel per idle connection, registered in
//! [`QueueRt::idle`](crate::daemon::QueueRt) under the state lock, so a lease reaches exactly one
//! connection. A connection that stops waiting closes its receiver and then takes whatever
//! arrived meanwhile, so no lease is ever dropped with a receiver (it would stay in flight
//! for ever).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::daemon::Context;
use crate::daemon::{Shared, State};
use crate::delivery::SmtpConnection;
use crate::logs::clock::now_secs;
use crate::queue::{Lease, QueueId};

/// What a connection does after a message.
pub enum Next {
    /// Send this one.
    Work(Lease),
    /// Nothing due: wait on this for a message handed over by the scheduler.
    Wait(oneshot::Receiver<Lease>),
    /// Close (limit reached, shutdown, idling off).
    Stop,
}

/// The next due message for a connection that has sent `sent` messages (charged to
/// `max-msg-rate` like any); with none it may take, register the connection as idle. When
/// mail is due anyway (the rate refused it, or it arrived between the two steps) the
/// scheduler is woken: it hands the message over as soon as the rate allows, so a
/// rate-limited queue keeps its connection instead of reconnecting.
pub fn next_or_idle(shared: &Shared, ctx: &Context, sent: u32) -> Next {
    if let Some(lease) = super::next_lease(shared, ctx, sent) {
        return Next::Work(lease);
    }
    if shared.shutdown.is_cancelled() || ctx.policy.connection_idle_timeout.is_zero() {
        return Next::Stop;
    }
    let mut guard = shared.state();
    let st = &mut *guard;
    let Some(rt) = st.queues.get_mut(&ctx.q) else {
        return Next::Stop;
    };
    if !rt.gate.connection_may_continue(sent) {
        return Next::Stop;
    }
    let (tx, rx) = oneshot::channel();
    rt.idle.retain(|t| !t.is_closed());
    rt.idle.push(tx);
    if st.index.has_due(ctx.q, now_secs()) {
        shared.wake.notify_one();
    }
    Next::Wait(rx)
}

/// Waits as an idle connection for a handed-over message, until `connection-idle-timeout`,
/// shutdown, or the server closing its side. A message that arrives as the wait ends is
/// used if the connection is still good, else given back to the queue untried.
pub async fn wait(
    shared: &Shared,
    ctx: &Context,
    conn: &mut SmtpConnection,
    mut rx: oneshot::Receiver<Lease>,
) -> Option<Lease> {
    tokio::select! {
        handed = &mut rx => return handed.ok(),
        _ = tokio::time::sleep(ctx.policy.connection_idle_timeout) => {}
        _ = shared.shutdown.cancelled() => {}
        _ = conn.closed_by_peer() => {}
    }
    rx.close();
    let late = rx.try_recv().ok()?;
    if conn.is_open() && !shared.shutdown.is_cancelled() {
        return Some(late);
    }
    shared.state().index.give_back(late, now_secs());
    shared.wake.notify_one();
    None
}

/// Scheduler side: due messages of `q` go to its idle connections first (already open, no
/// connection limit to check, `max-msg-rate` charged as for a busy connection); what is
/// left is for new connections.
pub fn hand_over(st: &mut State, q: QueueId, now: Instant, now_s: u64) {
    let Some(rt) = st.queues.get_mut(&q) else {
        return;
    };
    rt.idle.retain(|t| !t.is_closed());
    if rt.idle.is_empty() || rt.gate.deferred(now) {
        return;
    }
    rt.current_mode(now);
    while !rt.idle.is_empty() {
        let Some(mut lease) = st.index.take_due(q, now_s, 1).pop() else {
            return;
        };
        if let Err(hold) = rt.gate.try_transaction(now, lease.recipients.len()) {
            rt.hold = Some(hold);
            st.index.give_back(lease, now_s);
            return;
        }
        // Most recently idle first: the others time out and close, so the queue keeps as
        // few connections as its flow needs.
        loop {
            let Some(tx) = rt.idle.pop() else {
                st.index.give_back(lease, now_s);
                return;
            };
            match tx.send(lease) {
                Ok(()) => break,
                Err(back) => lease = back,
            }
        }
    }
}

/// A limit across queues (`total-max-smtp-out`, a virtual MTA's `max-smtp-out`) is full:
/// close the idle connections of one queue (of `vmta` when given) so a queue with due mail
/// gets their slots once they are released. Returns whether any was found.
pub fn reclaim(st: &mut State, vmta: Option<&Arc<str>>) -> bool {
    let index = &st.index;
    let found = st
        .queues
        .iter_mut()
        .find(|(q, rt)| !rt.idle.is_empty() && vmta.is_none_or(|v| index.names_of(**q).1 == v));
    match found {
        Some((_, rt)) => {
            // Dropping the sender ends that connection's wait; it quits and releases.
            rt.idle.clear();
            true
        }
        None => false,
    }
}
