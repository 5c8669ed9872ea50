//! `dkim-sign yes` + `domain-key`: the message the MX receives carries a signature that
//! mail-auth's verifier accepts against the public key published in the test's DNS.

use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::{Phase, SmtpSink, reply};

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

const ED_KEY: &str = include_str!("../../../pmtad/src/delivery/dkim/testdata/ed25519.pem");
const ED_PUB: &str = include_str!("../../../pmtad/src/delivery/dkim/testdata/ed25519.pub.b64");

/// The tags of the message's DKIM-Signature header (`a`, `d`, `s`, `h`, …).
fn dkim_tags(data: &[u8]) -> std::collections::HashMap<String, String> {
    let text = String::from_utf8_lossy(data);
    let start = text
        .find("DKIM-Signature:")
        .expect("a DKIM-Signature header");
    let mut field = String::new();
    for (i, line) in text[start..].split("\r\n").enumerate() {
        if i > 0 && !line.starts_with([' ', '\t']) {
            break;
        }
        field.push_str(line.trim());
    }
    let value = &field["DKIM-Signature:".len()..];
    value
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[tokio::test]
async fn dkim_identity_algorithm_and_headers_shape_the_signature() {
    let sink = sink_on("127.0.0.59", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("algo.test", "127.0.0.59")
        .a("ident.test", "127.0.0.59")
        .a("hdrs.test", "127.0.0.59")
        .txt(
            "s1._domainkey.src.test",
            &format!("v=DKIM1; k=rsa; p={}", PUB.trim()),
        )
        .txt(
            "ed1._domainkey.src.test",
            &format!("v=DKIM1; k=ed25519; p={}", ED_PUB.trim()),
        )
        .txt(
            "s2._domainkey.other.test",
            &format!("v=DKIM1; k=rsa; p={}", PUB.trim()),
        )
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (rsa, ed) = (dir.path().join("rsa.pem"), dir.path().join("ed.pem"));
    std::fs::write(&rsa, KEY).unwrap();
    std::fs::write(&ed, ED_KEY).unwrap();
    let cfg = base_config(&dns, sink.addr().port())
        + &format!(
            "domain-key s1,src.test,{rsa}\ndomain-key ed1,src.test,{ed}\ndomain-key s2,other.test,{rsa}\n\
             <domain *>\n  dkim-sign yes\n</domain>\n\
             <domain algo.test>\n  dkim-algorithm ed25519-sha256\n</domain>\n\
             <domain ident.test>\n  dkim-identity @other.test\n</domain>\n\
             <domain hdrs.test>\n  dkim-headers X-Campaign\n</domain>\n",
            rsa = rsa.display(),
            ed = ed.display()
        );
    let world = World::start(&cfg);
    let mut tagged = msg("s@src.test", &["c@hdrs.test"], 3);
    tagged.data = [b"X-Campaign: spring\r\n".as_slice(), &tagged.data].concat();
    world
        .inject(&[
            msg("s@src.test", &["a@algo.test"], 1),
            msg("s@src.test", &["b@ident.test"], 2),
            tagged,
        ])
        .await;
    let got = sink.wait_for_messages(3, WAIT).await.unwrap();
    let of = |rcpt: &str| got.iter().find(|m| m.rcpts[0] == rcpt).unwrap();
    let verifier = verifier(&dns);
    for m in &got {
        let parsed = AuthenticatedMessage::parse(&m.data).expect("a parsable message");
        let results = verifier.verify_dkim(&parsed).await;
        assert_eq!(results.len(), 1, "{:?}", m.rcpts);
        assert_eq!(results[0].result(), &DkimResult::Pass, "{:?}", m.rcpts);
    }
    let algo = dkim_tags(&of("a@algo.test").data);
    assert_eq!(
        (algo["a"].as_str(), algo["s"].as_str()),
        ("ed25519-sha256", "ed1")
    );
    let ident = dkim_tags(&of("b@ident.test").data);
    assert_eq!(
        (ident["d"].as_str(), ident["s"].as_str()),
        ("other.test", "s2")
    );
    assert_eq!(ident["a"], "rsa-sha256");
    let hdrs = dkim_tags(&of("c@hdrs.test").data);
    assert!(
        hdrs["h"].to_ascii_lowercase().contains("x-campaign"),
        "{hdrs:?}"
    );
    assert_eq!(
        (hdrs["d"].as_str(), hdrs["a"].as_str()),
        ("src.test", "rsa-sha256")
    );
}

/// The `DKIM-Signature` field of a message, with its folded continuation lines.
fn dkim_field(data: &[u8]) -> String {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split("\r\n");
    let mut field = lines
        .find(|l| l.starts_with("DKIM-Signature:"))
        .expect("a DKIM-Signature field")
        .to_string();
    for l in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        field.push_str(l);
    }
    field
}

#[tokio::test]
async fn a_retried_message_carries_the_signature_of_its_first_attempt() {
    // The first transfer is refused after the final dot; the retry comes at least a second
    // later, so signing again would change t= (and b=): the same field means signed once.
    let sink = sink_on(
        "127.0.0.44",
        SmtpSink::builder().on_attempt(Phase::DataEnd, 1, reply(451, "4.3.0 try again")),
    )
    .await;
    let dns = TestDns::builder()
        .a("retry-signed.test", "127.0.0.44")
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
            "domain-key s1,src.test,{}\n<domain retry-signed.test>\n  dkim-sign yes\n</domain>\n",
            key.display()
        );
    let world = World::start(&cfg);
    world
        .inject(&[msg("s@src.test", &["a@retry-signed.test"], 1)])
        .await;
    sink.wait_for_messages(1, WAIT)
        .await
        .expect("delivered on retry");
    let transfers = sink.state().transfers;
    assert_eq!(transfers.len(), 2, "refused once, then accepted");
    assert_eq!(transfers[0].reply_code, 451);
    assert_eq!(
        dkim_field(&transfers[0].data),
        dkim_field(&transfers[1].data)
    );
    let parsed = AuthenticatedMessage::parse(&transfers[1].data).expect("a parsable message");
    let results = verifier(&dns).verify_dkim(&parsed).await;
    assert_eq!(results.len(), 1, "one signature");
    assert_eq!(results[0].result(), &DkimResult::Pass);
}

