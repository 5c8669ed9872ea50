//! Each PowerMTA endpoint in JSON and XML against a live (paused) queue, checked against
//! pmtactl's answers from the same daemon; bad parameters are 400, unknown paths 404.

use super::*;

/// `hold.test` is paused with two recipients queued; `go.test` was delivered.
async fn world(ip: &str) -> Web {
    let w = Web::start(ip, &["hold.test", "go.test"]).await;
    w.ctl_json(&["pause", "queue", "hold.test"]);
    w.inject(&[&["a@hold.test", "b@hold.test"], &["c@go.test"]])
        .await;
    w.wait_delivered(1).await;
    // The sink has the message a moment before the daemon has its outcome.
    let deadline = tokio::time::Instant::now() + WAIT;
    while w.ctl_json(&["show", "status"])["queues"]["rcpts"] != 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "go.test never final"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_in_json_and_xml_from_the_same_backend() {
    let w = world("127.0.0.200").await;
    let status = w.data("/status?format=json").await;
    let ctl = w.ctl_json(&["show", "status"]);
    assert_eq!(status["status"]["queue"]["smtp"]["rcp"], 2);
    assert_eq!(
        status["status"]["queue"]["smtp"]["rcp"],
        ctl["queues"]["rcpts"]
    );
    assert_eq!(status["status"]["queue"]["paused"], 1);
    assert_eq!(status["status"]["traffic"]["total"]["out"]["rcp"], 1);
    assert_eq!(status["status"]["status"], "running");
    let xml = w.get("/status?format=xml").await;
    assert_eq!(xml.status, 200);
    assert!(
        xml.header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    assert!(xml.body.starts_with("<?xml"), "{}", xml.body);
    assert!(xml.body.contains("<smtp><dom>1</dom><kb>"), "{}", xml.body);
    assert!(xml.body.ends_with("<succ/></rsp>\n"), "{}", xml.body);

    let domains = w.data("/domains?format=json").await;
    let hold = &domains["domain"][0];
    assert_eq!(
        (hold["name"].as_str(), hold["rcp"].as_u64()),
        (Some("hold.test"), Some(2))
    );
    let xml = w.get("/domains?format=xml").await.body;
    assert!(xml.contains("<domain><backoff>0</backoff>"), "{xml}");
    assert!(
        xml.contains("<name>hold.test</name>") && xml.contains("<rcp>2</rcp>"),
        "{xml}"
    );

    let queues = w.data("/queues?format=json&queue=hold.test").await;
    assert_eq!(queues["total"], 1);
    let q = &queues["queue"][0];
    assert_eq!(q["name"], "hold.test/{default}");
    assert_eq!(
        (q["paused"].as_bool(), q["rcp"].as_u64()),
        (Some(true), Some(2))
    );
    let ctl = w.ctl_json(&["show", "queues", "hold.test"]);
    assert_eq!(q["kb"], ctl["queues"][0]["kbytes"]);
    let xml = w.get("/queues?format=xml&paused=yes").await.body;
    assert!(
        xml.contains("<queue><conn>0</conn><domain>hold.test</domain>"),
        "{xml}"
    );
    assert!(!xml.contains("go.test"), "only paused queues: {xml}");

    let vmtas = w.data("/vmtas?format=json").await;
    assert_eq!(vmtas["vmta"][0]["name"], "{default}");
    assert_eq!(vmtas["vmta"][0]["rcp"], 2);
    assert_eq!(vmtas["vmta"][0]["pctTotal"], 100);
    let xml = w.get("/vmtas?format=xml").await.body;
    assert!(
        xml.contains("<vmta><conn>0</conn>") && xml.contains("<name>{default}</name>"),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_carry_the_hold_reasons_of_domain_detail() {
    let w = world("127.0.0.210").await;
    let d = w.data("/domainDetail?domain=hold.test&format=json").await;
    let ctl = w.ctl_json(&["domain", "detail", "hold.test"]);
    assert_eq!(d["domain"]["name"], "hold.test");
    assert_eq!(d["domain"]["rcp"], ctl["rcpts"]);
    let q = &d["domain"]["queue"][0];
    assert_eq!(q["name"], "hold.test/{default}");
    let kinds: Vec<&str> = q["heldBack"]["reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"paused"), "{q:#}");
    assert_eq!(q["detail"]["held_back"], ctl["queues"][0]["held_back"]);
    assert_eq!(d["domain"]["verdict"]["line"], ctl["verdict"]["line"]);
    assert_eq!(d["domain"]["verdict"]["state"], "not_sending");
    assert_eq!(d["domain"]["verdict"]["reason"], "paused");
    assert!(
        q["settings"]["setting"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "retry-after" && s["value"] == "1s"),
        "{q:#}"
    );
    let xml = w
        .get("/domainDetail?domain=hold.test&format=xml")
        .await
        .body;
    assert!(
        xml.contains("<heldBack><reason>") && xml.contains("<kind>paused</kind>"),
        "{xml}"
    );

    let qd = w.data("/queueDetail?queue=hold.test%2F%7Bdefault%7D").await;
    assert_eq!(qd["queue"]["name"], "hold.test/{default}");
    assert_eq!(qd["queue"]["paused"], true);
    let xml = w
        .get("/queueDetail?queue=hold.test/*&format=xml")
        .await
        .body;
    assert!(
        xml.contains("<queue><conn>0</conn>") && xml.contains("<rcp>2</rcp>"),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_a_message() {
    let w = Web::start("127.0.0.201", &["x.test"]).await;
    for (path, code, says) in [
        ("/nowhere", 404, "no such page"),
        ("/../../etc/passwd", 404, "no such page"),
        ("/assets/../Cargo.toml", 404, "no such page"),
        ("/domainDetail", 400, "'domain' is missing"),
        ("/queueDetail?queue=*/x", 400, "expected DOMAIN/VMTA"),
        ("/queueDetail?queue=none.test/vm", 404, "no such domain"),
        ("/domainDetail?domain=none.test", 404, "no such domain"),
        ("/domainDetail?domain=", 400, "'domain' is missing"),
        ("/queues?maxitems=lots", 400, "maxitems"),
        ("/queues?sort=weight", 400, "sort=weight"),
        ("/queues?paused=perhaps", 400, "paused=perhaps"),
        ("/status?format=yaml", 400, "format=yaml"),
        ("/domains?domain=%zz", 400, "%-escape"),
    ] {
        let r = w.get(path).await;
        assert_eq!(r.status, code, "{path}: {}", r.body);
        let doc = r.json();
        assert_eq!(doc["status"], "error", "{path}");
        assert!(
            doc["message"].as_str().unwrap().contains(says),
            "{path}: {doc}"
        );
    }
    let r = w.get("/queues?maxitems=lots&format=xml").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("<rsp><error>"), "{}", r.body);
    let r = Request::post_form("/status", "")
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(r.status, 405, "{}", r.body);
    let r = w.get("/command?command=reload").await;
    assert_eq!(r.status, 405, "state changes need POST: {}", r.body);
    let big = format!("command={}", "x".repeat(70 * 1024));
    let r = Request::post_form("/command", &big)
        .send(w.http)
        .await
        .unwrap();
    assert_eq!(r.status, 413, "{}", r.body);
}
