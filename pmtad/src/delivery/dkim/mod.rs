//! DKIM signing (RFC 6376; Ed25519 per RFC 8463) with mail-auth, relaxed/relaxed.
//!
//! A [`Signer`] is built once per `domain-key` when the configuration is resolved (so a bad
//! key is a configuration error) and reused for every message: signing takes `&self`.
//! [`KeyRing`] picks the key for a message the way PowerMTA does: the first `domain-key` whose
//! domain equals, or is a parent of, the identity's domain.

mod key_rings;
pub use key_rings::KeyRings;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use mail_auth::common::crypto::{DkimKey, Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner, Done};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

/// Headers signed when present (PowerMTA's base list). Bcc, Return-Path, Received and
/// DKIM-Signature are never signed: relays add or remove them.
pub const DEFAULT_HEADERS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "To",
    "Cc",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-ID",
    "Content-Description",
    "In-Reply-To",
    "References",
    "Resent-Date",
    "Resent-From",
    "Resent-Sender",
    "Resent-To",
    "Resent-Cc",
    "Resent-Message-ID",
    "List-Id",
    "List-Help",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Subscribe",
    "List-Post",
    "List-Owner",
    "List-Archive",
    "Feedback-ID",
];

/// Why a key could not be loaded or a message not signed.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("reading DKIM key {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("DKIM key is not a PEM private key: {0}")]
    Pem(String),
    #[error("DKIM key must be RSA or Ed25519: {0}")]
    KeyType(String),
    #[error("DKIM signing failed: {0}")]
    Sign(String),
}

/// One `domain-key SELECTOR,DOMAIN,PEM`, ready to sign.
pub struct Signer {
    domain: String,
    selector: String,
    /// True for an Ed25519 key (`ed25519-sha256`), false for RSA (`rsa-sha256`).
    ed25519: bool,
    inner: DkimSigner<DkimKey, Done>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the key from a PEM file (RSA PKCS#1 or PKCS#8, Ed25519 PKCS#8).
    pub fn from_file(
        selector: &str,
        domain: &str,
        path: &Path,
        extra_headers: &[String],
    ) -> Result<Self, DkimError> {
        let pem = std::fs::read(path).map_err(|e| DkimError::Read {
            path: path.display().to_string(),
            source: e,
        })?;
        Self::from_pem(selector, domain, &pem, extra_headers)
    }

    /// Loads the key from PEM text; `extra_headers` (`dkim-headers`) are signed in addition
    /// to [`DEFAULT_HEADERS`].
    pub fn from_pem(
        selector: &str,
        domain: &str,
        pem: &[u8],
        extra_headers: &[String],
    ) -> Result<Self, DkimError> {
        let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| DkimError::Pem(e.to_string()))?;
        Self::from_der(selector, domain, der, extra_headers)
    }

