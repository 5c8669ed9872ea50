//! `connection-idle-timeout`: a connection whose queue ran dry waits for more mail instead of
//! closing, the next message rides on it, and an idle connection gives way when a limit
//! shared with another queue needs its slot.

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::sink::SmtpSink;

async fn world_with(ip: &str, domains: &[&str], extra: &str) -> (SmtpSink, TestDns, World) {
    let sink = sink_on(ip, SmtpSink::builder()).await;
    let mut dns = TestDns::builder();
    for d in domains {
        dns = dns.a(d, ip);
    }
    let dns = dns.start().await.unwrap();
    let world = World::start(&(base_config(&dns, sink.addr().port()) + extra));
    (sink, dns, world)
}

#[tokio::test]
async fn the_next_message_rides_on_the_idle_connection() {
    // One connection at most, so a second one could only open after the first closed.
    let extra = "<domain reuse.test>\n  max-smtp-out 1\n  connection-idle-timeout 10m\n</domain>\n";
    let (sink, _dns, world) = world_with("127.0.0.41", &["reuse.test"], extra).await;
    let r = world
        .inject(&[msg("s@src.test", &["a@reuse.test"], 1)])
        .await;
    assert_eq!(r[0].code, 250);
    sink.wait_for_messages(1, WAIT).await.expect("first");
    let r = world
        .inject(&[msg("s@src.test", &["b@reuse.test"], 2)])
        .await;
    assert_eq!(r[0].code, 250);
    let st = sink.wait_for_messages(2, WAIT).await.expect("second");
    assert_eq!(st.len(), 2);
    let conns = sink.state().connections;
    assert_eq!(conns.len(), 1, "both messages on one connection: {conns:?}");
    assert!(conns[0].open, "the connection stays open while idle");
}

#[tokio::test]
async fn an_idle_timeout_of_zero_quits_when_the_queue_is_empty() {
    let extra = "<domain once.test>\n  max-smtp-out 1\n  connection-idle-timeout 0s\n</domain>\n";
    let (sink, _dns, world) = world_with("127.0.0.42", &["once.test"], extra).await;
    world
        .inject(&[msg("s@src.test", &["a@once.test"], 1)])
        .await;
    sink.wait_for_messages(1, WAIT).await.expect("first");
    sink.wait_for_idle(WAIT)
        .await
        .expect("QUIT after the only message");
    world
        .inject(&[msg("s@src.test", &["b@once.test"], 2)])
        .await;
    sink.wait_for_messages(2, WAIT).await.expect("second");
    assert_eq!(sink.state().connections.len(), 2);
}

#[tokio::test]
async fn an_idle_connection_gives_its_slot_to_another_queue_of_the_vmta() {
    // The virtual MTA allows one connection across its queues; the first queue's idle
    // connection (10 minutes) must close so the second queue's mail goes out.
    let extra = "<virtual-mta solo>\n  max-smtp-out 1\n</virtual-mta>\n\
                 <domain *>\n  connection-idle-timeout 10m\n</domain>\n";
    let (sink, _dns, world) = world_with("127.0.0.43", &["first.test", "second.test"], extra).await;
    let mut a = msg("s@src.test", &["a@first.test"], 1);
    a.data = [b"X-Virtual-MTA: solo\r\n".as_slice(), &a.data].concat();
    world.inject(&[a]).await;
    sink.wait_for_messages(1, WAIT).await.expect("first queue");
    let mut b = msg("s@src.test", &["b@second.test"], 2);
    b.data = [b"X-Virtual-MTA: solo\r\n".as_slice(), &b.data].concat();
    world.inject(&[b]).await;
    sink.wait_for_messages(2, WAIT).await.expect("second queue");
    let st = sink.state();
    assert_eq!(st.connections.len(), 2, "{:?}", st.connections);
    assert_eq!(st.max_open.values().copied().max(), Some(1));
}
