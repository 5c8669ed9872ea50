//! `dkim-sign` (per domain) and `domain-key` (global and in a `<virtual-mta>`): the message
//! the MX receives carries a signature mail-auth's verifier accepts against the public key in
//! the test's DNS.

use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};

use pmta_tests::dns::TestDns;

use super::world::*;

const KEY: &str = include_str!("../../../pmtad/src/delivery/dkim/testdata/rsa-pkcs8.pem");
const PUB: &str = include_str!("../../../pmtad/src/delivery/dkim/testdata/rsa.pub.b64");

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

/// A world whose config has `domain-key s1,src.test,KEY` globally, `domain-key s2,…` in the
/// `domain-specific` virtual MTA, and `dkim-sign yes` for `signed` domains.
/// The key's directory is returned with the world: the daemon reads the key at start-up and
/// on reload.
async fn dkim_world(n: u8, signed: &[&str]) -> (World, tempfile::TempDir) {
    let key_dir = tempfile::tempdir().unwrap();
    let key = key_dir.path().join("key.pem");
    std::fs::write(&key, KEY).unwrap();
    let record = format!("v=DKIM1; k=rsa; p={}", PUB.trim());
    let mut extra = format!("domain-key s1,src.test,{k}\n", k = key.display());
    for d in signed {
        extra.push_str(&format!("<domain {d}>\n  dkim-sign yes\n</domain>\n"));
    }
    let w = World::builder(n)
        .dns(move |d| {
            d.txt("s1._domainkey.src.test", &record)
                .txt("s2._domainkey.src.test", &record)
        })
        .edit(
            "  bind-to-source-ip",
            &format!(
                "  domain-key s2,src.test,{}\n  bind-to-source-ip",
                key.display()
            ),
        )
        .extra(&extra)
        .start()
        .await;
    (w, key_dir)
}

async fn verify(dns: &TestDns, data: &[u8]) -> DkimResult {
    let parsed = AuthenticatedMessage::parse(data).expect("a parsable message");
    let results = verifier(dns).verify_dkim(&parsed).await;
    assert_eq!(results.len(), 1, "one signature");
    results[0].result().clone()
}

fn tag<'a>(data: &'a str, name: &str) -> Option<&'a str> {
    let sig = &data[data.find("DKIM-Signature:")?..];
    let sig = &sig[..sig.find("\r\n\r\n").unwrap_or(sig.len())];
    sig.split(';')
        .map(str::trim)
        .find_map(|t| t.strip_prefix(&format!("{name}=")))
}

/// `dkim-sign yes` for example.com: signed and verifiable; gmail.com (default no): unsigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_dkim_sign() {
    let (w, _key) = dkim_world(150, &["example.com"]).await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com"])).await;
    let msgs = w.wait_delivered(2).await;
    let signed = msgs.iter().find(|m| m.rcpts[0] == "a@example.com").unwrap();
    let plain = msgs.iter().find(|m| m.rcpts[0] == "b@gmail.com").unwrap();
    assert!(!String::from_utf8_lossy(&plain.data).contains("DKIM-Signature"));
    assert_eq!(verify(&w.dns, &signed.data).await, DkimResult::Pass);
}

/// `domain-key SELECTOR,DOMAIN,PEMFILE`: the global key (s1) signs mail of the default
/// virtual MTA; the `domain-specific` virtual MTA's own key (s2) signs its mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_domain_key() {
    let (w, _key) = dkim_world(151, &["example.com"]).await;
    w.inject_ok(&[
        msg("s@src.test", &["a@example.com"], 1),
        msg_with(
            "X-Virtual-MTA: domain-specific",
            "s@src.test",
            &["b@example.com"],
            2,
        ),
    ])
    .await;
    let msgs = w.wait_delivered(2).await;
    for (rcpt, selector) in [("a@example.com", "s1"), ("b@example.com", "s2")] {
        let m = msgs.iter().find(|m| m.rcpts[0] == rcpt).unwrap();
        let text = String::from_utf8_lossy(&m.data);
        assert_eq!(tag(&text, "s"), Some(selector), "{text}");
        assert_eq!(tag(&text, "d"), Some("src.test"), "{text}");
        assert_eq!(verify(&w.dns, &m.data).await, DkimResult::Pass);
    }
}
