//! The server side of STARTTLS: a rustls configuration from PEM files, ring as the provider.

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

/// Builds a server configuration from a PEM certificate chain and private key files
/// (`smtp-server-tls-certificate`).
pub fn server_config_from_files(
    cert_chain: &Path,
    key: &Path,
    versions: TlsVersions,
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
    server_config_with(certs, key, versions)
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
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions.list())?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}
