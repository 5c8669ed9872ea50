//! Reading `domain-key` files at load time, so a missing or wrong key is a config error
//! reported with its line, not a delivery failure hours later.

use crate::model::{DomainKey, KeyAlgorithm};
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;

/// Reads and checks a PEM private key (RSA as PKCS#1 or PKCS#8, or Ed25519 as PKCS#8).
pub(crate) fn load_key(selector: &str, domain: &str, path: &Path) -> Result<DomainKey, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("cannot read domain-key file '{}': {e}", path.display()))?;
    let der = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        format!(
            "domain-key file '{}' holds no PEM private key ({e})",
            path.display()
        )
    })?;
    let (algorithm, pkcs1) = classify(&der).ok_or_else(|| {
        format!(
            "domain-key file '{}' is not an RSA or Ed25519 private key",
            path.display()
        )
    })?;
    Ok(DomainKey {
        selector: selector.to_string(),
        domain: domain.to_ascii_lowercase(),
        path: path.to_path_buf(),
        algorithm,
        der: der.secret_der().to_vec(),
        pem,
        pkcs1,
    })
}

/// The algorithm, and whether the DER is PKCS#1, if ring accepts the key.
fn classify(der: &PrivateKeyDer<'_>) -> Option<(KeyAlgorithm, bool)> {
    match der {
        PrivateKeyDer::Pkcs1(_) => RsaKey::<Sha256>::from_key_der(der.clone_key())
            .ok()
            .map(|_| (KeyAlgorithm::Rsa, true)),
        PrivateKeyDer::Pkcs8(p8) => {
            if RsaKey::<Sha256>::from_key_der(der.clone_key()).is_ok() {
                Some((KeyAlgorithm::Rsa, false))
            } else {
                Ed25519Key::from_pkcs8_maybe_unchecked_der(p8.secret_pkcs8_der())
                    .ok()
                    .map(|_| (KeyAlgorithm::Ed25519, false))
            }
        }
        _ => None,
    }
}
