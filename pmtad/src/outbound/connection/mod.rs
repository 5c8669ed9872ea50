//! One outbound connection: find where to connect, connect within the per-IP limit, then
//! deliver due messages of the queue over it until the queue, the connection or a limit says
//! stop. Local and discard queues run the same loop without a network connection.
//!
//! The loop and the wait between two messages ([`idle`], a child: it takes the next message
//! with [`next_lease`] as the loop does) are one module; the steps the loop calls (fleet
//! lease, rollup, DKIM, outcome application) take its [`Context`] (the daemon's view of
//! the queue) and never call back into the loop.

pub(super) mod idle;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use config::{BounceUponNoMx, Delivery, Host, QueuePolicy, SourceHost};
use rand::seq::SliceRandom;

use super::after_attempt;
use crate::daemon::Context;
use crate::daemon::Shared;
use crate::delivery::classify::internal_reply;
use crate::delivery::local::LocalCommand;
use crate::delivery::{ClientConfig, Destination, SmtpConnection};
use crate::dns::DnsFailure;
use crate::envelope::{Envelope, MessageId};
use crate::logs::Dialogue;
use crate::outcome::{FailureKind, Outcome, Producer};
use crate::queue::{Lease, QueueId};
use idle::Next;

/// Timeout of one run of a local delivery command.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs one connection slot opened by the scheduler, then gives the slot back.
pub async fn connection(shared: Arc<Shared>, q: QueueId, first: Lease) {
    let ctx = Context::of(&shared, q);
    let Some((first, lease)) = crate::daemon::fleet::admit(&shared, &ctx, first).await else {
        release(&shared, q, &ctx.vmta, None);
        return;
    };
    let ip = match &ctx.policy.delivery {
        Delivery::Smtp => match super::rollup::before_connect(&shared, &ctx, first).await {
            Some(first) => smtp(&shared, &ctx, first).await,
            None => None,
        },
        Delivery::Local { argv } => {
            local(&shared, &ctx, argv, first).await;
            None
        }
        Delivery::Discard => {
            discard(&shared, &ctx, first).await;
            None
        }
    };
    release(&shared, q, &ctx.vmta, ip);
    if let (Some(cluster), Some(member)) = (&shared.cluster, lease) {
        cluster.release(&member).await;
    }
}

fn release(shared: &Shared, q: QueueId, vmta: &Arc<str>, ip: Option<IpAddr>) {
    let mut st = shared.state();
    st.total_out = st.total_out.saturating_sub(1);
    if let Some(n) = st.vmta_out.get_mut(vmta) {
        *n = n.saturating_sub(1);
    }
    if let Some(rt) = st.queues.get_mut(&q) {
        rt.gate.release(ip);
    }
    drop(st);
    shared.wake.notify_one();
}

/// The next due message of the queue for a connection that has sent `sent` messages, if the
/// connection may continue (`max-msg-per-connection`, pause, shutdown) and `max-msg-rate`
/// allows it. A lease the rate refuses goes back due now: the scheduler's gate then holds
/// the queue until the rate allows more, and a mode change (backoff to normal) lifts that
/// hold at once instead of leaving the lease parked.
pub(super) fn next_lease(shared: &Shared, ctx: &Context, sent: u32) -> Option<Lease> {
    if shared.shutdown.is_cancelled() {
        return None;
    }
    let now = Instant::now();
    let now_s = crate::logs::clock::now_secs();
    let policies = shared.policies();
    let mut st = shared.state();
    let rt = st.rt(ctx.q, &policies);
    rt.current_mode(now);
    if !rt.gate.connection_may_continue(sent) {
        return None;
    }
    let lease = st.index.take_due(ctx.q, now_s, 1).pop()?;
    let rt = st.rt(ctx.q, &policies);
    if let Err(hold) = rt.gate.try_transaction(now, lease.recipients.len()) {
        rt.hold = Some(hold);
        st.index.give_back(lease, now_s);
        return None;
    }
    Some(lease)
}

