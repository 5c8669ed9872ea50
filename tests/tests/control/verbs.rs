//! Every read verb's `--json` answer against what the daemon holds, the queue verbs, and
//! exit code 3 once the daemon is gone.

use super::*;

/// Held mail (a paused queue) and one delivered message, then every verb looks at them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_verb_answers_from_the_running_daemon() {
    let mut w = World::start("127.0.0.61", &["held.test", "ok.test"]).await;
    let v = w.json(&["version"]);
    assert_eq!(v["daemon"]["product"], "pmtad");
    assert_eq!(v["daemon"]["host_name"], "pmtad.test");
    let p = w.json(&["pause", "queue", "held.test"]);
    assert_eq!(
        (p["pattern"].as_str(), p["matched"].as_u64()),
        (Some("held.test/*"), Some(0))
    );
    w.inject(&[
        &["a@held.test", "b@held.test"],
        &["c@held.test"],
        &["d@ok.test"],
    ])
    .await;
    w.wait_delivered(1).await;
    assert_eq!(w.delivered(), ["d@ok.test"]);
    status_counts_traffic_and_queues(&w).await;
    listings_show_the_held_queue(&w);
    settings_and_detail(&w);
    list_schedule_mode_and_delete(&w);
    w.wait_acct("deleted by operator", 3).await;
    w.pmtad.stop();
    let out = w.ctl(&["show", "status"], 3);
    assert!(stderr(&out).contains("control.sock"), "{}", stderr(&out));
}

async fn status_counts_traffic_and_queues(w: &World) {
    let s = w
        .json_until(&["show", "status"], |s| {
            s["traffic"]["total"]["outbound"]["rcpts"] == 1
        })
        .await;
    assert_eq!(s["state"], "running");
    assert_eq!(s["traffic"]["total"]["inbound"]["msgs"], 3);
    assert_eq!(s["traffic"]["total"]["inbound"]["rcpts"], 4);
    assert_eq!(s["traffic"]["total"]["outbound"]["msgs"], 1);
    assert_eq!(s["queues"]["rcpts"], 3);
    assert_eq!(s["queues"]["msgs"], 2);
    assert_eq!(s["queues"]["paused_queues"], 1);
    assert_eq!(s["spool"]["messages"], 2);
    assert!(s["spool"]["kbytes_free"].as_u64().unwrap() > 0);
    assert!(s["connections"]["inbound"]["top"].as_u64().is_some());
}

fn listings_show_the_held_queue(w: &World) {
    let d = w.json(&["show", "domains"]);
    assert_eq!(d["total_matching"], 2);
    let held = find(&d["domains"], "domain", "held.test");
    assert_eq!(
        (held["rcpts"].as_u64(), held["paused_queues"].as_u64()),
        (Some(3), Some(1))
    );
    let top = w.json(&["show", "topdomains", "--maxitems=1"]);
    assert_eq!(top["domains"][0]["domain"], "held.test");
    assert_eq!(top["total_matching"], 2);
    let one = w.json(&["show", "domain", "ok.*"]);
    assert_eq!(one["domains"][0]["domain"], "ok.test");
    assert_eq!(one["domains"][0]["rcpts"], 0);
    let q = w.json(&["show", "queues", "--paused=yes"]);
    assert_eq!(q["total_matching"], 1);
    let row = &q["queues"][0];
    assert_eq!(
        (row["domain"].as_str(), row["vmta"].as_str()),
        (Some("held.test"), Some("{default}"))
    );
    assert_eq!(
        (row["rcpts"].as_u64(), row["paused"].as_bool()),
        (Some(3), Some(true))
    );
    assert!(row["oldest_age_secs"].as_u64().is_some());
    let v = w.json(&["show", "vmtas"]);
    let dflt = find(&v["vmtas"], "name", "{default}");
    assert_eq!(
        (dflt["rcpts"].as_u64(), dflt["domains"].as_u64()),
        (Some(3), Some(1))
    );
}