    /// Builds a signer from a DER key (what `config::DomainKey::private_key_der` returns).
    pub fn from_der(
        selector: &str,
        domain: &str,
        der: PrivateKeyDer<'_>,
        extra_headers: &[String],
    ) -> Result<Self, DkimError> {
        let key = parse_key(der)?;
        let ed25519 = matches!(key, DkimKey::Ed25519(_));
        let mut headers: Vec<String> = DEFAULT_HEADERS.iter().map(|h| h.to_string()).collect();
        headers.extend(extra_headers.iter().filter(|h| !is_unsignable(h)).cloned());
        let inner = DkimSigner::from_key(key)
            .domain(domain)
            .selector(selector)
            .headers(headers)
            .header_canonicalization(Canonicalization::Relaxed)
            .body_canonicalization(Canonicalization::Relaxed);
        Ok(Signer {
            domain: domain.to_ascii_lowercase(),
            selector: selector.into(),
            ed25519,
            inner,
        })
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// True for an Ed25519 key, false for RSA.
    pub fn is_ed25519(&self) -> bool {
        self.ed25519
    }

    /// Signs the message and returns the `DKIM-Signature:` header field, CRLF-terminated, to
    /// put in front of it. The message may come as consecutive chunks, e.g. headers pmtad adds
    /// and then the spooled text; every chunk but the last must hold whole header fields only
    /// (mail-auth reads the body from the last chunk).
    pub fn sign(&self, message: &[&[u8]]) -> Result<String, DkimError> {
        let sig = self
            .inner
            .sign_chained(message.iter().copied())
            .map_err(|e| DkimError::Sign(e.to_string()))?;
        let mut header = sig.to_header();
        if !header.ends_with("\r\n") {
            header.push_str("\r\n");
        }
        Ok(header)
    }
}

/// Headers that must never be signed whatever `dkim-headers` says.
fn is_unsignable(name: &str) -> bool {
    ["Bcc", "Return-Path", "Received", "DKIM-Signature"]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// DER -> RSA (PKCS#1 / PKCS#8) or Ed25519 (PKCS#8 v1 as OpenSSL writes it, or v2).
fn parse_key(der: PrivateKeyDer<'_>) -> Result<DkimKey, DkimError> {
    match der {
        PrivateKeyDer::Pkcs1(_) => RsaKey::<Sha256>::from_key_der(der)
            .map(DkimKey::Rsa)
            .map_err(|e| DkimError::KeyType(e.to_string())),
        PrivateKeyDer::Pkcs8(ref p8) => {
            let bytes = p8.secret_pkcs8_der().to_vec();
            match RsaKey::<Sha256>::from_key_der(der) {
                Ok(rsa) => Ok(DkimKey::Rsa(rsa)),
                Err(_) => Ed25519Key::from_pkcs8_maybe_unchecked_der(&bytes)
                    .map(DkimKey::Ed25519)
                    .map_err(|e| DkimError::KeyType(e.to_string())),
            }
        }
        _ => Err(DkimError::KeyType(
            "EC (SEC1) keys are not supported by DKIM".into(),
        )),
    }
}

/// Most per-domain signers a wildcard (`*`) key keeps (then the cache starts over).
const MAX_WILDCARD_SIGNERS: usize = 4096;

/// One configured key: for a fixed domain, or `*` (signs as whatever identity domain it is
/// asked for; one signer per domain is built on first use and kept).
enum Entry {
    Fixed(Arc<Signer>),
    Any {
        selector: String,
        der: PrivateKeyDer<'static>,
        extra: Vec<String>,
        cache: Mutex<HashMap<String, Arc<Signer>>>,
    },
}

/// The configured keys, in configuration order (virtual MTA keys before global ones).
#[derive(Clone, Default)]
pub struct KeyRing {
    entries: Arc<Vec<Entry>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.entries.len())
            .finish()
    }
}

impl KeyRing {
    pub fn new(signers: Vec<Arc<Signer>>) -> Self {
        KeyRing {
            entries: Arc::new(signers.into_iter().map(Entry::Fixed).collect()),
        }
    }