async fn smtp(shared: &Arc<Shared>, ctx: &Context, first: Lease) -> Option<IpAddr> {
    let age = Duration::from_secs(crate::logs::clock::now_secs().saturating_sub(first.received));
    let lookup = super::rollup::lookup_domain(shared, ctx, &first).await;
    let dests = destinations(shared, &lookup, &ctx.policy, age).await;
    note_resolved(shared, ctx.q, &dests);
    let dests = match dests {
        Ok(d) => skipped_last(shared, ctx.q, d),
        Err(f) => {
            after_attempt::queue_failure(shared, ctx, first, f.outcome(), None).await;
            return None;
        }
    };
    let (cfg, source) = match client_config(shared, ctx) {
        Source::Ready(cfg, reserved) => (cfg, reserved),
        Source::AllDisabled => {
            let outcome = sources_disabled(&ctx.vmta);
            after_attempt::queue_failure(shared, ctx, first, outcome, None).await;
            return None;
        }
        Source::AllBusy => {
            // Every source address is at source-ip-max-smtp-out: not an attempt.
            let now_s = crate::logs::clock::now_secs();
            shared.state().index.give_back(first, now_s);
            return None;
        }
    };
    let ip = session(shared, ctx, first, dests, cfg).await;
    if let Some(src) = source {
        release_source(shared, ctx.q, src);
    }
    ip
}

/// Connect to the first destination that answers and deliver due messages over it.
async fn session(
    shared: &Arc<Shared>,
    ctx: &Context,
    first: Lease,
    dests: Vec<Destination>,
    cfg: Arc<ClientConfig>,
) -> Option<IpAddr> {
    let (mut conn, ip) = match connect(shared, ctx, dests, cfg).await {
        Ok(c) => c,
        Err(Some(outcome)) => {
            let v = after_attempt::queue_failure(shared, ctx, first, outcome, None).await;
            if let Some(o) = v.bounce_queue {
                after_attempt::bounce_queue(shared, ctx, o).await;
            }
            return None;
        }
        Err(None) => {
            // Every address is at max-smtp-out-per-ip: not an attempt, not a failure.
            shared
                .state()
                .index
                .give_back(first, crate::logs::clock::now_secs());
            return None;
        }
    };
    let mut lease = Some(first);
    let mut sent = 0;
    let mut errors = 0;
    let mut bounce = None;
    let max_errors = ctx.policy.max_errors_per_connection;
    while let Some(l) = lease.take() {
        let Some(l) = crate::daemon::fleet::pace(shared, ctx, l).await else {
            break;
        };
        let v = send_one(shared, ctx, &mut conn, l).await;
        sent += 1;
        errors += v.rcpt_errors;
        bounce = bounce.or(v.bounce_queue);
        let too_many = max_errors.is_some_and(|max| errors >= max);
        if v.stop || too_many || bounce.is_some() || !conn.is_open() {
            break;
        }
        lease = match idle::next_or_idle(shared, ctx, sent) {
            Next::Work(l) => Some(l),
            Next::Wait(rx) => idle::wait(shared, ctx, &mut conn, rx).await,
            Next::Stop => None,
        };
    }
    conn.quit().await;
    if let Some(o) = bounce {
        after_attempt::bounce_queue(shared, ctx, o).await;
    }
    Some(ip)
}

/// Hosts a `skip-mx` reply moved past go after the others (preference order otherwise kept).
fn skipped_last(shared: &Shared, q: QueueId, mut dests: Vec<Destination>) -> Vec<Destination> {
    let st = shared.state();
    if let Some(rt) = st.queues.get(&q).filter(|rt| !rt.skipped_hosts.is_empty()) {
        let now = Instant::now();
        dests.sort_by_key(|d| rt.is_skipped(&d.host, now));
    }
    dests
}

fn sources_disabled(vmta: &str) -> Outcome {
    let reply = internal_reply(
        451,
        "4.4.0",
        format!(
            "every source address of virtual MTA {vmta} is disabled for this queue (disable-source-ip)"
        ),
    );
    Outcome::Transient {
        reply,
        by: Producer::Internal,
        kind: FailureKind::Policy,
    }
}

