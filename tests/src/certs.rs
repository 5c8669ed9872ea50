//! Certificates generated in the test (rcgen, ECDSA P-256): a CA and leaf certificates, as
//! rustls configurations or PEM files for pmtad's configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Errors while generating certificates or building TLS configurations.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("writing PEM files: {0}")]
    Io(#[from] std::io::Error),
}

/// The ring provider, passed explicitly so no process-wide default is needed.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A test certificate authority.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert: rcgen::Certificate,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A leaf certificate (chain: leaf, CA) and its private key.
#[derive(Debug)]
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new() -> Result<Self, CertError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        // Distinct subject names: OpenSSL (curl) takes a leaf whose issuer name equals its
        // subject name for a self-signed certificate, whoever signed it.
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pmta-tests CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key)?;
        Ok(TestCa {
            issuer: Issuer::new(params, key),
            cert,
        })
    }

    /// The CA certificate in DER, e.g. for a client's root store.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf for the given DNS names and/or IP literals (`"mx.test"`, `"127.0.0.1"`).
    pub fn leaf(&self, names: &[&str]) -> Result<Leaf, CertError> {
        let key = KeyPair::generate()?;
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone())?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        let cn = names.first().map_or("pmta-tests leaf", String::as_str);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let cert = params.signed_by(&key, &self.issuer)?;
        let cert_pem = format!("{}{}", cert.pem(), self.cert.pem());
        Ok(Leaf {
            chain: vec![cert.der().clone(), self.cert_der()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
            cert_pem,
            key_pem: key.serialize_pem(),
        })
    }

    /// A rustls server configuration with a fresh leaf for `names`.
    pub fn server_config(&self, names: &[&str]) -> Result<Arc<rustls::ServerConfig>, CertError> {
        self.leaf(names)?.server_config()
    }
}

impl Leaf {
    pub fn server_config(self) -> Result<Arc<rustls::ServerConfig>, CertError> {
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)?;
        Ok(Arc::new(cfg))
    }

    /// Writes `NAME.crt` (chain) and `NAME.key` into `dir`, for a pmtad configuration.
    pub fn write_pem(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), CertError> {
        let crt = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&crt, &self.cert_pem)?;
        std::fs::write(&key, &self.key_pem)?;
        Ok((crt, key))
    }
}

/// A self-signed server configuration in one call (sinks that just need STARTTLS to work).
pub fn self_signed_server(names: &[&str]) -> Result<Arc<rustls::ServerConfig>, CertError> {
    TestCa::new()?.server_config(names)
}
