//! pmtactl verbs of spec.md §3 against a running pmtad on the example config: each verb's
//! `--json` answer is checked against mail the test put in (and, for the action verbs, the
//! effect on delivery at the sink).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use pmta_tests::sink::{Phase, reply};

use super::world::*;

/// Mail held in a paused example.com (two queues: `{default}` with a two-recipient message
/// and a one-recipient one, `domain-specific` with one), plus one message delivered to
/// gmail.com.
async fn held_world(n: u8) -> World {
    let w = World::start(n).await;
    w.json(&["pause", "queue", "example.com"]);
    w.inject_ok(&[
        msg("sender@src.test", &["a@example.com", "b@example.com"], 1),
        msg("sender@src.test", &["c@example.com"], 2),
        msg_with(
            "X-Virtual-MTA: domain-specific",
            "sender@src.test",
            &["v@example.com"],
            3,
        ),
        msg("sender@src.test", &["d@gmail.com"], 4),
    ])
    .await;
    w.wait_delivered(1).await;
    // Delivered at the sink is not yet off the queue: wait for the daemon's own count.
    w.json_until(&["show", "status"], |s| s["queues"]["rcpts"] == 4)
        .await;
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_show_status() {
    let w = held_world(180).await;
    let s = w
        .json_until(&["show", "status"], |s| {
            s["traffic"]["total"]["outbound"]["rcpts"] == 1
        })
        .await;
    assert_eq!(s["state"], "running");
    assert_eq!(s["host_name"], "pmtad.test");
    assert_eq!(s["traffic"]["total"]["inbound"]["msgs"], 4);
    assert_eq!(s["traffic"]["total"]["inbound"]["rcpts"], 5);
    assert_eq!(s["traffic"]["last_minute"]["inbound"]["rcpts"], 5);
    assert_eq!(s["traffic"]["total"]["outbound"]["msgs"], 1);
    assert_eq!(s["queues"]["rcpts"], 4);
    assert_eq!(s["queues"]["msgs"], 3);
    assert_eq!(s["queues"]["paused_queues"], 2);
    assert_eq!(s["spool"]["messages"], 3);
    assert!(s["uptime_secs"].as_u64().is_some());
    let feeder = pmta_tests::inject::Session::connect(w.pmtad.smtp_addr())
        .await
        .unwrap();
    let s = w.json(&["show", "status"]);
    assert_eq!(s["connections"]["inbound"]["active"], 1, "{s:#}");
    assert!(
        s["connections"]["inbound"]["top"].as_u64() >= Some(1),
        "{s:#}"
    );
    drop(feeder);
    let plain = stdout(&w.ctl(&["show", "status"], 0));
    assert!(plain.contains("pmtad.test"), "{plain}");
}

/// `show domain NAME…`, `show domains`, `show topdomains`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_show_domains() {
    let w = held_world(181).await;
    let d = w.json(&["show", "domains"]);
    assert_eq!(d["total_matching"], 2, "{d:#}");
    let ex = find(&d["domains"], "domain", "example.com");
    assert_eq!(ex["rcpts"], 4);
    assert_eq!(ex["queues"], 2);
    assert_eq!(ex["paused_queues"], 2);
    assert_eq!(find(&d["domains"], "domain", "gmail.com")["rcpts"], 0);
    let one = w.json(&["show", "domain", "gmail.*"]);
    assert_eq!(one["domains"].as_array().unwrap().len(), 1);
    assert_eq!(one["domains"][0]["domain"], "gmail.com");
    let top = w.json(&["show", "topdomains", "--maxitems=1"]);
    assert_eq!(top["domains"].as_array().unwrap().len(), 1);
    assert_eq!(top["domains"][0]["domain"], "example.com");
    let plain = stdout(&w.ctl(&["show", "domains"], 0));
    assert!(
        plain.contains("example.com") && plain.contains("gmail.com"),
        "{plain}"
    );
}