async fn send_one(
    shared: &Arc<Shared>,
    ctx: &Context,
    conn: &mut SmtpConnection,
    lease: Lease,
) -> after_attempt::Verdict {
    let (env, content) = match shared.spool.read_message(lease.message).await {
        Ok(m) => m,
        Err(e) => {
            after_attempt::spool_unreadable(shared, ctx, lease, &e.to_string());
            return after_attempt::Verdict::default();
        }
    };
    let Some(lease) = super::rollup::recheck(shared, ctx, lease, &env).await else {
        return after_attempt::Verdict::default();
    };
    let rcpts: Vec<&str> = lease
        .recipients
        .iter()
        .map(|&i| env.recipients[i as usize].address.as_str())
        .collect();
    let id = lease.message;
    let signature = super::dkim_signing::signature(shared, ctx, id, &env, &content);
    let stamp = stamp_line(shared, id, &env, &rcpts);
    let mut chunks: Vec<&[u8]> = Vec::with_capacity(3);
    chunks.extend(stamp.as_deref().map(str::as_bytes));
    chunks.extend(signature.as_deref().map(str::as_bytes));
    chunks.push(&content);
    let results = conn.send(&env.mail_from, &rcpts, &chunks).await;
    let info = conn.info().clone();
    let verdict =
        after_attempt::apply(shared, ctx, lease, &env, &content, results, Some(&info)).await;
    super::dkim_signing::forget_if_done(shared, ctx, id);
    verdict
}

/// The `X-Pmtad-Ref` header of this transaction while a return-path processor is
/// configured (see `crate::returnpath::stamp`), so its bounces and complaints can be
/// matched; above the DKIM signature, which does not cover it.
fn stamp_line(shared: &Shared, id: MessageId, env: &Envelope, rcpts: &[&str]) -> Option<String> {
    if !shared.policies().config.has_processor() {
        return None;
    }
    let job = env.job_id.as_deref();
    shared.returnpath.stamp_line(id.0, job, &env.vmta, rcpts)
}

/// Where to connect, best first: `resolve-to`, `route`/`smtp-hosts` (hosts of one
/// preference level in random order, so load spreads over them), else the MX hosts; a
/// domain without MX records bounces instead when `bounce-upon-no-mx` says so for mail of
/// this `age`.
async fn destinations(
    shared: &Shared,
    domain: &str,
    policy: &QueuePolicy,
    age: Duration,
) -> Result<Vec<Destination>, DnsFailure> {
    let resolver = shared.resolver();
    let port = policy.smtp_port;
    if let Some(ip) = policy.resolve_to {
        return Ok(vec![Destination {
            host: domain.to_string(),
            ip,
            port,
        }]);
    }
    let mut hosts: Vec<(String, u16)> = Vec::new();
    match &policy.route {
        Some(levels) => {
            for level in levels {
                let mut level: Vec<_> = level.iter().collect();
                level.shuffle(&mut rand::rng());
                for hp in level {
                    let p = hp.port.unwrap_or(port);
                    match &hp.host {
                        Host::Name(n) => hosts.push((n.clone(), p)),
                        Host::Ip(ip) => hosts.push((format!("[{ip}]"), p)),
                        Host::LookupMx(d) => {
                            for t in resolver.mx_targets(d).await? {
                                hosts.push((t.host, p));
                            }
                        }
                    }
                }
            }
        }
        None => {
            let targets = resolver.mx_targets(domain).await?;
            if targets.iter().any(|t| t.implicit) && no_mx_bounces(policy, age) {
                return Err(DnsFailure::NoMx(domain.to_string()));
            }
            for t in targets {
                hosts.push((t.host, port));
            }
        }
    }
    let mut out = Vec::new();
    let mut last_err = None;
    for (host, port) in hosts {
        match resolver.addresses(&host).await {
            Ok(mut ips) => {
                // Spread connections over a host's addresses, as over equal-preference MXs.
                ips.shuffle(&mut rand::rng());
                out.extend(ips.into_iter().map(|ip| Destination {
                    host: host.trim_matches(|c| c == '[' || c == ']').to_string(),
                    ip,
                    port,
                }));
            }
            Err(e) => last_err = Some(e),
        }
    }
    match (out.is_empty(), last_err) {
        (true, Some(e)) => Err(e),
        _ => Ok(out),
    }
}

