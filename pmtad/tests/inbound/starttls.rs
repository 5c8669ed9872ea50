//! STARTTLS with a certificate generated in the test.

use std::sync::Arc;

use pmtad::inbound::tls;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::TlsConnector;

use crate::harness::{Client, HOST, send_message, start};

/// A self-signed certificate for [`HOST`]: the server config and the client's trust root.
pub fn certificate() -> (Arc<rustls::ServerConfig>, CertificateDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec![HOST.to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    (tls::server_config(vec![cert.clone()], key).unwrap(), cert)
}

pub fn connector(root: CertificateDer<'static>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn starttls_upgrades_and_discards_pipelined_input() {
    let (server_tls, root) = certificate();
    let mut server = start(|_, cfg| cfg.tls = Some(server_tls).into()).await;
    let mut c = server.connect().await;
    c.reply().await;
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(ehlo.lines.iter().any(|l| l == "250-STARTTLS"), "{ehlo:?}");
    // A command smuggled after STARTTLS in the same packet must not be obeyed.
    c.send("STARTTLS\r\nMAIL FROM:<smuggled@x.example>\r\n")
        .await;
    assert!(c.reply().await.lines[0].starts_with("220 2.0.0"));
    let tcp = c.io.into_inner();
    let name = ServerName::try_from(HOST).unwrap();
    let tls = connector(root).connect(name, tcp).await.unwrap();
    let mut c = Client::new(tls);
    // The session starts over: MAIL needs a new EHLO, which no longer offers STARTTLS.
    c.expect("MAIL FROM:<a@b.example>", "503 5.5.1").await;
    let ehlo = c.expect("EHLO client.test.example", "250").await;
    assert!(!ehlo.text().contains("STARTTLS"));
    c.expect("STARTTLS", "503 5.5.1").await;
    let r = send_message(
        &mut c,
        "a@b.example",
        &["u@local.example"],
        "\r\nsecret\r\n",
    )
    .await;
    assert_eq!(r.code, 250);
    let m = server.message().await;
    assert_eq!(m.envelope.mail_from, "a@b.example");
    assert!(m.text().contains("with ESMTPS;"));
}

#[tokio::test]
async fn failed_handshake_closes_only_that_session() {
    let (server_tls, _) = certificate();
    let server = start(|_, cfg| cfg.tls = Some(server_tls).into()).await;
    let mut c = server.connect().await;
    c.reply().await;
    c.expect("EHLO client.test.example", "250").await;
    c.expect("STARTTLS", "220").await;
    c.send("this is not a TLS client hello\r\n").await;
    // The server answers with a TLS alert (not SMTP) and closes.
    let mut rest = Vec::new();
    let read = tokio::io::AsyncReadExt::read_to_end(&mut c.io, &mut rest);
    tokio::time::timeout(crate::harness::WAIT, read)
        .await
        .unwrap()
        .unwrap();
    let mut c = server.connect().await;
    assert_eq!(c.reply().await.code, 220);
}

/// `smtp-server-tls-allow-tlsv1.2 no`: a client that speaks only TLS 1.2 fails the
/// handshake; a TLS 1.3 client gets through.
#[tokio::test]
async fn only_the_allowed_tls_versions_are_negotiated() {
    let ck = rcgen::generate_simple_self_signed(vec![HOST.to_string()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let versions = tls::TlsVersions {
        tls12: false,
        tls13: true,
    };
    let server_tls = tls::server_config_with(vec![cert.clone()], key, versions).unwrap();
    let server = start(|_, cfg| cfg.tls = Some(server_tls).into()).await;
    for (version, ok) in [
        (&rustls::version::TLS12, false),
        (&rustls::version::TLS13, true),
    ] {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut c = server.connect().await;
        c.reply().await;
        c.expect("EHLO client.test.example", "250").await;
        c.expect("STARTTLS", "220").await;
        let name = ServerName::try_from(HOST).unwrap();
        let tls = TlsConnector::from(Arc::new(config))
            .connect(name, c.io.into_inner())
            .await;
        assert_eq!(tls.is_ok(), ok, "{version:?}");
    }
}