/// `domain detail`: per virtual MTA queue, holds, MX hosts, and every setting with the
/// config line it came from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_domain_detail() {
    let w = held_world(182).await;
    let d = w.json(&["domain", "detail", "example.com"]);
    assert_eq!(d["rcpts"], 4);
    let dflt = find(&d["queues"], "vmta", "{default}");
    let vm = find(&d["queues"], "vmta", "domain-specific");
    assert_eq!(
        (dflt["rcpts"].as_u64(), vm["rcpts"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(dflt["paused"], true);
    assert!(held_kinds(dflt).contains(&"paused".to_string()), "{dflt:#}");
    assert_eq!(vm["connections"]["max_smtp_out"], 10);
    assert_eq!(dflt["connections"]["max_smtp_out"], 20);
    let max = find(&vm["settings"], "name", "max-smtp-out");
    let line = config_line(&w, "max-smtp-out 10");
    assert!(
        max["origin"]
            .as_str()
            .unwrap()
            .ends_with(&format!("pmta.conf:{line}")),
        "{max}"
    );
    let log = find(&dflt["settings"], "name", "log-entries");
    assert_eq!(log["value"], "yes");
    let line = config_line(&w, "log-entries yes");
    assert!(
        log["origin"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":{line}")),
        "{log}"
    );
    assert_eq!(
        find(&dflt["settings"], "name", "max-smtp-out")["origin"],
        "default"
    );
    let g = w.json(&["domain", "detail", "gmail.com"]);
    let q = &g["queues"][0];
    assert_eq!(q["recent_deliveries"][0]["kind"], "delivered", "{q:#}");
    assert_eq!(q["destinations"]["hosts"][0]["host"], "mx.gmail.com");
    assert_eq!(
        q["destinations"]["hosts"][0]["addresses"][0],
        ip(0, 182).to_string()
    );
}

/// `show queues [PATTERN]` and `show topqueues`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_show_queues() {
    let w = held_world(183).await;
    let q = w.json(&["show", "queues", "example.com/*"]);
    assert_eq!(q["total_matching"], 2, "{q:#}");
    let vm = find(&q["queues"], "vmta", "domain-specific");
    assert_eq!(
        (vm["rcpts"].as_u64(), vm["paused"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(vm["mode"], "normal");
    let only = w.json(&["show", "queues", "*/domain-specific"]);
    assert_eq!(only["total_matching"], 1);
    let paused = w.json(&["show", "queues", "--paused=no"]);
    assert_eq!(paused["queues"][0]["domain"], "gmail.com", "{paused:#}");
    let top = w.json(&["show", "topqueues", "--maxitems=1"]);
    assert_eq!(top["queues"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            top["queues"][0]["domain"].as_str(),
            top["queues"][0]["vmta"].as_str()
        ),
        (Some("example.com"), Some("{default}"))
    );
    assert_eq!(top["queues"][0]["rcpts"], 3);
}

/// `show vmtas`: the example's `domain-specific` with its source address and queued mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_show_vmtas() {
    let w = held_world(184).await;
    let v = w.json(&["show", "vmtas"]);
    let ds = find(&v["vmtas"], "name", "domain-specific");
    assert_eq!(ds["source_ip"], ip(1, 184).to_string(), "{ds:#}");
    assert_eq!(
        (ds["rcpts"].as_u64(), ds["domains"].as_u64()),
        (Some(1), Some(1))
    );
    let dflt = find(&v["vmtas"], "name", "{default}");
    assert_eq!(dflt["rcpts"], 3);
}

/// `show settings DOMAIN[/VMTA]`: yahoo.com's limits from the example, with their lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_show_settings() {
    let w = World::start(185).await;
    let s = w.json(&["show", "settings", "yahoo.com"]);
    assert_eq!(s["vmta"], "{default}");
    for (name, value, needle) in [
        ("max-smtp-out", "2", "max-smtp-out 2 "),
        ("max-smtp-out-per-ip", "1", "max-smtp-out-per-ip 1"),
        ("smtp-pipeline-depth", "5", "smtp-pipeline-depth 5"),
    ] {
        let row = find(&s["queue_settings"], "name", name);
        assert_eq!(row["value"], value, "{row}");
        let line = config_line(&w, needle);
        assert!(
            row["origin"]
                .as_str()
                .unwrap()
                .ends_with(&format!("pmta.conf:{line}")),
            "{row}"
        );
    }
    let g = w.json(&["show", "settings", "gmail.com/domain-specific"]);
    let route = find(&g["queue_settings"], "name", "route");
    assert!(route["value"].as_str().unwrap().contains(ALT4), "{route}");
    let out = w.ctl(&["--json", "show", "settings", "gmail.com/nosuch"], 1);
    assert!(json(&out)["error"]["kind"].is_string());
}

/// `reload`: a good config is applied; a bad one is refused with every error (exit 1) and the
/// running config stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_reload() {
    let w = World::start(186).await;
    let conf = w.path("pmta.conf");
    let good = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, good.replace("max-smtp-out 2 ", "max-smtp-out 4 ")).unwrap();
    let r = w.json(&["reload"]);
    assert!(r["config_file"].as_str().unwrap().ends_with("pmta.conf"));
    let max = |w: &World| {
        let s = w.json(&["show", "settings", "yahoo.com"]);
        find(&s["queue_settings"], "name", "max-smtp-out")["value"].clone()
    };
    assert_eq!(max(&w), "4");
    let lines = good.lines().count();
    std::fs::write(
        &conf,
        format!("{good}bogus-directive 1\n<domain yahoo.com>\n  max-smtp-out lots\n</domain>\n"),
    )
    .unwrap();
    let out = w.ctl(&["--json", "reload"], 1);
    let diags = json(&out)["error"]["diagnostics"].clone();
    let at: Vec<u64> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(at, [lines as u64 + 1, lines as u64 + 3], "{diags:#}");
    assert_eq!(max(&w), "4", "the running config is kept");
    w.inject_ok(&each(&["a@yahoo.com"])).await;
    w.wait_delivered(1).await;
}

