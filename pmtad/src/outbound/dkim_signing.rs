//! DKIM signing at delivery time with the keys of the connection's virtual MTA, once per
//! message: the key rings of a configuration and the signatures made with them. The signer
//! itself is [`crate::delivery::dkim`]; this module is the outbound side's use of it.
//!
//! Key rings are built once per configuration and virtual MTA (keys were read and checked
//! when the config loaded), so signing costs only the signature itself (~0.7 ms RSA-2048,
//! ~30 µs Ed25519 on this machine).
//!
//! # Once per message
//!
//! A message is signed right before its first attempt and the `DKIM-Signature` header is
//! kept ([`Signed`]) until the message leaves the spool, so every retry sends exactly the
//! same bytes and pays no second signature (re-signing would also change `t=`). Why not in
//! the spool or at intake: the signing key depends on the recipient's queue (`dkim-sign`,
//! `dkim-headers`, `dkim-identity`, `dkim-algorithm` are per domain), which intake would have to resolve for every recipient
//! before its 250, and a stored signature would outlive a key rotation. The cache lives in
//! [`KeyRings`], i.e. with one loaded configuration: after a reload (new keys, selectors or
//! header lists) or a restart, a deferred message is signed once more with the keys then in
//! force. Memory is one header (~400 bytes RSA) per signed message still in the spool:
//! delivered messages leave at once, the rest are swept when the map doubles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use config::{Config, DkimAlgorithm, QueuePolicy};

use crate::delivery::dkim::KeyRing;
use crate::envelope::{Envelope, MessageId};
use crate::spool::Spool;

use super::context::Context;
use crate::daemon::Shared;

/// Key rings by (virtual MTA, extra signed headers), for one loaded configuration, and the
/// signatures made with them.
#[derive(Debug, Default)]
pub struct KeyRings {
    rings: Mutex<HashMap<(String, Vec<String>), KeyRing>>,
    signed: Mutex<Signed>,
}

/// What picks the key and shapes a signature besides the virtual MTA (which is the
/// message's own): the queue's `dkim-headers`, `dkim-identity` and `dkim-algorithm`.
#[derive(Debug, PartialEq, Eq)]
struct Settings {
    headers: Vec<String>,
    identity: String,
    algorithm: DkimAlgorithm,
}

impl Settings {
    fn of(p: &QueuePolicy) -> Self {
        Settings {
            headers: p.dkim_headers.clone(),
            identity: p.dkim_identity.clone(),
            algorithm: p.dkim_algorithm,
        }
    }

    fn matches(&self, p: &QueuePolicy) -> bool {
        self.headers == p.dkim_headers
            && self.identity == p.dkim_identity
            && self.algorithm == p.dkim_algorithm
    }
}

/// A message's signatures, one per distinct [`Settings`] among its signing queues.
type Signatures = Vec<(Settings, Arc<str>)>;

/// Signatures already made, by message.
#[derive(Debug, Default)]
struct Signed {
    by_message: HashMap<MessageId, Signatures>,
    /// Size at which entries of messages no longer in the spool are swept out.
    sweep_at: usize,
}

/// Entries kept before the first sweep for messages gone from the spool.
const FIRST_SWEEP: usize = 1024;

impl Signed {
    fn get(&self, id: MessageId, policy: &QueuePolicy) -> Option<Arc<str>> {
        let list = self.by_message.get(&id)?;
        list.iter()
            .find(|(how, _)| how.matches(policy))
            .map(|(_, sig)| sig.clone())
    }

    /// Keep a signature; sweep out messages that left the spool some other way (operator
    /// delete, expiry) once the map has doubled since the last sweep.
    fn insert(&mut self, id: MessageId, policy: &QueuePolicy, sig: Arc<str>, spool: &Spool) {
        if self.by_message.len() >= self.sweep_at.max(FIRST_SWEEP) {
            self.by_message.retain(|id, _| spool.contains(*id));
            self.sweep_at = self.by_message.len() * 2;
        }
        let list = self.by_message.entry(id).or_default();
        list.push((Settings::of(policy), sig));
    }
}

impl KeyRings {
    fn signed(&self) -> std::sync::MutexGuard<'_, Signed> {
        self.signed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The keys a virtual MTA signs with: its own, then its pools', then the global ones.
    fn ring(&self, cfg: &Config, vmta: &str, headers: &[String]) -> Option<KeyRing> {
        let key = (vmta.to_string(), headers.to_vec());
        let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = rings.get(&key) {
            return Some(r.clone());
        }
        let mut keys = Vec::new();
        keys.extend(
            cfg.vmta(vmta)
                .map(|v| v.domain_keys.clone())
                .unwrap_or_default(),
        );
        for pool in cfg
            .pools
            .values()
            .filter(|p| p.members.iter().any(|m| m == vmta))
        {
            keys.extend(pool.domain_keys.iter().cloned());
        }
        keys.extend(cfg.domain_keys.iter().cloned());
        match KeyRing::from_config(&keys, headers) {
            Ok(ring) => {
                rings.insert(key, ring.clone());
                Some(ring)
            }
            Err(e) => {
                tracing::error!("dkim: keys of virtual MTA {vmta}: {e}");
                None
            }
        }
    }
}

/// The `DKIM-Signature:` header for message `id` when the queue has `dkim-sign yes` and a
/// key covers the message's From (or sender) domain; `None` otherwise. Signed on the first
/// call, the same header on every later one (see the module notes).
pub fn signature(
    shared: &Shared,
    ctx: &Context,
    id: MessageId,
    env: &Envelope,
    content: &[u8],
) -> Option<Arc<str>> {
    if !ctx.policy.dkim_sign {
        return None;
    }
    let policies = shared.policies();
    let rings = &policies.keyrings;
    if let Some(sig) = rings.signed().get(id, &ctx.policy) {
        return Some(sig);
    }
    let ring = rings.ring(&policies.config, &ctx.vmta, &ctx.policy.dkim_headers)?;
    let sender_domain = env.mail_from.rsplit_once('@').map_or("", |(_, d)| d);
    let ed25519 = Some(ctx.policy.dkim_algorithm == DkimAlgorithm::Ed25519Sha256);
    let identity = &ctx.policy.dkim_identity;
    let sig: Arc<str> = match ring.sign_as(&[content], sender_domain, identity, ed25519) {
        Ok(sig) => sig?.into(),
        Err(e) => {
            tracing::error!("dkim: signing message for {}/{}: {e}", ctx.domain, ctx.vmta);
            return None;
        }
    };
    rings
        .signed()
        .insert(id, &ctx.policy, sig.clone(), &shared.spool);
    Some(sig)
}

/// After an attempt: a message that left the spool (every recipient final) needs its
/// signature no more.
pub fn forget_if_done(shared: &Shared, ctx: &Context, id: MessageId) {
    if ctx.policy.dkim_sign && !shared.spool.contains(id) {
        shared.policies().keyrings.signed().by_message.remove(&id);
    }
}
