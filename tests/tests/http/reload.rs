//! Reloads: a changed `http-mgmt-port` rebinds; one that cannot be bound keeps the old
//! listener; `http-mgmt-port 0` turns the interface off; access changes apply at once.

use std::net::SocketAddr;

use super::*;

fn rewrite(w: &Web, from: &str, to: &str) {
    let path = w.dir.path().join("pmta.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in the config");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

fn reload(w: &Web) {
    let out = w.pmtad.pmtactl(&["reload"]);
    expect_code(&out, 0);
}

/// Waits until nothing accepts connections on `addr` any more.
async fn wait_closed(addr: SocketAddr) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{addr} still accepts"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_rebinds_keeps_the_old_listener_on_failure_and_can_turn_it_off() {
    let mut w = Web::start("127.0.0.209", &["r.test"]).await;
    let first = w.http;
    let mut current = "http-mgmt-port 127.0.0.1:0".to_string();

    // An address already taken: the reload succeeds, the old listener stays.
    let taken = std::net::TcpListener::bind("127.0.0.9:0").unwrap();
    let busy = format!("http-mgmt-port {}", taken.local_addr().unwrap());
    rewrite(&w, &current, &busy);
    current = busy;
    reload(&w);
    let log = std::fs::read_to_string(w.dir.path().join("log/pmtad.log")).unwrap();
    assert!(
        log.contains("cannot bind the HTTP management interface"),
        "{log}"
    );
    assert_eq!(
        w.get("/status").await.status,
        200,
        "the old listener still serves"
    );

    // A free address: bound, announced, and the old one closes.
    let moved = "http-mgmt-port 127.0.0.10:0".to_string();
    rewrite(&w, &current, &moved);
    current = moved;
    reload(&w);
    let line = loop {
        let line = w
            .pmtad
            .next_line(WAIT)
            .expect("pmtad announces the new listener");
        if let Some(addr) = line.strip_prefix("pmtad: listening http ") {
            break addr.trim().to_string();
        }
    };
    let second: SocketAddr = line.parse().unwrap();
    assert_eq!(second.ip().to_string(), "127.0.0.10");
    w.http = second;
    assert_eq!(w.get("/status").await.status, 200);
    wait_closed(first).await;

    // Access is read per request: taking 127.0.0.1's line away refuses it at once.
    rewrite(&w, "http-access 127.0.0.1 admin\n", "");
    reload(&w);
    assert_eq!(w.get("/status").await.status, 403);

    // Off.
    rewrite(&w, &current, "http-mgmt-port 0");
    reload(&w);
    wait_closed(second).await;
    drop(taken);
}