fn settings_and_detail(w: &World) {
    let s = w.json(&["show", "settings", "held.test"]);
    assert_eq!(s["vmta"], "{default}");
    let retry = find(&s["queue_settings"], "name", "retry-after");
    assert_eq!(retry["value"], "1s");
    assert!(
        retry["origin"].as_str().unwrap().contains("pmta.conf:"),
        "{retry}"
    );
    let out = w.ctl(&["--json", "show", "settings", "held.test/nosuch"], 1);
    assert_eq!(json(&out)["error"]["kind"], "invalid_request");

    let d = w.json(&["domain", "detail", "held.test"]);
    assert_eq!(d["rcpts"], 3);
    let q = &d["queues"][0];
    assert_eq!(q["paused"], true);
    assert_eq!(q["connections"]["max_smtp_out"], 20);
    assert!(
        q["held_back"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "paused"),
        "{q:#}"
    );
    assert!(q["settings"].as_array().unwrap().len() > 20);

    let d = w.json(&["domain", "detail", "ok.test"]);
    let q = &d["queues"][0];
    assert!(q["held_back"].as_array().unwrap().is_empty(), "{q:#}");
    assert_eq!(q["recent_deliveries"].as_array().unwrap().len(), 1);
    let dest = &q["destinations"];
    assert_eq!(dest["source"], "mx");
    assert_eq!(dest["hosts"][0]["host"], "mx.ok.test");
    assert_eq!(dest["hosts"][0]["preference"], 10);
    assert_eq!(dest["hosts"][0]["addresses"][0], "127.0.0.61");
    assert!(dest["resolved_at"].is_string());
}

