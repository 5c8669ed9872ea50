//! Signatures verified by mail-auth's verifier against a real DNS server holding the keys.

use std::sync::Arc;

use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};
use pmta_tests::TestDns;

use super::*;

const RSA_PKCS1: &str = include_str!("testdata/rsa-pkcs1.pem");
const RSA_PKCS8: &str = include_str!("testdata/rsa-pkcs8.pem");
const RSA_PUB: &str = include_str!("testdata/rsa.pub.b64");
const ED25519: &str = include_str!("testdata/ed25519.pem");
const ED25519_PUB: &str = include_str!("testdata/ed25519.pub.b64");

const MSG: &str = "From: Alice <alice@example.com>\r\nTo: bob@gmail.com\r\nSubject: hello\r\n\
Date: Wed, 25 Nov 2026 13:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nBcc: hidden@x.test\r\n\r\n\
Hello Bob.\r\n.leading dot\r\n";

async fn dns() -> TestDns {
    TestDns::builder()
        .txt(
            "rsa1._domainkey.example.com",
            &format!("v=DKIM1; k=rsa; p={}", RSA_PUB.trim()),
        )
        .txt(
            "ed1._domainkey.example.com",
            &format!("v=DKIM1; k=ed25519; p={}", ED25519_PUB.trim()),
        )
        .start()
        .await
        .unwrap()
}

fn verifier(dns: &TestDns) -> MessageAuthenticator {
    let mut udp = ConnectionConfig::udp();
    udp.port = dns.addr().port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = dns.addr().port();
    let ns = NameServerConfig::new(dns.addr().ip(), true, vec![udp, tcp]);
    MessageAuthenticator::new(
        ResolverConfig::from_name_servers(vec![ns]),
        ResolverOpts::default(),
    )
    .unwrap()
}

async fn verify(auth: &MessageAuthenticator, signed: &[u8]) -> Vec<DkimResult> {
    let msg = AuthenticatedMessage::parse(signed).expect("parsable message");
    auth.verify_dkim(&msg)
        .await
        .into_iter()
        .map(|o| o.result().clone())
        .collect()
}

fn signed(header: &str, body: &str) -> Vec<u8> {
    format!("{header}{body}").into_bytes()
}

#[tokio::test]
async fn rsa_and_ed25519_signatures_verify() {
    let dns = dns().await;
    let auth = verifier(&dns);
    for (selector, pem) in [("rsa1", RSA_PKCS1), ("rsa1", RSA_PKCS8), ("ed1", ED25519)] {
        let signer = Signer::from_pem(selector, "example.com", pem.as_bytes(), &[]).unwrap();
        let header = signer.sign(&[MSG.as_bytes()]).unwrap();
        assert!(
            header.starts_with("DKIM-Signature:") && header.ends_with("\r\n"),
            "{header}"
        );
        assert!(header.contains("c=relaxed/relaxed"), "{header}");
        // Only the h= list names headers (the b= and bh= base64 may spell anything).
        let unfolded: String = header.split_whitespace().collect();
        let h = unfolded.split(';').find_map(|t| t.strip_prefix("h="));
        let signed_names = h.unwrap_or_default().to_ascii_lowercase();
        assert!(!signed_names.split(':').any(|n| n == "bcc"), "{header}");
        let results = verify(&auth, &signed(&header, MSG)).await;
        assert_eq!(results, [DkimResult::Pass], "{selector} {header}");
    }
}

#[tokio::test]
async fn signing_in_chunks_and_tampering() {
    let dns = dns().await;
    let auth = verifier(&dns);
    let signer = Signer::from_pem("rsa1", "example.com", RSA_PKCS1.as_bytes(), &[]).unwrap();
    let added = "X-Added: by pmtad\r\nReply-To: r@example.com\r\n";
    let header = signer.sign(&[added.as_bytes(), MSG.as_bytes()]).unwrap();
    let full = format!("{added}{MSG}");
    assert!(header.contains("Reply-To"), "{header}");
    assert_eq!(
        verify(&auth, &signed(&header, &full)).await,
        [DkimResult::Pass]
    );
    let tampered = signed(&header, &MSG.replace("Hello Bob", "Hello Eve"));
    assert_ne!(verify(&auth, &tampered).await, [DkimResult::Pass]);
}

