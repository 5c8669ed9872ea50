//! HTTPS on the management listener: `http-tls-certificate` (generated in the test) makes
//! the port speak TLS; a plain request on it is redirected to `https://` unless
//! `http-redirect-to-https no`; a reload reads the certificate again, and a certificate
//! that cannot be used fails the reload and keeps the old one.

use std::sync::Arc;

use super::*;
use pmta_tests::certs::{Leaf, TestCa};
use pmta_tests::http::Request;

fn write_pem(path: &std::path::Path, leaf: &Leaf) {
    std::fs::write(path, format!("{}{}", leaf.cert_pem, leaf.key_pem)).unwrap();
}

fn client(ca: &TestCa) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(pmta_tests::certs::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

#[tokio::test]
async fn the_management_listener_speaks_https_with_the_configured_certificate() {
    let ca = TestCa::new().unwrap();
    let (first, second) = (
        ca.leaf(&["localhost"]).unwrap(),
        ca.leaf(&["localhost"]).unwrap(),
    );
    let certs = tempfile::tempdir().unwrap();
    let pem = certs.path().join("webmon.pem");
    write_pem(&pem, &first);
    let extra = format!("http-tls-certificate {}\n", pem.display());
    let w = Web::start_with("127.0.0.209", &["tls.test"], SmtpSink::builder(), &extra).await;
    let status = Request::get("/status?format=json");
    let (r, leaf) = status
        .send_tls(w.http, client(&ca), "localhost")
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("success")),
        "{}",
        r.body
    );
    assert_eq!(leaf, first.chain[0]);
    let plain = w.get("/queues?format=xml").await;
    assert_eq!(plain.status, 301, "{}", plain.body);
    assert_eq!(
        plain.header("location"),
        Some(format!("https://{}/queues?format=xml", w.http).as_str())
    );

    write_pem(&pem, &second);
    let conf = w.dir.path().join("pmta.conf");
    let text = std::fs::read_to_string(&conf).unwrap() + "http-redirect-to-https no\n";
    std::fs::write(&conf, &text).unwrap();
    expect_code(&w.pmtad.pmtactl(&["reload"]), 0);
    let (r, leaf) = status
        .send_tls(w.http, client(&ca), "localhost")
        .await
        .unwrap();
    assert_eq!(
        (r.status, leaf),
        (200, second.chain[0].clone()),
        "the new certificate"
    );
    assert_eq!(
        w.get("/status?format=json").await.status,
        200,
        "plain HTTP served too"
    );

    std::fs::write(&pem, "garbage\n").unwrap();
    assert_eq!(w.pmtad.pmtactl(&["reload"]).status.code(), Some(1));
    let (r, leaf) = status
        .send_tls(w.http, client(&ca), "localhost")
        .await
        .unwrap();
    assert_eq!(
        (r.status, leaf),
        (200, second.chain[0].clone()),
        "the old certificate kept"
    );
}