/// A `from-domain` rewrite happens before spooling, so the DKIM signature at delivery is
/// made with the key of the rewritten `From:` domain, over the rewritten header, and
/// verifies.
#[tokio::test]
async fn a_rewritten_from_is_what_dkim_signs() {
    let sink = sink_on("127.0.0.41", SmtpSink::builder()).await;
    let dns = TestDns::builder()
        .a("signed.test", "127.0.0.41")
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
    let cfg = base_config(&dns, sink.addr().port()).replace(
        "  process-x-virtual-mta yes\n",
        "  process-x-virtual-mta yes\n  rewrite-list to-src\n",
    ) + &format!(
        "<rewrite-list to-src>\n  from-domain legacy.test src.test\n</rewrite-list>\n\
         domain-key s1,src.test,{}\n<domain signed.test>\n  dkim-sign yes\n</domain>\n",
        key.display()
    );
    let world = World::start(&cfg);
    let r = world
        .inject(&[msg("s@legacy.test", &["a@signed.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250, "{r:?}");
    sink.wait_for_messages(1, WAIT).await.unwrap();
    let m = sink.messages().remove(0);
    assert!(String::from_utf8_lossy(&m.data).contains("From: <s@src.test>\r\n"));
    assert_eq!(dkim_tags(&m.data)["d"], "src.test");
    let parsed = AuthenticatedMessage::parse(&m.data).expect("a parsable message");
    let results = verifier(&dns).verify_dkim(&parsed).await;
    assert_eq!(results.len(), 1, "one signature");
    assert_eq!(results[0].result(), &DkimResult::Pass);
}
