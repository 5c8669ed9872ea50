//! The server side of STARTTLS: a rustls configuration from PEM files, ring as the provider,
//! with the configured versions and cipher suites; and the [`TlsSlot`] a reload replaces it
//! in, for the sessions that start afterwards.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error("{path}: {message}")]
    Pem { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The TLS versions a listener negotiates (`smtp-server-tls-allow-tlsv1.2` / `-tlsv1.3`);
/// rustls has nothing older.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsVersions {
    pub tls12: bool,
    pub tls13: bool,
}

impl Default for TlsVersions {
    fn default() -> Self {
        TlsVersions {
            tls12: true,
            tls13: true,
        }
    }
}

impl TlsVersions {
    fn list(self) -> Vec<&'static rustls::SupportedProtocolVersion> {
        let mut out = Vec::with_capacity(2);
        if self.tls13 {
            out.push(&rustls::version::TLS13);
        }
        if self.tls12 {
            out.push(&rustls::version::TLS12);
        }
        out
    }
}

/// What the configuration says about inbound TLS besides the certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsPolicy {
    pub versions: TlsVersions,
    /// `smtp-server-tls-ciphers` (TLS 1.2 suites); `None` = all of ring's.
    pub tls12_suites: Option<Vec<config::CipherSuite>>,
    /// `smtp-server-tls-v1.3-ciphersuites`; `None` = all of ring's.
    pub tls13_suites: Option<Vec<config::CipherSuite>>,
}

impl TlsPolicy {
    /// The policy of a loaded configuration.
    pub fn of(cfg: &config::Config) -> TlsPolicy {
        TlsPolicy {
            versions: TlsVersions {
                tls12: cfg.smtp_server_tls12,
                tls13: cfg.smtp_server_tls13,
            },
            tls12_suites: cfg.smtp_server_tls_ciphers.clone(),
            tls13_suites: cfg.smtp_server_tls13_suites.clone(),
        }
    }

    /// The ring provider offering the configured suites, in the configured order.
    fn provider(&self) -> rustls::crypto::CryptoProvider {
        let mut provider = rustls::crypto::ring::default_provider();
        let pick = |want: &Option<Vec<config::CipherSuite>>, tls13: bool| -> Vec<_> {
            let is13 = |s: &rustls::SupportedCipherSuite| {
                matches!(s, rustls::SupportedCipherSuite::Tls13(_))
            };
            match want {
                Some(list) => list.iter().map(|&s| rustls_suite(s)).collect(),
                None => (provider.cipher_suites.iter())
                    .filter(|s| is13(s) == tls13)
                    .copied()
                    .collect(),
            }
        };
        let suites = [
            pick(&self.tls13_suites, true),
            pick(&self.tls12_suites, false),
        ];
        provider.cipher_suites = suites.concat();
        provider
    }
}

/// ring's suite for a configured one.
fn rustls_suite(s: config::CipherSuite) -> rustls::SupportedCipherSuite {
    use config::CipherSuite as S;
    use rustls::crypto::ring::cipher_suite as c;
    match s {
        S::EcdheEcdsaAes128Gcm => c::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        S::EcdheEcdsaAes256Gcm => c::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        S::EcdheEcdsaChacha20 => c::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        S::EcdheRsaAes128Gcm => c::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        S::EcdheRsaAes256Gcm => c::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        S::EcdheRsaChacha20 => c::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        S::Tls13Aes128Gcm => c::TLS13_AES_128_GCM_SHA256,
        S::Tls13Aes256Gcm => c::TLS13_AES_256_GCM_SHA384,
        S::Tls13Chacha20 => c::TLS13_CHACHA20_POLY1305_SHA256,
    }
}

/// The server configuration new sessions use; `pmtactl reload` replaces it (a failed
/// reload leaves it), sessions under way keep the one they started with.
#[derive(Debug, Clone, Default)]
pub struct TlsSlot(Arc<arc_swap::ArcSwapOption<rustls::ServerConfig>>);

impl TlsSlot {
    pub fn new(config: Option<Arc<rustls::ServerConfig>>) -> Self {
        TlsSlot(Arc::new(arc_swap::ArcSwapOption::new(config)))
    }

    pub fn set(&self, config: Option<Arc<rustls::ServerConfig>>) {
        self.0.store(config);
    }

    pub fn get(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.0.load_full()
    }
}

impl From<Option<Arc<rustls::ServerConfig>>> for TlsSlot {
    fn from(config: Option<Arc<rustls::ServerConfig>>) -> Self {
        TlsSlot::new(config)
    }
}

/// The inbound TLS configuration of `cfg`: `None` without `smtp-server-tls-certificate`.
pub fn from_config(
    cfg: &config::Config,
) -> Result<Option<Arc<rustls::ServerConfig>>, TlsConfigError> {
    let Some(pem) = &cfg.smtp_server_tls_certificate else {
        return Ok(None);
    };
    server_config_from_files(pem, pem, &TlsPolicy::of(cfg)).map(Some)
}

/// Builds a server configuration from a PEM certificate chain and private key files
/// (`smtp-server-tls-certificate`).
pub fn server_config_from_files(
    cert_chain: &Path,
    key: &Path,
    policy: &TlsPolicy,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let pem_err = |path: &Path, e: rustls_pki_types::pem::Error| TlsConfigError::Pem {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(cert_chain)
        .map_err(|e| pem_err(cert_chain, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(cert_chain, e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_err(key, e))?;
    server_config_for(certs, key, policy)
}

/// Builds a server configuration from a certificate chain and its key (TLS 1.2 and 1.3).
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    server_config_with(certs, key, TlsVersions::default())
}

/// Builds a server configuration that negotiates only `versions`.
pub fn server_config_with(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    versions: TlsVersions,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let policy = TlsPolicy {
        versions,
        ..TlsPolicy::default()
    };
    server_config_for(certs, key, &policy)
}

/// Builds a server configuration with `policy`'s versions and suites.
pub fn server_config_for(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    policy: &TlsPolicy,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let provider = Arc::new(policy.provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&policy.versions.list())?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}
