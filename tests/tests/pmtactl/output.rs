//! Every verb's plain, table and JSON output, and the action verbs' effects.

use serde_json::Value;

use super::{Server, expect_code, json, stderr, stdout};

/// The object's keys, sorted: pins the `--json` schema.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn assert_plain(text: &str) {
    assert!(
        !text.contains('\u{1b}'),
        "no escape sequences when piped:\n{text}"
    );
    assert!(
        !text.contains('│') && !text.contains('─'),
        "no box characters when piped:\n{text}"
    );
}

#[test]
fn read_verbs_print_plain_columns_when_piped() {
    let server = Server::start();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["show", "status"],
            &["TRAFFIC", "last hour", "CONNECTIONS", "spool", "running"],
        ),
        (
            &["show", "domains"],
            &["DOMAIN", "RCPTS", "gmail.com", "3 of 3 domains shown."],
        ),
        (
            &["show", "topdomains", "--maxitems=1"],
            &["yahoo.com", "1 of 3 domains shown."],
        ),
        (
            &["show", "dom", "gmail.com"],
            &["gmail.com", "1 of 1 domains shown."],
        ),
        (
            &["show", "queues", "gmail.com"],
            &["gmail.com/vmta1", "2 of 2 matching queues."],
        ),
        (
            &["show", "topqueues"],
            &["yahoo.com/{default}", "421 4.7.0 try later"],
        ),
        (
            &["show", "vmtas"],
            &["VMTA", "% TOTAL", "vmta1", "2 of 2 virtual MTAs."],
        ),
        (
            &["show", "settings", "gmail.com/vmta1"],
            &["gmail.com/vmta1", "max-smtp-out", "pmta.conf:12"],
        ),
        (
            &["list", "--queue=gmail.com", "--maxitems=3"],
            &["user2@gmail.com", "3 recipient(s) listed (more"],
        ),
        (
            &["tail", "logs", "--lines=2"],
            &["delivered rcpt4@gmail.com"],
        ),
        (
            &["version"],
            &["pmtactl 0.1.0 (control protocol ", "pmtad 0.1.0", "mx.test"],
        ),
        (
            &["test", "config"],
            &["/etc/pmtad/pmta.conf: configuration OK."],
        ),
    ];
    for (args, wanted) in cases {
        let out = server.run(args);
        expect_code(&out, 0);
        let text = stdout(&out);
        assert_plain(&text);
        for w in *wanted {
            assert!(
                text.contains(w),
                "`pmtactl {}` lacks {w:?}:\n{text}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn plain_columns_start_at_the_left_edge_with_a_header_line() {
    let server = Server::start();
    let text = stdout(&server.run(&["show", "domains"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("DOMAIN"), "{text}");
    let fields: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&fields[..5], ["example.com", "7", "21", "2", "1"], "{text}");
}

#[test]
fn domain_detail_explains_what_holds_delivery_back() {
    let server = Server::start();
    let out = server.run(&["domain", "detail", "gmail.com"]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert_plain(&text);
    for w in [
        "Domain gmail.com: 150 rcpts",
        "Queue gmail.com/vmta1",
        "connection_limit",
        "2 of 2 connections open (max-smtp-out 2)",
        "2 open (max-smtp-out 2, max-smtp-out-per-ip 1)",
        "127.0.0.3",
        "Destinations (mx):",
        "mx2.gmail.com",
        "421 4.7.0 try later",
        "250 2.0.0 ok",
    ] {
        assert!(text.contains(w), "domain detail lacks {w:?}:\n{text}");
    }
    assert_eq!(
        text.lines().next(),
        Some("SENDING"),
        "the verdict comes first"
    );
    assert!(
        !text.contains("Settings:"),
        "settings only with --settings:\n{text}"
    );
    let out = server.run(&["domain", "detail", "gmail.com", "--settings"]);
    let text = stdout(&out);
    assert!(text.contains("/etc/pmtad/pmta.conf:13"), "{text}");
}

#[test]
fn table_format_draws_boxes_and_piped_tables_carry_no_colour() {
    let server = Server::start();
    let out = server.run(&["--format", "table", "show", "domains"]);
    expect_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains('┌') && text.contains("gmail.com"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "not a terminal, so no colour:\n{text}"
    );
}

#[test]
fn json_output_pins_the_schema_of_every_read_verb() {
    let server = Server::start();
    let status = json(&server.run(&["show", "status", "--json"]));
    assert_eq!(
        keys(&status["returnpath"]),
        [
            "bounces_matched",
            "bounces_unmatched",
            "feedback_matched",
            "feedback_unmatched",
            "rejected"
        ]
    );
    let bounces = json(&server.run(&["show", "bounces", "--json"]));
    assert_eq!(keys(&bounces), ["by_domain", "reports"]);
    let text = stdout(&server.run(&["show", "status"]));
    assert!(text.contains("bounces 4 matched, 1 unmatched"), "{text}");
    assert_eq!(
        keys(&status),
        [
            "connections",
            "daemon_version",
            "host_name",
            "inbound_refused",
            "queues",
            "returnpath",
            "source_groups",
            "spool",
            "started_at",
            "state",
            "time_now",
            "traffic",
            "uptime_secs"
        ]
    );
    assert_eq!(
        keys(&status["source_groups"][0]),
        ["active", "maximum", "name", "refused", "reserved", "top"]
    );
    assert_eq!(status["state"], "running");
    assert_eq!(
        keys(&status["traffic"]["last_minute"]["inbound"]),
        ["kbytes", "msgs", "rcpts"]
    );
    assert_eq!(
        keys(&status["connections"]["outbound"]),
        ["active", "maximum", "top"]
    );
    assert_eq!(status["connections"]["outbound"]["maximum"], Value::Null);

    let domains = json(&server.run(&["--json", "show", "topdomains"]));
    assert_eq!(keys(&domains), ["domains", "total_matching"]);
    assert_eq!(
        keys(&domains["domains"][0]),
        [
            "backoff_queues",
            "connections",
            "domain",
            "kbytes",
            "last_error",
            "oldest_age_secs",
            "paused_queues",
            "queues",
            "rcpts"
        ]
    );
    assert_eq!(domains["domains"][0]["domain"], "yahoo.com");
    assert_eq!(
        keys(&domains["domains"][0]["last_error"]),
        [
            "at",
            "category",
            "diag",
            "failure",
            "kind",
            "rcpt",
            "remote_host",
            "remote_ip",
            "vmta"
        ]
    );
    assert_eq!(domains["domains"][0]["last_error"]["kind"], "deferred");
    assert_eq!(domains["domains"][0]["last_error"]["failure"], "rcpt");

    let queues = json(&server.run(&["--json", "show", "queues"]));
    assert_eq!(
        keys(&queues["queues"][0]),
        [
            "connections",
            "domain",
            "kbytes",
            "last_error",
            "mode",
            "next_retry",
            "oldest_age_secs",
            "paused",
            "rcpts",
            "vmta"
        ]
    );
    assert_eq!(queues["queues"][0]["mode"], "normal");

    let vmtas = json(&server.run(&["--json", "show", "vmtas"]));
    assert_eq!(
        keys(&vmtas["vmtas"][0]),
        [
            "connections",
            "domains",
            "host_name",
            "kbytes",
            "name",
            "rcpts",
            "source_ip",
            "warmup"
        ]
    );

    let settings = json(&server.run(&["--json", "show", "settings", "gmail.com"]));
    assert_eq!(
        keys(&settings),
        ["domain", "queue_settings", "vmta", "vmta_settings"]
    );
    assert_eq!(settings["vmta"], "{default}");
    assert_eq!(
        keys(&settings["queue_settings"][0]),
        ["name", "origin", "value"]
    );
}

#[test]
fn json_output_of_domain_detail_carries_every_part() {
    let server = Server::start();
    let d = json(&server.run(&["--json", "domain", "detail", "gmail.com"]));
    assert_eq!(
        keys(&d),
        [
            "domain", "kbytes", "members", "queues", "rcpts", "rollup", "verdict"
        ]
    );
    assert_eq!(
        keys(&d["verdict"]),
        ["line", "next_attempt", "reason", "state"]
    );
    let q = &d["queues"][0];
    assert_eq!(
        keys(q),
        [
            "connections",
            "destinations",
            "domain",
            "held_back",
            "kbytes",
            "mode",
            "next_retry",
            "oldest_age_secs",
            "paused",
            "rcpts",
            "recent_deliveries",
            "recent_errors",
            "settings",
            "verdict",
            "vmta"
        ]
    );
    assert_eq!(
        keys(&q["connections"]),
        ["active", "max_smtp_out", "max_smtp_out_per_ip", "per_ip"]
    );
    assert_eq!(
        keys(&q["connections"]["per_ip"][0]),
        ["active", "host", "ip"]
    );
    assert_eq!(keys(&q["held_back"][0]), ["detail", "kind", "until"]);
    assert_eq!(q["held_back"][0]["kind"], "connection_limit");
    assert_eq!(
        keys(&q["destinations"]),
        ["error", "hosts", "resolved_at", "source"]
    );
    assert_eq!(q["destinations"]["source"], "mx");
    assert_eq!(
        keys(&q["destinations"]["hosts"][0]),
        ["addresses", "host", "port", "preference"]
    );
    assert_eq!(q["settings"][1]["origin"], "/etc/pmtad/pmta.conf:13");
    assert_eq!(q["recent_deliveries"][0]["kind"], "delivered");
}

#[test]
fn json_output_of_list_version_and_tail() {
    let server = Server::start();
    let list = json(&server.run(&["--json", "list", "--queue=*/*", "--maxitems=1500"]));
    assert_eq!(keys(&list), ["items", "next_cursor"]);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1500,
        "paged past one page of 1000"
    );
    assert_eq!(
        keys(&list["items"][0]),
        [
            "age_secs",
            "attempts",
            "domain",
            "kbytes",
            "last_error",
            "message_id",
            "next_retry",
            "queued_at",
            "rcpt",
            "sender",
            "vmta"
        ]
    );
    let version = json(&server.run(&["--json", "version"]));
    assert_eq!(
        keys(&version),
        ["client_protocol", "client_version", "daemon"]
    );
    assert_eq!(
        keys(&version["daemon"]),
        [
            "daemon_version",
            "host_name",
            "product",
            "protocol",
            "started_at"
        ]
    );
    let out = server.run(&["--json", "tail", "logs", "--lines=3"]);
    expect_code(&out, 0);
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(keys(&lines[0]), ["at", "domain", "seq", "text"]);
    assert_eq!(lines[2]["seq"], 4);
}

#[test]
fn queue_verbs_change_state_and_report_counts() {
    let server = Server::start();
    let out = server.run(&["pause", "queue", "gmail.com"]);
    expect_code(&out, 0);
    assert_eq!(
        stdout(&out).trim(),
        "2 of 2 queues matching gmail.com/* paused. \
         The order also applies to queues created later, across restarts."
    );
    let rules = json(&server.run(&["--json", "show", "paused"]));
    assert_eq!(rules["rules"][0]["pattern"], "gmail.com/{default}");
    let out = server.run(&["show", "paused"]);
    assert!(stdout(&out).contains("gmail.com/vmta1"), "{}", stdout(&out));
    let paused = json(&server.run(&["--json", "show", "queues", "--paused=yes"]));
    assert_eq!(paused["total_matching"], 2);
    let out = server.run(&["--json", "resume", "queue", "*/vmta1"]);
    expect_code(&out, 0);
    assert_eq!(
        json(&out),
        serde_json::json!({"pattern": "*/vmta1", "matched": 2, "changed": 1, "warning": null})
    );
    let out = server.run(&["set", "queue", "--mode=backoff", "yahoo.com/*"]);
    assert_eq!(
        stdout(&out).trim(),
        "1 of 1 queues matching yahoo.com/* set to backoff. \
         The order also applies to queues created later, across restarts."
    );
    let backoff = json(&server.run(&["--json", "show", "queues", "--mode=backoff"]));
    assert_eq!(backoff["queues"][0]["domain"], "yahoo.com");
    let out = server.run(&["schedule", "*/*"]);
    assert_eq!(stdout(&out).trim(), "3 of 4 queues matching */* scheduled.");
}

#[test]
fn delete_pages_until_done_and_reports_the_total() {
    let server = Server::start();
    let out = server.run(&["--json", "delete", "--queue=gmail.com/*", "--older-than=1h"]);
    expect_code(&out, 0);
    assert_eq!(
        json(&out),
        serde_json::json!({"deleted": 2500, "next_cursor": null})
    );
    let out = server.run(&["delete", "--queue=gmail.com"]);
    assert_eq!(
        stdout(&out).trim(),
        "0 recipient(s) deleted from gmail.com/*."
    );
}

#[test]
fn refusals_exit_1_with_the_reason_and_a_json_error_object() {
    let server = Server::start();
    let out = server.run(&["resume", "queue", "nosuch.test"]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("no queue matches nosuch.test/*"),
        "{}",
        stderr(&out)
    );
    let out = server.run(&["--json", "domain", "detail", "nosuch.test"]);
    expect_code(&out, 1);
    let err = json(&out);
    assert_eq!(err["error"]["kind"], "no_such_domain");
    assert_eq!(err["error"]["message"], "no such domain: nosuch.test");
}

#[test]
fn a_rejected_reload_prints_every_error_and_exits_1() {
    let diag = |line, message: &str| proto::Diagnostic {
        file: "/etc/pmtad/pmta.conf".into(),
        line,
        column: 1,
        message: message.into(),
    };
    let mut fixture = super::Fixture::new();
    fixture.reload_errors = vec![
        diag(3, "unknown directive max-smtp-outt"),
        diag(9, "missing </domain>"),
    ];
    let server = Server::with(fixture);
    let out = server.run(&["reload"]);
    expect_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("/etc/pmtad/pmta.conf:3:1: unknown directive max-smtp-outt"),
        "{err}"
    );
    assert!(
        err.contains("/etc/pmtad/pmta.conf:9:1: missing </domain>"),
        "{err}"
    );
    assert!(err.contains("running configuration is unchanged"), "{err}");
    let out = server.run(&["--json", "test", "config"]);
    expect_code(&out, 1);
    assert_eq!(json(&out)["errors"].as_array().unwrap().len(), 2);
}

#[test]
fn usage_errors_exit_2() {
    let server = Server::start();
    for args in [
        &["show", "nonsense"][..],
        &["pause", "queue", "a/b/c"],
        &["delete"],
        &["delete", "--queue=x", "--older-than=5q"],
    ] {
        let out = server.run(args);
        expect_code(&out, 2);
    }
}

/// The misleading hints (`status` → `pause`, `resolve` → `resume`, `reset counters`
/// → `delete`) are gone: guesses are real verbs close to the word, PowerMTA's own verbs are
/// named as missing, and a far-off word gets no guess.
#[test]
fn unknown_verbs_get_an_honest_answer() {
    let server = Server::start();
    let cases: &[(&[&str], &str)] = &[
        (
            &["status"],
            "unknown command `status`; did you mean `show status`?",
        ),
        (&["relaod"], "did you mean `reload`?"),
        (&["show", "topdomian"], "did you mean `show topdomains`?"),
        (
            &["trace", "gmail.com"],
            "PowerMTA's `trace` is not available in pmtactl; use",
        ),
        (
            &["resolve", "gmail.com"],
            "PowerMTA's `resolve` is not available in pmtactl",
        ),
        (
            &["reset", "counters"],
            "PowerMTA's `reset` is not available in pmtactl",
        ),
        (
            &["show", "license"],
            "PowerMTA's `show license` is not available",
        ),
    ];
    for (args, want) in cases {
        let out = server.run(args);
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(want), "`pmtactl {}`: {err}", args.join(" "));
        for wrong in ["'pause'", "'resume'", "'delete'"] {
            assert!(!err.contains(wrong), "`pmtactl {}`: {err}", args.join(" "));
        }
    }
    let out = server.run(&["frobnicate"]);
    expect_code(&out, 2);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
    // PowerMTA's spelling of the error listing works.
    let out = server.run(&["show", "dom", "gmail.com", "--errors"]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("421 4.7.0 try later"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_daemon_of_another_protocol_is_refused_with_a_clear_message() {
    let mut fixture = super::Fixture::new();
    fixture.protocol = 99;
    let server = Server::with(fixture);
    let out = server.run(&["show", "status"]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("speaks control protocol 99"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn test_config_with_a_file_checks_it_locally_and_lists_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.conf");
    std::fs::write(&good, "<domain gmail.com>\n  max-smtp-out 2\n</domain>\n").unwrap();
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "max-smtp-outt 3\n<domain a.com>\n  max-smtp-out x\n").unwrap();
    let nowhere = dir.path().join("none.sock");
    let run = |args: &[&str]| {
        std::process::Command::new(pmta_tests::daemon::bin("pmtactl"))
            .arg("--socket")
            .arg(&nowhere)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["test", "config", good.to_str().unwrap()]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("configuration OK"),
        "no daemon needed: {}",
        stdout(&out)
    );
    let out = run(&["test", "config", bad.to_str().unwrap()]);
    expect_code(&out, 1);
    let err = stderr(&out);
    let file = bad.display().to_string();
    assert!(
        err.contains(&format!("{file}:1:1: unknown directive")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:3:")),
        "every error, with its column: {err}"
    );
    let out = run(&["--json", "test", "config", bad.to_str().unwrap()]);
    expect_code(&out, 1);
    let check = json(&out);
    assert_eq!(keys(&check), ["config_file", "errors", "warnings"]);
    assert_eq!(
        keys(&check["errors"][0]),
        ["column", "file", "line", "message"]
    );
}

#[test]
fn the_socket_comes_from_the_config_file_when_not_given() {
    let server = Server::start();
    let config = server.dir.path().join("pmta.conf");
    std::fs::write(
        &config,
        format!("control-socket {}\n", server.path.display()),
    )
    .unwrap();
    let out = std::process::Command::new(pmta_tests::daemon::bin("pmtactl"))
        .arg("--config")
        .arg(&config)
        .args(["show", "status"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert!(stdout(&out).contains("mx.test"), "{}", stdout(&out));
}