/// `test config [FILE]`: the daemon checks its own file; a FILE is checked without applying
/// it; errors name file:line and exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_test_config() {
    let w = World::start(187).await;
    let ok = w.json(&["test", "config"]);
    assert!(ok["errors"].as_array().unwrap().is_empty(), "{ok:#}");
    let bad = w.path("bad.conf");
    let text = std::fs::read_to_string(w.path("pmta.conf")).unwrap();
    std::fs::write(&bad, text.replace("max-smtp-out 2 ", "max-smtp-outt 2 ")).unwrap();
    let out = w.ctl(&["--json", "test", "config", bad.to_str().unwrap()], 1);
    let v = json(&out);
    let errors = if v["errors"].is_array() {
        v["errors"].clone()
    } else {
        v["error"]["diagnostics"].clone()
    };
    let line = config_line(&w, "max-smtp-out 2 ");
    assert_eq!(errors[0]["line"], line, "{v:#}");
    assert!(errors[0]["file"].as_str().unwrap().ends_with("bad.conf"));
    let text = stderr(&w.ctl(&["test", "config", bad.to_str().unwrap()], 1));
    assert!(text.contains(&format!("bad.conf:{line}:")), "{text}");
    let s = w.json(&["show", "settings", "yahoo.com"]);
    assert_eq!(
        find(&s["queue_settings"], "name", "max-smtp-out")["value"],
        "2"
    );
}

/// `pause queue`: matching queues (wildcards, per virtual MTA) stop; other mail flows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_pause_queue() {
    let w = World::start(188).await;
    let p = w.json(&["pause", "queue", "*.com/domain-specific"]);
    assert_eq!(p["pattern"], "*.com/domain-specific");
    let vm = "X-Virtual-MTA: domain-specific";
    w.inject_ok(&[
        msg_with(vm, "s@src.test", &["held@example.com"], 1),
        msg("s@src.test", &["free@example.com"], 2),
    ])
    .await;
    w.wait_delivered(1).await;
    // Mail queued after the held one, delivered: the daemon had its chance.
    w.inject_ok(&each(&["later@gmail.com"])).await;
    w.wait_delivered(2).await;
    assert_eq!(w.delivered(), ["free@example.com", "later@gmail.com"]);
    let q = w.json(&["show", "queues", "example.com/domain-specific"]);
    assert_eq!(
        (
            q["queues"][0]["paused"].as_bool(),
            q["queues"][0]["rcpts"].as_u64()
        ),
        (Some(true), Some(1))
    );
}

