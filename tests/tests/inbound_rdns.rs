//! `require-rdns` against real DNS: the inbound server's `Intake` backed by
//! `pmtad::dns::Resolver` pointed at an in-process `TestDns`.
//!
//! hickory answers loopback reverse lookups itself (RFC 6761): every 127.0.0.0/8 address has
//! the PTR name `localhost`, which resolves to 127.0.0.1 only. So a client connecting from
//! 127.0.0.1 has confirmed reverse DNS and one connecting from 127.0.0.6 has none, whatever
//! the test zone says; the resolver is still the configured one (`name-server`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pmta_tests::TestDns;
use pmtad::dns::Resolver;
use pmtad::envelope::{Envelope, MessageId};
use pmtad::inbound::{
    Content, Intake, ListenerConfig, LookupError, RecipientRules, SmtpServer, SourceRules,
    StoreError,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

/// Requires rDNS from the source or for `strict.example`, accepts every domain.
struct RdnsIntake {
    resolver: Resolver,
    source_requires: bool,
}

struct Discard;

impl Content for Discard {
    async fn write(&mut self, _chunk: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Intake for RdnsIntake {
    type Content = Discard;

    fn host_name(&self) -> String {
        "mx.rdns.example".to_string()
    }

    fn source_policy(&self, _peer: IpAddr, _local: SocketAddr) -> SourceRules {
        let mut rules = SourceRules::default();
        rules.policy.require_rdns = self.source_requires;
        rules
    }

    fn recipient_rules(&self, domain: &str, _vmta: &str) -> RecipientRules {
        RecipientRules {
            accepted_without_relaying: true,
            max_message_size: None,
            require_rdns: domain == "strict.example",
        }
    }

    fn vmta_exists(&self, _name: &str) -> bool {
        false
    }

    async fn rdns_confirmed(&self, ip: IpAddr) -> Result<bool, LookupError> {
        self.resolver
            .rdns_confirmed(ip)
            .await
            .map_err(|e| LookupError(e.to_string()))
    }

    fn begin(&self) -> Result<Discard, StoreError> {
        Ok(Discard)
    }

    async fn store(&self, _envelope: Envelope, _content: Discard) -> Result<MessageId, StoreError> {
        Ok(MessageId(1))
    }
}

async fn server(dns: &TestDns, source_requires: bool) -> (SocketAddr, CancellationToken) {
    let intake = RdnsIntake {
        resolver: Resolver::new(&[dns.addr()]).unwrap(),
        source_requires,
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = SmtpServer::bind(&[addr], Arc::new(intake), ListenerConfig::default())
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let stop = CancellationToken::new();
    tokio::spawn(server.serve(stop.clone()));
    (addr, stop)
}

/// Connects from `from` and says EHLO.
async fn client(server: SocketAddr, from: &str) -> BufReader<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut c = BufReader::new(socket.connect(server).await.unwrap());
    assert!(reply(&mut c).await.starts_with("220"));
    assert!(cmd(&mut c, "EHLO client.example").await.starts_with("250"));
    c
}

/// The last line of the next reply.
async fn reply(c: &mut BufReader<TcpStream>) -> String {
    loop {
        let mut line = String::new();
        tokio::time::timeout(WAIT, c.read_line(&mut line))
            .await
            .expect("reply in time")
            .unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line.trim_end().to_string();
        }
    }
}

async fn cmd(c: &mut BufReader<TcpStream>, line: &str) -> String {
    c.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    reply(c).await
}

async fn test_dns() -> TestDns {
    let ip: IpAddr = "127.0.0.6".parse().unwrap();
    // A PTR in the zone for the unconfirmed client: hickory's RFC 6761 answer wins.
    TestDns::builder()
        .ptr(ip, "feeder.rdns.example")
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn source_require_rdns_with_and_without_confirmed_ptr() {
    let dns = test_dns().await;
    let (addr, _stop) = server(&dns, true).await;
    let mut ok = client(addr, "127.0.0.1").await;
    assert!(
        cmd(&mut ok, "MAIL FROM:<a@b.example>")
            .await
            .starts_with("250 2.1.0")
    );
    let mut refused = client(addr, "127.0.0.6").await;
    let r = cmd(&mut refused, "MAIL FROM:<a@b.example>").await;
    assert!(r.starts_with("550 5.7.25"), "{r}");
}

#[tokio::test]
async fn domain_require_rdns_at_rcpt() {
    let dns = test_dns().await;
    let (addr, _stop) = server(&dns, false).await;
    let mut c = client(addr, "127.0.0.6").await;
    assert!(
        cmd(&mut c, "MAIL FROM:<a@b.example>")
            .await
            .starts_with("250")
    );
    let r = cmd(&mut c, "RCPT TO:<u@strict.example>").await;
    assert!(r.starts_with("550 5.7.25"), "{r}");
    assert!(
        cmd(&mut c, "RCPT TO:<u@lax.example>")
            .await
            .starts_with("250")
    );
    let mut c = client(addr, "127.0.0.1").await;
    assert!(
        cmd(&mut c, "MAIL FROM:<a@b.example>")
            .await
            .starts_with("250")
    );
    assert!(
        cmd(&mut c, "RCPT TO:<u@strict.example>")
            .await
            .starts_with("250")
    );
}
