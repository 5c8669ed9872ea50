//! Inbound connection limits end to end: `<source-group>` `max-smtp-in` per group of
//! sources, `reserved-smtp-in` slots kept from other sources, `total-max-smtp-in` for all;
//! the excess connection is told 421 4.3.2 and closed at once, a closed connection frees its
//! place, a reload changes the limits, and `show status` counts it all. Clients come from
//! distinct 127.0.0.x addresses to one listener.

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

use super::harness::*;
use super::limits::{ctl_json, ctl_until};
use pmta_tests::dns::TestDns;

const BULK: &str = "127.0.0.61";
const VIP: &str = "127.0.0.62";
const OTHER: &str = "127.0.0.63";

/// An open connection from `from` and the first line the server sent.
async fn connect(from: &str, to: SocketAddr) -> (BufReader<TcpStream>, String) {
    let sock = TcpSocket::new_v4().unwrap();
    sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let tcp = sock.connect(to).await.expect("connect");
    let mut rd = BufReader::new(tcp);
    let mut line = String::new();
    rd.read_line(&mut line).await.expect("first line");
    (rd, line)
}

/// A connection from `from` that must be greeted.
async fn greeted(from: &str, to: SocketAddr) -> BufReader<TcpStream> {
    let (rd, line) = connect(from, to).await;
    assert!(line.starts_with("220 "), "{from}: {line:?}");
    rd
}

/// A connection from `from` that must be refused with 421 4.3.2 and closed at once; the
/// reply's text.
async fn refused(from: &str, to: SocketAddr) -> String {
    let (mut rd, line) = connect(from, to).await;
    assert!(line.starts_with("421 4.3.2 "), "{from}: {line:?}");
    let mut rest = Vec::new();
    rd.read_to_end(&mut rest).await.expect("closed");
    assert!(rest.is_empty(), "nothing after the 421: {rest:?}");
    line
}

fn config(dns: &TestDns, total: u32, bulk_max: u32) -> String {
    base_config(dns, 9)
        + &format!(
            "total-max-smtp-in {total}\n\
             <source-group bulk>\n  max-smtp-in {bulk_max}\n</source-group>\n\
             <source-group vip>\n  reserved-smtp-in 2\n</source-group>\n\
             <source {BULK}>\n  source-group bulk\n</source>\n\
             <source {VIP}>\n  source-group vip\n</source>\n"
        )
}

fn group<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let groups = status["source_groups"].as_array().expect("source_groups");
    groups
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name}: {status:#}"))
}

#[tokio::test]
async fn a_source_group_gets_its_max_smtp_in_and_the_next_one_is_told_421() {
    let dns = TestDns::builder().start().await.unwrap();
    let cfg = config(&dns, 50, 2);
    let world = World::start(&cfg);
    let addr = world.pmtad.smtp_addr();
    let first = greeted(BULK, addr).await;
    let _second = greeted(BULK, addr).await;
    let text = refused(BULK, addr).await;
    assert!(text.contains("from your source"), "{text}");
    // Other sources are not held by the group's limit.
    let _other = greeted(OTHER, addr).await;
    let st = ctl_json(&world, &["show", "status"]);
    let bulk = group(&st, "bulk");
    assert_eq!(
        (bulk["active"].as_u64(), bulk["maximum"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(bulk["refused"], 1, "{st:#}");
    assert_eq!(st["inbound_refused"], 1, "{st:#}");
    assert_eq!(st["connections"]["inbound"]["active"], 3, "{st:#}");
    // A closed connection frees its place.
    drop(first);
    ctl_until(&world, &["show", "status"], |v| {
        group(v, "bulk")["active"] == 1
    })
    .await;
    let _third = greeted(BULK, addr).await;
    let text = world.pmtad.pmtactl(&["show", "status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("group bulk"), "{text}");
    assert!(
        text.contains("RESERVED") && text.contains("REFUSED"),
        "{text}"
    );
}

#[tokio::test]
async fn reserved_slots_are_kept_for_their_group_under_the_global_limit() {
    let dns = TestDns::builder().start().await.unwrap();
    // 5 in all, 2 kept for vip: other sources share 3.
    let world = World::start(&config(&dns, 5, 10));
    let addr = world.pmtad.smtp_addr();
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(greeted(OTHER, addr).await);
    }
    let text = refused(OTHER, addr).await;
    assert!(text.contains("No connection slot free"), "{text}");
    let text = refused(BULK, addr).await;
    assert!(text.contains("No connection slot free"), "{text}");
    // The reserved slots are vip's, then the total holds for everyone.
    open.push(greeted(VIP, addr).await);
    open.push(greeted(VIP, addr).await);
    let text = refused(VIP, addr).await;
    assert!(text.contains("Too many connections,"), "{text}");
    let st = ctl_json(&world, &["show", "status"]);
    assert_eq!(st["connections"]["inbound"]["maximum"], 5, "{st:#}");
    assert_eq!(group(&st, "vip")["reserved"], 2, "{st:#}");
    assert_eq!(group(&st, "vip")["active"], 2, "{st:#}");
    assert_eq!(st["inbound_refused"], 3, "{st:#}");
    // Every place is freed when the connections close.
    open.clear();
    ctl_until(&world, &["show", "status"], |v| {
        v["connections"]["inbound"]["active"] == 0
    })
    .await;
    for _ in 0..3 {
        open.push(greeted(OTHER, addr).await);
    }
}

#[tokio::test]
async fn a_reload_changes_the_limits_without_cutting_open_connections() {
    let dns = TestDns::builder().start().await.unwrap();
    let world = World::start(&config(&dns, 50, 1));
    let addr = world.pmtad.smtp_addr();
    let mut held = greeted(BULK, addr).await;
    refused(BULK, addr).await;
    std::fs::write(&world.pmtad.config, config(&dns, 50, 3)).unwrap();
    let out = world.pmtad.pmtactl(&["reload"]);
    assert!(out.status.success(), "{out:?}");
    let _a = greeted(BULK, addr).await;
    let _b = greeted(BULK, addr).await;
    refused(BULK, addr).await;
    // The connection opened before the reload still talks.
    use tokio::io::AsyncWriteExt;
    held.get_mut().write_all(b"NOOP\r\n").await.unwrap();
    let mut line = String::new();
    held.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("250"), "{line:?}");
    let st = ctl_json(&world, &["show", "status"]);
    assert_eq!(group(&st, "bulk")["maximum"], 3, "{st:#}");
    assert_eq!(group(&st, "bulk")["top"], 3, "{st:#}");
}
