//! `http-access` levels by client address (longest prefix, no match = 403) and
//! `http-api-key`: monitor reads, operator also runs read-only commands, admin changes
//! queues; a refused command changes nothing.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_levels_and_the_api_key_are_enforced() {
    let w = Web::start("127.0.0.202", &["lvl.test"]).await;
    let get = |from: &'static str| Request::get("/status").from(from);
    for (from, code) in [
        ("127.0.0.1", 200),
        ("127.0.0.2", 200),
        ("127.0.0.3", 200),
        ("127.0.0.4", 403),
        ("127.0.0.5", 403),
    ] {
        let r = get(from).send(w.http).await.unwrap();
        assert_eq!(r.status, code, "{from}: {}", r.body);
    }
    let r = get("127.0.0.5").send(w.http).await.unwrap();
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("no http-access"),
        "{}",
        r.body
    );
    let metrics = Request::get("/metrics")
        .from("127.0.0.2")
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(metrics.status, 200, "monitor may scrape");

    // Read-only commands: operator and admin, not monitor.
    assert_eq!(w.command("127.0.0.2", "show status").await.status, 403);
    let r = w.command("127.0.0.3", "show queues").await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Changes: admin only; a refused one does nothing.
    for from in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        let r = w.command(from, "pause queue lvl.test").await;
        assert_eq!(r.status, 403, "{from}: {}", r.body);
    }
    let rules =
        std::fs::read_to_string(w.dir.path().join("spool/paused-queues")).unwrap_or_default();
    assert!(!rules.contains("lvl.test"), "nothing was paused: {rules}");
    let r = w.command("127.0.0.1", "pause queue lvl.test").await;
    assert_eq!(r.status, 200, "{}", r.body);
    w.inject(&[&["a@lvl.test"]]).await;

    // The API key gives admin from an address with no access; a wrong key is refused.
    let body = format!("command={}", form_encode("resume queue lvl.test"));
    let with_key = |key: &str| {
        Request::post_form("/command", &body)
            .from("127.0.0.5")
            .header("X-API-Key", key)
    };
    let r = with_key(KEY).send(w.http).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["changed"], 1, "{}", r.body);
    let r = with_key("wrong_key_wrong_key_wrong_key_wrong")
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("API key"), "{}", r.body);
    let r = Request::get("/status")
        .from("127.0.0.1")
        .header("X-API-Key", "nope")
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(
        r.status, 403,
        "a bad key is refused even from an admin address"
    );
}
