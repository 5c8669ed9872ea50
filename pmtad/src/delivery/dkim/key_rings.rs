//! The key rings of one loaded configuration, per virtual MTA, and the signatures made with
//! them, per message (see `outbound::dkim_signing` for when a message is signed and why once).
//!
//! Held by the configuration's policies (`daemon::Policies`), so a reload starts afresh
//! with the keys then in force; here, beside the [`KeyRing`] it caches, below the daemon
//! state that holds it and the outbound side that signs with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use config::{Config, DkimAlgorithm, QueuePolicy};

use super::KeyRing;
use crate::envelope::MessageId;
use crate::spool::Spool;

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
pub(crate) struct Signed {
    by_message: HashMap<MessageId, Signatures>,
    /// Size at which entries of messages no longer in the spool are swept out.
    sweep_at: usize,
}

/// Entries kept before the first sweep for messages gone from the spool.
const FIRST_SWEEP: usize = 1024;

impl Signed {
    pub(crate) fn get(&self, id: MessageId, policy: &QueuePolicy) -> Option<Arc<str>> {
        let list = self.by_message.get(&id)?;
        list.iter()
            .find(|(how, _)| how.matches(policy))
            .map(|(_, sig)| sig.clone())
    }

    /// Keep a signature; sweep out messages that left the spool some other way (operator
    /// delete, expiry) once the map has doubled since the last sweep.
    pub(crate) fn insert(
        &mut self,
        id: MessageId,
        policy: &QueuePolicy,
        sig: Arc<str>,
        spool: &Spool,
    ) {
        if self.by_message.len() >= self.sweep_at.max(FIRST_SWEEP) {
            self.by_message.retain(|id, _| spool.contains(*id));
            self.sweep_at = self.by_message.len() * 2;
        }
        let list = self.by_message.entry(id).or_default();
        list.push((Settings::of(policy), sig));
    }
}

impl KeyRings {
    /// Drops the signatures kept for message `id` (it left the spool).
    pub(crate) fn forget(&self, id: MessageId) {
        self.signed().by_message.remove(&id);
    }

    pub(crate) fn signed(&self) -> std::sync::MutexGuard<'_, Signed> {
        crate::locks::lock(&self.signed)
    }

    /// The keys a virtual MTA signs with: its own, then its pools', then the global ones.
    pub(crate) fn ring(&self, cfg: &Config, vmta: &str, headers: &[String]) -> Option<KeyRing> {
        let key = (vmta.to_string(), headers.to_vec());
        let mut rings = crate::locks::lock(&self.rings);
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