/// `bounce-upon-no-mx`: `yes` bounces mail for a domain without MX at once, `TIME` once
/// it has waited that long (the A/AAAA records are tried meanwhile).
fn no_mx_bounces(policy: &QueuePolicy, age: Duration) -> bool {
    match policy.bounce_upon_no_mx {
        BounceUponNoMx::No => false,
        BounceUponNoMx::Yes => true,
        BounceUponNoMx::After(d) => age >= d,
    }
}

/// Keep the routing answer for `domain detail`.
fn note_resolved(shared: &Shared, q: QueueId, dests: &Result<Vec<Destination>, DnsFailure>) {
    let resolved = match dests {
        Ok(list) => {
            let mut hosts: Vec<(String, Vec<IpAddr>)> = Vec::new();
            for d in list {
                match hosts.iter_mut().find(|(h, _)| *h == d.host) {
                    Some((_, ips)) => ips.push(d.ip),
                    None => hosts.push((d.host.clone(), vec![d.ip])),
                }
            }
            Ok(hosts)
        }
        Err(e) => {
            shared.metrics.dns_failure();
            Err(e.to_string())
        }
    };
    let ips = resolved
        .as_ref()
        .ok()
        .map(|h| h.iter().map(|(_, ips)| ips.len() as u32).sum());
    if let Some(rt) = shared.state().queues.get_mut(&q) {
        rt.gate.set_known_ips(ips);
        rt.resolved = Some(resolved);
        rt.resolved_at = Some(Instant::now());
    }
}

/// The source address of a new connection.
enum Source {
    /// Client settings, and the address reserved under `source-ip-max-smtp-out` (give it
    /// back with [`release_source`]).
    Ready(Arc<ClientConfig>, Option<IpAddr>),
    /// `disable-source-ip` took every source address of the virtual MTA out of use.
    AllDisabled,
    /// Every usable source address is at `source-ip-max-smtp-out`.
    AllBusy,
}

/// The SMTP client settings of this connection: the virtual MTA's next source address
/// (round robin over those no `disable-source-ip` reply took out of use for this queue and
/// below `source-ip-max-smtp-out`) and its EHLO name.
fn client_config(shared: &Shared, ctx: &Context) -> Source {
    let policies = shared.policies();
    let cfg = &policies.config;
    let all = cfg.source_hosts_of(&ctx.vmta);
    let now = Instant::now();
    let limit = ctx.policy.source_ip_max_smtp_out;
    let mut st = shared.state();
    let Some(rt) = st.queues.get_mut(&ctx.q) else {
        return Source::AllBusy;
    };
    let enabled: Vec<&SourceHost> = all
        .iter()
        .filter(|s| rt.source_enabled(s.ip, now))
        .collect();
    if enabled.is_empty() && !all.is_empty() {
        return Source::AllDisabled;
    }
    let free: Vec<&SourceHost> = enabled
        .into_iter()
        .filter(|s| rt.source_free(s.ip, limit))
        .collect();
    if free.is_empty() && !all.is_empty() {
        return Source::AllBusy;
    }
    let source = if free.is_empty() {
        None
    } else {
        let turn = shared
            .counters
            .conns_out
            .load(std::sync::atomic::Ordering::Relaxed) as usize;
        Some(free[turn % free.len()])
    };
    let reserved = source.and_then(|s| rt.reserve_source(s.ip, limit));
    drop(st);
    let helo = cfg
        .ehlo_name(&ctx.vmta, source)
        .map(str::to_string)
        .unwrap_or_else(|| shared.host_name());
    let client = crate::daemon::convert::client(&ctx.policy, helo, source.map(|s| s.ip));
    Source::Ready(Arc::new(client), reserved)
}

/// Give back a source address reserved under `source-ip-max-smtp-out`.
fn release_source(shared: &Shared, q: QueueId, ip: IpAddr) {
    if let Some(rt) = shared.state().queues.get_mut(&q) {
        rt.release_source(ip);
    }
    shared.wake.notify_one();
}