/// `resume queue`: a paused queue delivers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_resume_queue() {
    let w = held_world(189).await;
    let r = w.json(&["resume", "queue", "example.com/{default}"]);
    assert_eq!(
        (r["matched"].as_u64(), r["changed"].as_u64()),
        (Some(1), Some(1))
    );
    w.wait_delivered(3).await;
    w.inject_ok(&each(&["e@gmail.com"])).await;
    w.wait_delivered(4).await;
    assert_eq!(
        w.delivered(),
        [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@gmail.com",
            "e@gmail.com"
        ]
    );
    w.json(&["resume", "queue", "example.com"]);
    w.wait_delivered(5).await;
}

/// `schedule`: a recipient waiting for its retry (`retry-after 1h`) is tried now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_schedule() {
    let w = World::builder(190)
        .sink(|b| b.on_attempt(Phase::Rcpt, 1, reply(451, "4.3.0 later")))
        .extra("<domain example.com>\n  retry-after 1h\n</domain>\n")
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com"])).await;
    let d = w
        .json_until(&["domain", "detail", "example.com"], |d| {
            held_kinds(&d["queues"][0]).contains(&"retry_wait".to_string())
        })
        .await;
    assert!(d["queues"][0]["next_retry"].is_string());
    let s = w.json(&["schedule", "example.com"]);
    assert_eq!(s["matched"], 1);
    w.wait_delivered(1).await;
    let out = w.ctl(&["--json", "schedule", "none.test"], 1);
    assert_eq!(json(&out)["error"]["kind"], "no_such_queue");
}

/// `set queue --mode=backoff|normal`: in backoff the `backoff-*` limits apply (here
/// `backoff-max-msg-rate 1/h`: one message, then nothing for an hour); back to normal, the
/// held mail goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_set_queue_mode() {
    let w = World::builder(191)
        .extra("<domain example.com>\n  backoff-max-msg-rate 1/h\n</domain>\n")
        .start()
        .await;
    w.inject_ok(&each(&["first@example.com"])).await;
    w.wait_delivered(1).await;
    let m = w.json(&["set", "queue", "--mode=backoff", "example.com"]);
    assert_eq!(
        (m["matched"].as_u64(), m["changed"].as_u64()),
        (Some(1), Some(1))
    );
    w.inject_ok(&each(&["second@example.com", "held@example.com"]))
        .await;
    w.inject_ok(&each(&["other@gmail.com"])).await;
    w.sink
        .wait_until(WAIT, |s| s.rcpt_seen.contains_key("other@gmail.com"))
        .await
        .unwrap();
    let q = w.json(&["show", "queues", "--mode=backoff"]);
    assert_eq!(q["queues"][0]["domain"], "example.com", "{q:#}");
    assert!(q["queues"][0]["rcpts"].as_u64() >= Some(1), "{q:#}");
    let d = w.json(&["domain", "detail", "example.com"]);
    assert!(
        held_kinds(&d["queues"][0]).contains(&"backoff".to_string()),
        "{d:#}"
    );
    w.json(&["set", "queue", "--mode=normal", "example.com"]);
    w.wait_delivered(4).await;
    assert_eq!(
        w.delivered(),
        [
            "first@example.com",
            "held@example.com",
            "other@gmail.com",
            "second@example.com"
        ]
    );
}

/// `delete --queue=… [--older-than=T]`: the recipients are gone (bounced as deleted by the
/// operator, never delivered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_delete() {
    let w = held_world(192).await;
    let none = w.json(&["delete", "--queue=example.com", "--older-than=1h"]);
    assert_eq!(none["deleted"], 0);
    let del = w.json(&["delete", "--queue=example.com/{default}"]);
    assert_eq!(del["deleted"], 3);
    let rows = w
        .wait_acct(|r| r.iter().filter(|r| r["type"] == "b").count() >= 3)
        .await;
    assert!(
        rows.iter()
            .filter(|r| r["type"] == "b")
            .all(|r| r["dsnDiag"].contains("deleted by operator")),
        "{rows:?}"
    );
    w.json(&["resume", "queue", "example.com"]);
    w.wait_delivered(2).await;
    w.inject_ok(&each(&["after@gmail.com"])).await;
    w.wait_delivered(3).await;
    assert_eq!(
        w.delivered(),
        ["after@gmail.com", "d@gmail.com", "v@example.com"],
        "deleted mail is never sent"
    );
}

