//! Crash and full-disk tests of the spool with a real child process.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use pmtad::spool::{Spool, SpoolOptions};

const BIN: &str = env!("CARGO_BIN_EXE_spool-stress");

/// Parses `ok <id>` / `done <id>` lines (only complete ones).
fn parse(lines: &[String], tag: &str) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(tag)?.strip_prefix(' ')?.parse().ok())
        .collect()
}

#[test]
fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .arg("store")
        .arg(dir.path())
        .args(["--writers", "50", "--segment-size", "262144"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut acked = 0;
    while acked < 3000 {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
        acked += usize::from(line.starts_with("ok "));
        lines.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for line in out.lines() {
        lines.push(line.unwrap() + "\n");
    }
    let complete: Vec<String> = lines
        .into_iter()
        .filter_map(|l| l.strip_suffix('\n').map(str::to_owned))
        .collect();
    let ok = parse(&complete, "ok");
    let done: HashSet<u64> = parse(&complete, "done").into_iter().collect();
    let delivering: HashSet<u64> = parse(&complete, "deliver").into_iter().collect();

    let (_spool, recovered) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids: Vec<u64> = recovered.iter().map(|m| m.id.0).collect();
    let set: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "no message recovered twice");
    for id in &ok {
        // A message being marked delivered at the kill may or may not have been marked.
        if !delivering.contains(id) {
            assert!(set.contains(id), "acknowledged message {id} lost");
        }
    }
    for id in &done {
        assert!(!set.contains(id), "delivered message {id} came back");
    }
    // Unacknowledged but durable messages can exist (the kill hit between fsync and print),
    // at most one per writer.
    let live_acked = ok.iter().filter(|id| !done.contains(id)).count();
    assert!(
        ids.len() <= live_acked + 50,
        "{} > {live_acked} + 50",
        ids.len()
    );
}

#[test]
fn full_disk_fails_the_store_and_the_spool_recovers_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    // A real write limit: RLIMIT_FSIZE makes writes past ~256 KiB fail with EFBIG, as a full
    // file system fails them with ENOSPC (SIGXFSZ ignored so the write returns the error).
    let script = r#"trap "" XFSZ; ulimit -S -f 512; exec "$0" fill "$1""#;
    let mut child = Command::new("sh")
        .args(["-c", script, BIN])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "child exited: {lines:?}"
        );
        let stop = !line.starts_with("ok ");
        lines.push(line.trim_end().to_owned());
        if stop {
            break;
        }
    }
    let last = lines.last().unwrap();
    assert!(last.starts_with("full "), "{last}");
    assert!(lines.len() > 10, "some stores succeeded before the limit");
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", child.id()))
        .arg("--fsize=unlimited:")
        .status()
        .unwrap();
    assert!(status.success());
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    for line in out.lines() {
        lines.push(line.unwrap());
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(lines.last().unwrap(), "done");
    let ok = parse(&lines, "ok");
    let (_spool, recovered) = Spool::open(dir.path(), SpoolOptions::default()).unwrap();
    let ids: Vec<u64> = recovered.iter().map(|m| m.id.0).collect();
    assert_eq!(
        ids, ok,
        "exactly the acknowledged messages, the failed one absent"
    );
}

#[tokio::test]
async fn pmtad_spool_list_prints_the_spool_offline() {
    use pmtad::envelope::{DEFAULT_VMTA, Envelope, RcptState, Recipient};
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    let (spool, _) = Spool::open(&spool_dir, SpoolOptions::default()).unwrap();
    let env = Envelope {
        mail_from: "a@feeder.example".into(),
        recipients: ["x@gmail.com", "y@yahoo.com"]
            .iter()
            .map(|a| Recipient {
                address: (*a).into(),
                orcpt: None,
                state: RcptState::Pending,
                notify: Default::default(),
            })
            .collect(),
        vmta: DEFAULT_VMTA.into(),
        received_at: 1_764_000_000,
        source_ip: None,
        size: 0,
        env_id: None,
        job_id: None,
        helo: None,
        acct_headers: Vec::new(),
        auth_user: None,
    };
    let id = spool.store(&env, b"hello".to_vec().into()).await.unwrap();
    spool
        .set_states(id, &[(1, RcptState::Delivered)])
        .await
        .unwrap();
    spool.close().await;
    let conf = dir.path().join("pmta.conf");
    std::fs::write(&conf, format!("spool {}\n", spool_dir.display())).unwrap();
    let run = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pmtad"));
        cmd.arg("--config").arg(&conf).args(["spool", "list"]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(false);
    assert!(text.contains(&format!(
        "{id} received=2025-11-24T16:00:00Z from=<a@feeder.example>"
    )));
    assert!(
        text.contains("  pending   x@gmail.com\n  delivered y@yahoo.com\n"),
        "{text}"
    );
    assert!(text.ends_with("1 message(s)\n"));
    let json: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(json[0]["id"], id.to_string());
    assert_eq!(json[0]["size"], 5);
    assert_eq!(json[0]["recipients"][0]["state"], "pending");
}
