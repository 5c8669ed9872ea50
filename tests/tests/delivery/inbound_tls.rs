//! `smtp-server-tls-certificate`: the listener offers STARTTLS and completes a handshake with
//! the configured certificate (generated in the test).

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::harness::*;
use pmta_tests::certs::{TestCa, provider};
use pmta_tests::dns::TestDns;

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