fn list_schedule_mode_and_delete(w: &World) {
    let l = w.json(&["list", "--queue=held.test"]);
    let mut rcpts: Vec<&str> = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rcpt"].as_str().unwrap())
        .collect();
    rcpts.sort();
    assert_eq!(rcpts, ["a@held.test", "b@held.test", "c@held.test"]);
    assert_eq!(l["items"][0]["sender"], "sender@src.test");
    assert_eq!(l["items"][0]["message_id"].as_str().unwrap().len(), 16);
    let old = w.json(&["list", "--queue=held.test", "--older-than=1h"]);
    assert!(old["items"].as_array().unwrap().is_empty());
    let two = w.json(&["list", "--queue=*/*", "--maxitems=1"]);
    assert_eq!(two["items"].as_array().unwrap().len(), 1);

    let s = w.json(&["schedule", "held.test"]);
    assert_eq!(s["matched"], 1);
    let out = w.ctl(&["--json", "schedule", "none.test"], 1);
    assert_eq!(json(&out)["error"]["kind"], "no_such_queue");
    let m = w.json(&["set", "queue", "--mode=backoff", "held.test"]);
    assert_eq!(
        (m["matched"].as_u64(), m["changed"].as_u64()),
        (Some(1), Some(1))
    );
    let q = w.json(&["show", "queues", "--mode=backoff"]);
    assert_eq!(q["queues"][0]["mode"], "backoff");
    let d = w.json(&["domain", "detail", "held.test"]);
    let kinds: Vec<&str> = d["queues"][0]["held_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["paused", "backoff"]);
    w.json(&["set", "queue", "--mode=normal", "held.test"]);

    let none = w.json(&["delete", "--queue=held.test", "--older-than=1h"]);
    assert_eq!(none["deleted"], 0);
    let del = w.json(&["delete", "--queue=held.test"]);
    assert_eq!(del["deleted"], 3);
    let q = w.json(&["show", "queues", "held.test"]);
    assert_eq!(q["queues"][0]["rcpts"], 0);
    assert!(w.delivered() == ["d@ok.test"], "deleted mail is never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_pmtad_refuses_to_start_while_one_answers_on_the_socket() {
    let w = World::start("127.0.0.67", &["two.test"]).await;
    let second = Pmtad::start_file(w.dir.path(), &w.path("pmta.conf"));
    assert!(
        second.is_err(),
        "a second daemon became ready on the same socket"
    );
    w.ctl(&["show", "status"], 0);
    w.inject(&[&["a@two.test"]]).await;
    w.wait_delivered(1).await;
}

/// A second daemon with its own control socket but the same spool directory is refused by the
/// spool lock (two writers would corrupt each other's log), and the first keeps delivering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_pmtad_on_the_same_spool_is_refused() {
    let w = World::start("127.0.0.70", &["spool.test"]).await;
    let first = std::fs::read_to_string(w.path("pmta.conf")).unwrap();
    let second = first.replace("control-socket control.sock", "control-socket other.sock");
    assert_ne!(first, second, "the test config names its control socket");
    std::fs::write(w.path("second.conf"), second).unwrap();
    let out = std::process::Command::new(pmta_tests::daemon::bin("pmtad"))
        .arg("--config")
        .arg(w.path("second.conf"))
        .current_dir(w.dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("locked by process"), "stderr: {err}");
    assert!(
        !w.path("other.sock").exists(),
        "the refused daemon opened a socket"
    );
    w.inject(&[&["a@spool.test"]]).await;
    w.wait_delivered(1).await;
}

/// A domain whose MX lookup fails shows why it is not sending: the DNS failure, the retry
/// wait, and the failed lookup as its destinations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_detail_explains_a_dns_failure() {
    let w = World::start_failing("127.0.0.68", &[], &["broken.test"]).await;
    w.inject(&[&["a@broken.test"]]).await;
    let d = w
        .json_until(&["domain", "detail", "broken.test"], |d| {
            d["queues"][0]["recent_errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        })
        .await;
    let q = &d["queues"][0];
    let kinds: Vec<&str> = q["held_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"dns_failure"), "{q:#}");
    assert_eq!(q["recent_errors"][0]["kind"], "dns_error");
    assert!(
        q["destinations"]["error"]
            .as_str()
            .unwrap()
            .contains("broken.test"),
        "{q:#}"
    );
    let list = w.json(&["list", "--queue=broken.test"]);
    assert_eq!(list["items"][0]["attempts"], 1);
    assert!(
        list["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("DNS"),
        "{list:#}"
    );
}

/// `tls required` toward a server that offers no STARTTLS: the detail names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_detail_explains_tls_required_but_not_offered() {
    let extra = "<domain tls.test>\n  tls required\n</domain>\n";
    let w = World::start_full("127.0.0.69", &["tls.test"], &[], extra).await;
    w.inject(&[&["a@tls.test"]]).await;
    let d = w
        .json_until(&["domain", "detail", "tls.test"], |d| {
            d["queues"][0]["recent_errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        })
        .await;
    let q = &d["queues"][0];
    let held = q["held_back"].as_array().unwrap();
    assert!(
        held.iter().any(|h| h["kind"] == "tls_required_not_offered"),
        "{q:#}"
    );
    assert_eq!(q["recent_errors"][0]["kind"], "tls_error");
    assert!(w.delivered().is_empty());
}

/// `show vmtas` lists a configured virtual MTA with nothing queued; `pmtactl --config FILE
/// test config` checks FILE (not the daemon's file), as `test config FILE` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_vmtas_lists_every_configured_vmta_and_test_config_checks_the_named_file() {
    let extra = "<virtual-mta idle1>\n</virtual-mta>\n";
    let w = World::start_full("127.0.0.86", &[], &[], extra).await;
    let v = w.json(&["show", "vmtas"]);
    let idle = find(&v["vmtas"], "name", "idle1");
    assert_eq!(idle["rcpts"], 0, "{v}");

    let bad = w.path("bad.conf");
    std::fs::write(&bad, "max-smtp-outt 3\n").unwrap();
    let bad = bad.to_str().unwrap();
    for args in [
        &["--config", bad, "test", "config"][..],
        &["test", "config", bad],
    ] {
        let out = w.ctl(args, 1);
        let all = format!("{}{}", pmta_tests::output::stdout(&out), stderr(&out));
        assert!(all.contains("bad.conf"), "{args:?}: {all}");
    }
    w.ctl(&["test", "config"], 0);
}
