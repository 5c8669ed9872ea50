//! `smtp-server-tls-certificate`: the listener offers STARTTLS and completes a handshake with
//! the configured certificate (generated in the test); `smtp-server-tls-ciphers` and
//! `-v1.3-ciphersuites` decide the suite; a reload swaps certificate and TLS policy for
//! new sessions, a failed one keeps them.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::harness::*;
use pmta_tests::certs::{TestCa, provider};
use pmta_tests::dns::TestDns;
use pmta_tests::output::expect_code;

async fn reply(rd: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        rd.read_line(&mut line).await.unwrap();
        let done = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.trim_end().to_string());
        if done {
            return lines;
        }
    }
}

#[tokio::test]
async fn the_listener_offers_starttls_with_the_configured_certificate() {
    let ca = TestCa::new().unwrap();
    let leaf = ca.leaf(&["localhost"]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("server.pem");
    std::fs::write(&pem, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
    let dns = TestDns::builder().start().await.unwrap();
    let cfg = base_config(&dns, 9) + &format!("smtp-server-tls-certificate {}\n", pem.display());
    let world = World::start(&cfg);
    let mut rd = BufReader::new(TcpStream::connect(world.pmtad.smtp_addr()).await.unwrap());
    assert!(reply(&mut rd).await[0].starts_with("220"));
    rd.get_mut()
        .write_all(b"EHLO client.test\r\n")
        .await
        .unwrap();
    let ehlo = reply(&mut rd).await;
    assert!(ehlo.iter().any(|l| l.ends_with("STARTTLS")), "{ehlo:?}");
    rd.get_mut().write_all(b"STARTTLS\r\n").await.unwrap();
    assert!(reply(&mut rd).await[0].starts_with("220"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(name, rd.into_inner())
        .await
        .expect("handshake with the configured certificate");
    let mut tls = BufReader::new(tls);
    tls.get_mut()
        .write_all(b"EHLO client.test\r\n")
        .await
        .unwrap();
    let mut line = String::new();
    tls.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("250"), "{line}");
}

/// What one STARTTLS handshake gave: the suite, the version and the server's certificate.
struct Handshake {
    suite: rustls::CipherSuite,
    version: rustls::ProtocolVersion,
    leaf: rustls_pki_types::CertificateDer<'static>,
}

/// A client trusting `ca`, offering `suites` (all of ring's when empty) over `versions`.
fn client(
    ca: &TestCa,
    suites: &[rustls::SupportedCipherSuite],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut provider = rustls::crypto::ring::default_provider();
    if !suites.is_empty() {
        provider.cipher_suites = suites.to_vec();
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Greeting, EHLO, STARTTLS and the handshake on a new connection.
async fn starttls(
    addr: std::net::SocketAddr,
    client: rustls::ClientConfig,
) -> std::io::Result<Handshake> {
    let mut rd = BufReader::new(TcpStream::connect(addr).await?);
    assert!(reply(&mut rd).await[0].starts_with("220"));
    rd.get_mut().write_all(b"EHLO client.test\r\n").await?;
    reply(&mut rd).await;
    rd.get_mut().write_all(b"STARTTLS\r\n").await?;
    let answer = reply(&mut rd).await;
    if !answer[0].starts_with("220") {
        return Err(std::io::Error::other(format!(
            "STARTTLS refused: {answer:?}"
        )));
    }
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(name, rd.into_inner())
        .await?;
    let (_, conn) = tls.get_ref();
    Ok(Handshake {
        suite: conn.negotiated_cipher_suite().unwrap().suite(),
        version: conn.protocol_version().unwrap(),
        leaf: conn.peer_certificates().unwrap()[0].clone(),
    })
}

fn write_pem(path: &std::path::Path, leaf: &pmta_tests::certs::Leaf) {
    std::fs::write(path, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
}

const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
const BOTH: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// `smtp-server-tls-ciphers` (an OpenSSL string) and `smtp-server-tls-v1.3-ciphersuites`
/// decide the suite a client gets; a client offering only suites left out fails.
#[tokio::test]
async fn the_cipher_directives_decide_the_negotiated_suite() {
    use rustls::crypto::ring::cipher_suite as c;
    let ca = TestCa::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("server.pem");
    write_pem(&pem, &ca.leaf(&["localhost"]).unwrap());
    let dns = TestDns::builder().start().await.unwrap();
    let cfg = base_config(&dns, 9)
        + &format!(
            "smtp-server-tls-certificate {}\n\
             smtp-server-tls-ciphers ECDHE-ECDSA-CHACHA20-POLY1305:!aRSA:@STRENGTH\n\
             smtp-server-tls-v1.3-ciphersuites TLS_AES_256_GCM_SHA384\n",
            pem.display()
        );
    let world = World::start(&cfg);
    let addr = world.pmtad.smtp_addr();
    let h = starttls(addr, client(&ca, &[], BOTH))
        .await
        .expect("TLS 1.3");
    assert_eq!(
        (h.version, h.suite),
        (
            rustls::ProtocolVersion::TLSv1_3,
            rustls::CipherSuite::TLS13_AES_256_GCM_SHA384
        )
    );
    let h = starttls(addr, client(&ca, &[], TLS12))
        .await
        .expect("TLS 1.2");
    assert_eq!(
        h.suite,
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    );
    let aes_only = [c::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    assert!(starttls(addr, client(&ca, &aes_only, TLS12)).await.is_err());
    let aes13_only = [c::TLS13_AES_128_GCM_SHA256];
    assert!(
        starttls(addr, client(&ca, &aes13_only, BOTH))
            .await
            .is_err()
    );
}

/// `pmtactl reload` applies a new certificate, TLS versions and suites and a source's
/// `require-starttls` to the sessions that start afterwards; a reload whose certificate
/// cannot be read fails and the listener keeps what it had.
#[tokio::test]
async fn a_reload_swaps_certificate_and_tls_policy_and_a_failed_one_keeps_them() {
    let ca = TestCa::new().unwrap();
    let (first, second) = (
        ca.leaf(&["localhost"]).unwrap(),
        ca.leaf(&["localhost"]).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("server.pem");
    write_pem(&pem, &first);
    let dns = TestDns::builder().start().await.unwrap();
    let cfg = base_config(&dns, 9) + &format!("smtp-server-tls-certificate {}\n", pem.display());
    let world = World::start(&cfg);
    let addr = world.pmtad.smtp_addr();
    let h = starttls(addr, client(&ca, &[], BOTH)).await.unwrap();
    assert_eq!(
        (h.leaf.clone(), h.version),
        (first.chain[0].clone(), rustls::ProtocolVersion::TLSv1_3)
    );
    let mail_before_tls = || async {
        let mut rd = BufReader::new(TcpStream::connect(addr).await.unwrap());
        reply(&mut rd).await;
        rd.get_mut()
            .write_all(b"EHLO client.test\r\nMAIL FROM:<a@src.test>\r\n")
            .await
            .unwrap();
        reply(&mut rd).await;
        reply(&mut rd).await[0].clone()
    };
    assert!(mail_before_tls().await.starts_with("250"));

    write_pem(&pem, &second);
    let policy = cfg.replace(
        "  process-x-virtual-mta yes\n",
        "  process-x-virtual-mta yes\n  require-starttls yes\n",
    ) + "smtp-server-tls-allow-tlsv1.3 no\nsmtp-server-tls-ciphers ECDHE-ECDSA-AES128-GCM-SHA256\n";
    std::fs::write(world.path("pmta.conf"), &policy).unwrap();
    expect_code(&world.pmtad.pmtactl(&["reload"]), 0);
    let h = starttls(addr, client(&ca, &[], BOTH)).await.unwrap();
    assert_eq!(h.leaf, second.chain[0], "the new certificate");
    assert_eq!(
        (h.version, h.suite),
        (
            rustls::ProtocolVersion::TLSv1_2,
            rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        )
    );
    assert!(
        mail_before_tls().await.starts_with("530"),
        "require-starttls now"
    );

    std::fs::write(&pem, "not a certificate\n").unwrap();
    let out = world.pmtad.pmtactl(&["reload"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        pmta_tests::output::stdout(&out)
    );
    let h = starttls(addr, client(&ca, &[], BOTH))
        .await
        .expect("the old TLS still serves");
    assert_eq!(
        (h.leaf, h.version),
        (second.chain[0].clone(), rustls::ProtocolVersion::TLSv1_2)
    );
}
