//! `dkim-sign yes` + `domain-key`: the message the MX receives carries a signature that
//! mail-auth's verifier accepts against the public key published in the test's DNS.

use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

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

#[tokio::test]
async fn outgoing_mail_is_dkim_signed_and_verifies() {
    let sink = sink_on("127.0.0.40", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("signed.test", "127.0.0.40")
        .a("unsigned.test", "127.0.0.40")
        .txt(
            "s1._domainkey.src.test",
            &format!("v=DKIM1; k=rsa; p={}", PUB.trim()),
        )
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("s1.pem");
    std::fs::write(&key, KEY).unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &format!(
            "domain-key s1,src.test,{}\n<domain signed.test>\n  dkim-sign yes\n</domain>\n",
            key.display()
        );
    let world = World::start(&cfg);
    world
        .inject(&[
            msg("s@src.test", &["a@signed.test"], 1),
            msg("s@src.test", &["b@unsigned.test"], 2),
        ])
        .await;
    sink.wait_for_messages(2, WAIT).await.unwrap();
    let msgs = sink.messages();
    let signed = msgs.iter().find(|m| m.rcpts[0] == "a@signed.test").unwrap();
    let unsigned = msgs
        .iter()
        .find(|m| m.rcpts[0] == "b@unsigned.test")
        .unwrap();
    assert!(!String::from_utf8_lossy(&unsigned.data).contains("DKIM-Signature"));
    let parsed = AuthenticatedMessage::parse(&signed.data).expect("a parsable message");
    let results = verifier(&dns).verify_dkim(&parsed).await;
    assert_eq!(results.len(), 1, "one signature");
    assert_eq!(results[0].result(), &DkimResult::Pass);
}
