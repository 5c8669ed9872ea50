//! The SMTP server over the real spool: the 250 comes only once the message is durable, and
//! what is stored is exactly the processed content (small and spilled messages). The
//! `Content` impl of the spool's `ContentWriter` is the daemon's (`daemon/smtp_intake.rs`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use pmtad::envelope::{Envelope, MessageId};
use pmtad::inbound::{
    Intake, ListenerConfig, LookupError, RecipientRules, SmtpServer, SourceRules, StoreError,
};
use pmtad::spool::{ContentWriter, Spool, SpoolOptions};
use tokio_util::sync::CancellationToken;

use crate::harness::{Client, send_message};

struct SpoolIntake {
    spool: Spool,
}

impl Intake for SpoolIntake {
    type Content = ContentWriter;

    fn host_name(&self) -> String {
        "mx.spool.example".to_string()
    }

    fn source_policy(&self, _peer: IpAddr, _local: SocketAddr) -> SourceRules {
        let mut rules = SourceRules::default();
        rules.policy.add_received_header = false;
        rules
    }

    fn recipient_rules(&self, _domain: &str, _vmta: &str) -> RecipientRules {
        RecipientRules {
            accepted_without_relaying: true,
            ..RecipientRules::default()
        }
    }

    fn vmta_exists(&self, _name: &str) -> bool {
        false
    }

    async fn rdns_confirmed(&self, _ip: IpAddr) -> Result<bool, LookupError> {
        Ok(true)
    }

    fn begin(&self) -> Result<ContentWriter, StoreError> {
        Ok(self.spool.content_writer())
    }

    async fn store(&self, env: Envelope, content: ContentWriter) -> Result<MessageId, StoreError> {
        let stored = self.spool.store(&env, content.finish()).await;
        stored.map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

/// The id in `250 2.0.0 Ok: queued as <hex id>`.
fn queued_id(line: &str) -> MessageId {
    let hex = line.rsplit(' ').next().unwrap();
    MessageId(u64::from_str_radix(hex, 16).unwrap())
}

#[tokio::test]
async fn accepted_messages_are_in_the_spool() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SpoolOptions {
        spill_threshold: 64 * 1024,
        ..SpoolOptions::default()
    };
    let (spool, _) = Spool::open(dir.path(), opts).unwrap();
    let intake = Arc::new(SpoolIntake {
        spool: spool.clone(),
    });
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = SmtpServer::bind(&[any], intake, ListenerConfig::default())
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    let stop = CancellationToken::new();
    tokio::spawn(server.serve(stop.clone()));

    let mut c = Client::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    c.reply().await;
    c.expect("EHLO feeder.example", "250").await;
    let small = "Subject: small\r\n\r\n..dot\r\nbody\r\n";
    let big = format!(
        "Subject: big\r\n\r\n{}",
        "0123456789abcdef\r\n".repeat(20_000)
    );
    for (body, stored) in [
        (
            small.to_string(),
            "Subject: small\r\n\r\n.dot\r\nbody\r\n".to_string(),
        ),
        (big.clone(), big),
    ] {
        let r = send_message(&mut c, "a@feeder.example", &["u@dest.example"], &body).await;
        assert!(r.lines[0].starts_with("250 2.0.0"), "{r:?}");
        let id = queued_id(&r.lines[0]);
        assert!(spool.contains(id));
        assert_eq!(spool.read_content(id).await.unwrap(), stored.as_bytes());
    }
    c.expect("QUIT", "221").await;
    stop.cancel();
}
