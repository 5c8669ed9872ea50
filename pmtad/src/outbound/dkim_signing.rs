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
//! kept (in [`KeyRings`](crate::delivery::dkim::KeyRings)) until the message leaves the
//! spool, so every retry sends exactly the same bytes and pays no second signature
//! (re-signing would also change `t=`). Why not in
//! the spool or at intake: the signing key depends on the recipient's queue (`dkim-sign`,
//! `dkim-headers`, `dkim-identity`, `dkim-algorithm` are per domain), which intake would have to resolve for every recipient
//! before its 250, and a stored signature would outlive a key rotation. The cache lives in
//! [`KeyRings`](crate::delivery::dkim::KeyRings), i.e. with one loaded configuration: after a reload (new keys, selectors or
//! header lists) or a restart, a deferred message is signed once more with the keys then in
//! force. Memory is one header (~400 bytes RSA) per signed message still in the spool:
//! delivered messages leave at once, the rest are swept when the map doubles.

use std::sync::Arc;

use config::DkimAlgorithm;

use crate::daemon::{Context, Shared};
use crate::envelope::{Envelope, MessageId};

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
        shared.policies().keyrings.forget(id);
    }
}