/// Try each destination within the per-IP limit; the first session that opens wins.
async fn connect(
    shared: &Shared,
    ctx: &Context,
    dests: Vec<Destination>,
    cfg: Arc<ClientConfig>,
) -> Result<(SmtpConnection, IpAddr), Option<Outcome>> {
    let mut last: Option<Outcome> = None;
    let mut claimed_any = false;
    for dest in dests {
        if !claim_ip(shared, ctx.q, dest.ip) {
            continue;
        }
        claimed_any = true;
        let n = (shared.counters.conns_out).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = (shared.logs).outbound_session(n + 1, Dialogue::from(&*ctx.policy));
        match SmtpConnection::connect_logged(dest.clone(), cfg.clone(), log).await {
            Ok(c) => {
                if c.info().tls.is_some() {
                    shared.metrics.tls_handshake_out();
                }
                return Ok((c, dest.ip));
            }
            Err(e) => {
                unclaim_ip(shared, ctx.q, dest.ip);
                shared
                    .logs
                    .connection_error(&ctx.domain, &ctx.vmta, &dest.host, Some(dest.ip), &e);
                last = Some(e.outcome(&dest));
            }
        }
    }
    match (last, claimed_any) {
        (Some(outcome), _) => Err(Some(outcome)),
        (None, true) => Err(Some(no_destination())),
        (None, false) => Err(None),
    }
}

fn no_destination() -> Outcome {
    let reply = internal_reply(451, "4.4.4", "no destination address could be reached");
    Outcome::Transient {
        reply,
        by: Producer::Internal,
        kind: FailureKind::Connect,
    }
}

fn claim_ip(shared: &Shared, q: QueueId, ip: IpAddr) -> bool {
    let mut st = shared.state();
    let Some(rt) = st.queues.get_mut(&q) else {
        return true;
    };
    match rt.gate.try_claim_ip(ip) {
        Ok(()) => true,
        Err(hold) => {
            rt.hold = Some(hold);
            false
        }
    }
}

fn unclaim_ip(shared: &Shared, q: QueueId, ip: IpAddr) {
    let mut st = shared.state();
    if let Some(rt) = st.queues.get_mut(&q) {
        // Give back the address claim but keep the connection slot, which `release` returns.
        rt.gate.release_ip(ip);
    }
}

async fn local(shared: &Arc<Shared>, ctx: &Context, argv: &[String], first: Lease) {
    let command = match LocalCommand::parse(&argv.join(" "), LOCAL_TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            let reply = internal_reply(554, "5.3.5", format!("bad mailbox-command: {e}"));
            let outcome = Outcome::Permanent {
                reply,
                by: Producer::Internal,
                kind: FailureKind::LocalCommand,
            };
            after_attempt::queue_failure(shared, ctx, first, outcome, None).await;
            return;
        }
    };
    let mut lease = Some(first);
    let mut sent = 0;
    while let Some(l) = lease.take() {
        let (env, content) = match shared.spool.read_message(l.message).await {
            Ok(m) => m,
            Err(e) => {
                after_attempt::spool_unreadable(shared, ctx, l, &e.to_string());
                continue;
            }
        };
        let mut results = Vec::with_capacity(l.recipients.len());
        for &i in &l.recipients {
            let rcpt = &env.recipients[i as usize].address;
            results.push(command.deliver(&env.mail_from, rcpt, &[&content]).await);
        }
        after_attempt::apply(shared, ctx, l, &env, &content, results, None).await;
        sent += 1;
        lease = next_lease(shared, ctx, sent);
    }
}

async fn discard(shared: &Arc<Shared>, ctx: &Context, first: Lease) {
    let mut lease = Some(first);
    while let Some(l) = lease.take() {
        if let Ok((env, content)) = shared.spool.read_message(l.message).await {
            let reply = internal_reply(250, "2.0.0", "discarded (type discard)");
            let results = l
                .recipients
                .iter()
                .map(|_| Outcome::Delivered {
                    reply: reply.clone(),
                    by: Producer::Internal,
                })
                .collect();
            after_attempt::apply(shared, ctx, l, &env, &content, results, None).await;
        }
        lease = next_lease(shared, ctx, 0);
    }
}