    /// From the resolved configuration's `domain-key`s (already read and checked by the
    /// config loader); `extra_headers` is the queue's `dkim-headers`.
    pub fn from_config(
        keys: &[config::DomainKey],
        extra_headers: &[String],
    ) -> Result<Self, DkimError> {
        let entries = keys
            .iter()
            .map(|k| match k.domain.as_str() {
                "*" => Ok(Entry::Any {
                    selector: k.selector.clone(),
                    der: k.private_key_der(),
                    extra: extra_headers.to_vec(),
                    cache: Mutex::default(),
                }),
                d => Signer::from_der(&k.selector, d, k.private_key_der(), extra_headers)
                    .map(|s| Entry::Fixed(Arc::new(s))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyRing {
            entries: Arc::new(entries),
        })
    }

    /// The first key whose domain equals or is a parent of `identity_domain` (or is `*`).
    pub fn find(&self, identity_domain: &str) -> Option<Arc<Signer>> {
        self.find_preferring(identity_domain, None)
    }

    /// [`find`](Self::find), preferring a key of the `dkim-algorithm` asked for (`Some(true)`
    /// = Ed25519) when the identity has keys of both kinds.
    pub fn find_preferring(
        &self,
        identity_domain: &str,
        ed25519: Option<bool>,
    ) -> Option<Arc<Signer>> {
        let id = identity_domain.trim_end_matches('.').to_ascii_lowercase();
        let mut covering = self.entries.iter().filter_map(|e| match e {
            Entry::Fixed(s) => covers(&s.domain, &id).then(|| s.clone()),
            Entry::Any {
                selector,
                der,
                extra,
                cache,
            } => wildcard_signer(selector, der, extra, cache, &id),
        });
        let first = covering.next()?;
        match ed25519 {
            Some(want) if first.ed25519 != want => {
                Some(covering.find(|s| s.ed25519 == want).unwrap_or(first))
            }
            _ => Some(first),
        }
    }

    /// Signs as `dkim-identity` says: `@domain` or `user@domain` signs with that domain's
    /// key, `sender-or-from` (or anything else) as [`sign`](Self::sign); `ed25519` is the
    /// `dkim-algorithm` preference among the identity's keys.
    pub fn sign_as(
        &self,
        message: &[&[u8]],
        sender_domain: &str,
        identity: &str,
        ed25519: Option<bool>,
    ) -> Result<Option<String>, DkimError> {
        let fixed = identity
            .rsplit_once('@')
            .map(|(_, d)| d)
            .filter(|d| !d.is_empty());
        let signer = match fixed {
            Some(d) => self.find_preferring(d, ed25519),
            None => {
                let from = message.first().and_then(|m| from_domain(m));
                from.as_deref()
                    .and_then(|d| self.find_preferring(d, ed25519))
                    .or_else(|| self.find_preferring(sender_domain, ed25519))
            }
        };
        signer.map(|s| s.sign(message)).transpose()
    }

    /// Signs with the key for the message's `From:` domain (`dkim-identity sender-or-from`
    /// falls back to `sender_domain` when there is no usable From). `Ok(None)`: no key.
    pub fn sign(
        &self,
        message: &[&[u8]],
        sender_domain: &str,
    ) -> Result<Option<String>, DkimError> {
        let from = message.first().and_then(|m| from_domain(m));
        let signer = from
            .as_deref()
            .and_then(|d| self.find(d))
            .or_else(|| self.find(sender_domain));
        signer.map(|s| s.sign(message)).transpose()
    }
}

fn covers(key_domain: &str, id: &str) -> bool {
    id == key_domain
        || id
            .strip_suffix(key_domain)
            .is_some_and(|p| p.ends_with('.'))
}

/// The cached signer of a `*` key for `id`, built on first use.
fn wildcard_signer(
    selector: &str,
    der: &PrivateKeyDer<'static>,
    extra: &[String],
    cache: &Mutex<HashMap<String, Arc<Signer>>>,
    id: &str,
) -> Option<Arc<Signer>> {
    if id.is_empty() {
        return None;
    }
    let mut cache = crate::locks::lock(cache);
    if let Some(s) = cache.get(id) {
        return Some(s.clone());
    }
    let signer = Arc::new(Signer::from_der(selector, id, der.clone_key(), extra).ok()?);
    if cache.len() >= MAX_WILDCARD_SIGNERS {
        cache.clear();
    }
    cache.insert(id.to_string(), signer.clone());
    Some(signer)
}

/// The domain of the first address in the `From:` header of `message` (its header section).
pub fn from_domain(message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(header_section(message));
    let mut value: Option<String> = None;
    for line in text.split("\r\n").flat_map(|l| l.split('\n')) {
        match &mut value {
            Some(v) if line.starts_with([' ', '\t']) => v.push_str(line),
            Some(_) => break,
            None => {
                if line
                    .get(..5)
                    .is_some_and(|p| p.eq_ignore_ascii_case("from:"))
                {
                    value = Some(line[5..].to_string());
                }
            }
        }
    }
    let value = value?;
    let addr = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.trim(),
    };
    let domain = addr.rsplit_once('@')?.1.trim();
    let domain = domain
        .split(|c: char| c.is_whitespace() || ",;()<>".contains(c))
        .next()?;
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

fn header_section(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| message.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(message.len());
    &message[..end]
}

#[cfg(test)]
mod tests;