#[tokio::test]
async fn key_ring_picks_the_identity_domain_or_a_parent() {
    let dns = dns().await;
    let auth = verifier(&dns);
    let other = Signer::from_pem("x", "other.test", ED25519.as_bytes(), &[]).unwrap();
    let ours = Signer::from_pem("rsa1", "example.com", RSA_PKCS8.as_bytes(), &[]).unwrap();
    let ring = KeyRing::new(vec![Arc::new(other), Arc::new(ours)]);
    assert_eq!(ring.find("mail.example.com").unwrap().selector(), "rsa1");
    assert_eq!(ring.find("EXAMPLE.COM").unwrap().selector(), "rsa1");
    assert!(ring.find("notexample.com").is_none());
    let header = ring
        .sign(&[MSG.as_bytes()], "bounce.test")
        .unwrap()
        .unwrap();
    assert_eq!(
        verify(&auth, &signed(&header, MSG)).await,
        [DkimResult::Pass]
    );
    assert!(
        ring.sign(&[b"From: a@nokey.test\r\n\r\nx\r\n"], "nokey.test")
            .unwrap()
            .is_none()
    );
}

#[test]
fn bad_keys_are_errors_and_from_is_parsed() {
    assert!(matches!(
        Signer::from_pem("s", "d", b"not a key", &[]),
        Err(DkimError::Pem(_))
    ));
    assert_eq!(from_domain(MSG.as_bytes()).as_deref(), Some("example.com"));
    assert_eq!(
        from_domain(b"Subject: x\r\nFROM:\r\n a@B.test (A)\r\n\r\nFrom: c@d\r\n").as_deref(),
        Some("b.test")
    );
    assert_eq!(from_domain(b"Subject: x\r\n\r\nFrom: c@d\r\n"), None);
}

fn domain_key(selector: &str, domain: &str, pem: &str) -> config::DomainKey {
    let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap();
    let pkcs1 = matches!(der, PrivateKeyDer::Pkcs1(_));
    let algorithm = if selector == "ed1" {
        config::KeyAlgorithm::Ed25519
    } else {
        config::KeyAlgorithm::Rsa
    };
    config::DomainKey {
        selector: selector.into(),
        domain: domain.into(),
        path: "test.pem".into(),
        algorithm,
        pem: pem.as_bytes().to_vec(),
        der: der.secret_der().to_vec(),
        pkcs1,
    }
}

#[tokio::test]
async fn key_ring_from_config_with_a_wildcard_key() {
    let dns = TestDns::builder()
        .txt(
            "ed1._domainkey.example.com",
            &format!("v=DKIM1; k=ed25519; p={}", ED25519_PUB.trim()),
        )
        .txt(
            "ed1._domainkey.other.test",
            &format!("v=DKIM1; k=ed25519; p={}", ED25519_PUB.trim()),
        )
        .start()
        .await
        .unwrap();
    let auth = verifier(&dns);
    let keys = [
        domain_key("rsa1", "nothere.test", RSA_PKCS1),
        domain_key("ed1", "*", ED25519),
    ];
    let ring = KeyRing::from_config(&keys, &["X-Campaign".to_string(), "Bcc".to_string()]).unwrap();
    let header = ring.sign(&[MSG.as_bytes()], "x.test").unwrap().unwrap();
    assert!(
        header.contains("d=example.com") && header.contains("s=ed1"),
        "{header}"
    );
    assert_eq!(
        verify(&auth, &signed(&header, MSG)).await,
        [DkimResult::Pass]
    );
    let other = MSG
        .replace("alice@example.com", "a@other.test")
        .replace("Subject", "X-Campaign: 7\r\nSubject");
    let header = ring.sign(&[other.as_bytes()], "x.test").unwrap().unwrap();
    assert!(
        header.contains("d=other.test") && header.contains("X-Campaign"),
        "{header}"
    );
    assert_eq!(
        verify(&auth, &signed(&header, &other)).await,
        [DkimResult::Pass]
    );
    assert!(Arc::ptr_eq(
        &ring.find("other.test").unwrap(),
        &ring.find("other.test").unwrap()
    ));
}