/// `list --queue=… [--maxitems=N]`: the queued recipients with sender and attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_list() {
    let w = held_world(193).await;
    let l = w.json(&["list", "--queue=example.com"]);
    let mut rcpts: Vec<&str> = l["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rcpt"].as_str().unwrap())
        .collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "v@example.com"
        ]
    );
    let v = find(&l["items"], "rcpt", "v@example.com");
    assert_eq!(v["vmta"], "domain-specific");
    assert_eq!(v["sender"], "sender@src.test");
    assert_eq!(v["attempts"], 0);
    let one = w.json(&["list", "--queue=example.com", "--maxitems=1"]);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert!(!one["next_cursor"].is_null(), "{one:#}");
    let gm = w.json(&["list", "--queue=gmail.com"]);
    assert!(
        gm["items"].as_array().unwrap().is_empty(),
        "delivered: not queued"
    );
}

/// `tail logs [--follow] [--domain NAME] [--lines N]`: recent delivery events, then live
/// ones with `--follow`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verb_tail_logs() {
    let w = World::start(194).await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com", "c@yahoo.com"]))
        .await;
    w.wait_delivered(3).await;
    let text = w
        .wait_text("log/domains/gmail.com.log", |t| {
            t.contains("delivered b@gmail.com")
        })
        .await;
    assert!(!text.is_empty());
    let out = stdout(&w.ctl(
        &["tail", "logs", "--domain", "example.com", "--lines", "5"],
        0,
    ));
    assert!(out.contains("delivered a@example.com"), "{out}");
    assert!(!out.contains("b@gmail.com"), "{out}");
    let out = stdout(&w.ctl(&["--json", "tail", "logs", "--lines", "50"], 0));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["domain"] == "gmail.com"
                && l["text"].as_str().unwrap().contains("b@gmail.com")),
        "{out}"
    );

    let mut child = Command::new(pmta_tests::daemon::bin("pmtactl"))
        .arg("--socket")
        .arg(w.pmtad.socket())
        .args([
            "tail",
            "logs",
            "--follow",
            "--domain",
            "yahoo.com",
            "--lines=1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The backlog line proves pmtactl is connected; what comes next happens while it follows.
    let backlog = rx.recv_timeout(WAIT).expect("the backlog line");
    assert!(backlog.contains("delivered c@yahoo.com"), "{backlog}");
    w.inject_ok(&each(&["d@yahoo.com"])).await;
    // First the reception (a `received` line per accepted message), then the delivery.
    let first = rx.recv_timeout(WAIT);
    let second = rx.recv_timeout(WAIT);
    let _ = child.kill();
    let _ = child.wait();
    let first = first.expect("a line while following");
    assert!(
        first.contains("received ") && first.contains("for d@yahoo.com"),
        "{first}"
    );
    let second = second.expect("a second line while following");
    assert!(second.contains("delivered d@yahoo.com"), "{second}");
}

/// Exit codes: 0 success, 1 the command failed, 2 usage error, 3 daemon not reachable (with
/// a message naming the socket).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pmtactl_exit_codes() {
    let mut w = World::start(195).await;
    w.ctl(&["show", "status"], 0);
    w.ctl(&["pause", "queue", "a/b/c"], 2);
    w.ctl(&["show", "bogus"], 2);
    w.ctl(&["delete"], 2);
    let out = w.ctl(&["--json", "schedule", "nosuch.test"], 1);
    assert_eq!(json(&out)["error"]["kind"], "no_such_queue");
    assert_eq!(w.pmtad.stop(), Some(0));
    let out = w.ctl(&["show", "status"], 3);
    assert!(stderr(&out).contains("control.sock"), "{}", stderr(&out));
}
