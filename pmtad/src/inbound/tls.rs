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

/// Builds a server configuration from a PEM certificate chain and private key files
/// (`smtp-server-tls-certificate`).
pub fn server_config_from_files(
    cert_chain: &Path,
    key: &Path,
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
    server_config(certs, key)
}

/// Builds a server configuration from a certificate chain and its key.
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}
