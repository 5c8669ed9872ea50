//! Component tests: records written through the real writer, read back with a CSV reader.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::envelope::{Envelope, RcptState, Recipient};
use crate::outcome::{FailureKind, Outcome, Producer, Reply};

const T0: u64 = 1_764_072_000; // 2025-11-25 12:00:00 UTC

fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope {
        mail_from: "bounces@sender.example".into(),
        recipients: rcpts.iter().map(|r| rcpt(r)).collect(),
        vmta: "mta1".into(),
        received_at: T0 - 60,
        source_ip: Some("127.0.0.9".parse().unwrap()),
        size: 2048,
        env_id: Some("env-1".into()),
        job_id: Some("job-7".into()),
        helo: Some("feeder.example".into()),
        acct_headers: vec![("Message-Id".into(), "<m1@sender.example>".into())],
        auth_user: None,
    }
}

fn rcpt(addr: &str) -> Recipient {
    Recipient {
        address: addr.into(),
        orcpt: Some(format!("rfc822;{addr}")),
        state: RcptState::Pending,
        notify: Default::default(),
    }
}

fn reply(code: u16, enhanced: &str, text: &str) -> Reply {
    Reply {
        code,
        enhanced: Some(enhanced.into()),
        text: text.into(),
    }
}

fn remote() -> Producer {
    Producer::Remote {
        host: "mx.gmail.com".into(),
        ip: "127.0.0.2".parse().unwrap(),
    }
}

fn attempt(domain: &str) -> Attempt {
    let mut a = Attempt::smtp(domain, "mta1");
    a.pool = Some("pool1".into());
    a.source_ip = Some("127.0.0.5".parse::<IpAddr>().unwrap());
    a.esmtp = Some("PIPELINING,8BITMIME,SIZE".into());
    a
}

fn three_outcomes() -> [Outcome; 3] {
    [
        Outcome::Delivered {
            reply: reply(250, "2.0.0", "ok"),
            by: remote(),
        },
        Outcome::Transient {
            reply: reply(451, "4.7.1", "greylisted, try again"),
            by: remote(),
            kind: FailureKind::Rcpt,
        },
        Outcome::Permanent {
            reply: reply(550, "5.1.1", "user unknown"),
            by: remote(),
            kind: FailureKind::Rcpt,
        },
    ]
}

/// The records of d, t and b outcomes for three gmail.com recipients.
fn sample_records() -> Vec<AcctRecord> {
    let env = envelope(&["a@gmail.com", "b@gmail.com", "c@gmail.com"]);
    let a = attempt("gmail.com");
    three_outcomes()
        .iter()
        .zip(&env.recipients)
        .map(|(o, r)| AcctRecord::from_outcome(&env, r, o, &a, T0))
        .collect()
}

fn only_file(dir: &Path) -> PathBuf {
    let mut files = csv_files(dir);
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    v.sort();
    v
}

/// Header and rows, read with the csv crate's reader.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn col<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name}"));
    &row[i]
}

fn write_set(cfg: &AcctConfig, recs: &[AcctRecord]) {
    let mut set = AcctSet::open(cfg, T0).unwrap();
    set.write(recs, T0).unwrap();
    set.sync().unwrap();
}

#[test]
fn default_header_and_delivered_deferred_bounced_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.records = AcctFileOptions::parse_records("d,b,t").unwrap();
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &sample_records(),
    );
    let path = only_file(dir.path());
    assert!(path.ends_with("acct-2025-11-25-0000.csv"), "{path:?}");
    let (h, rows) = read_csv(&path);
    let expected = "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,\
        bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,\
        vmta,jobId,envId,queue,vmtaPool";
    assert_eq!(h.join(","), expected);
    assert_eq!(rows.len(), 3);
    let d = &rows[0];
    let want_d = [
        "d",
        "2025-11-25 12:00:00+0000",
        "2025-11-25 11:59:00+0000",
        "bounces@sender.example",
        "a@gmail.com",
        "rfc822;a@gmail.com",
        "relayed",
        "2.0.0 (success)",
        "smtp;250 2.0.0 ok",
        "mx.gmail.com (127.0.0.2)",
        "",
        "smtp",
        "feeder.example (127.0.0.9)",
        "smtp",
        "127.0.0.5",
        "127.0.0.2",
        "PIPELINING,8BITMIME,SIZE",
        "2048",
        "mta1",
        "job-7",
        "env-1",
        "gmail.com/mta1",
        "pool1",
    ];
    assert_eq!(d, &want_d);
    let t = &rows[1];
    assert_eq!(col(&h, t, "type"), "t");
    assert_eq!(col(&h, t, "rcpt"), "b@gmail.com");
    assert_eq!(col(&h, t, "dsnAction"), "delayed");
    assert_eq!(col(&h, t, "dsnStatus"), "4.7.1 (delivery not authorized)");
    assert_eq!(
        col(&h, t, "dsnDiag"),
        "smtp;451 4.7.1 greylisted, try again"
    );
    assert_eq!(col(&h, t, "bounceCat"), "policy-related");
    let b = &rows[2];
    assert_eq!(col(&h, b, "type"), "b");
    assert_eq!(col(&h, b, "dsnAction"), "failed");
    assert_eq!(
        col(&h, b, "dsnStatus"),
        "5.1.1 (bad destination mailbox address)"
    );
    assert_eq!(col(&h, b, "dsnDiag"), "smtp;550 5.1.1 user unknown");
    assert_eq!(col(&h, b, "bounceCat"), "bad-mailbox");
    assert_eq!(col(&h, b, "queue"), "gmail.com/mta1");
}

#[test]
fn default_records_are_d_and_b_only() {
    let dir = tempfile::tempdir().unwrap();
    let opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &sample_records(),
    );
    let (_, rows) = read_csv(&only_file(dir.path()));
    let types: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(types, ["d", "b"]);
}

#[test]
fn records_and_record_fields_filter_and_add_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.records = AcctFileOptions::parse_records("b").unwrap();
    opts.record_fields = vec![(
        RecordType::Bounce,
        "*,!orcpt,!dlvEsmtpAvailable,header_Message-Id,userString".into(),
    )];
    opts.user_string = Some("tenant-42".into());
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &sample_records(),
    );
    let (h, rows) = read_csv(&only_file(dir.path()));
    assert_eq!(h.len(), 23);
    assert!(!h.iter().any(|c| c == "orcpt" || c == "dlvEsmtpAvailable"));
    assert_eq!(&h[21..], ["header_Message-Id", "userString"]);
    assert_eq!(rows.len(), 1, "only the bounce");
    assert_eq!(
        col(&h, &rows[0], "header_Message-Id"),
        "<m1@sender.example>"
    );
    assert_eq!(col(&h, &rows[0], "userString"), "tenant-42");
}

#[test]
fn mixed_types_share_the_union_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.records = AcctFileOptions::parse_records("t,tq,r").unwrap();
    let env = envelope(&["x@yahoo.com"]);
    let a = attempt("yahoo.com");
    let fail = Outcome::Transient {
        reply: reply(421, "4.4.1", "connection timed out"),
        by: remote(),
        kind: FailureKind::Connect,
    };
    let recs = vec![
        AcctRecord::receipt(
            &env,
            &env.recipients[0],
            &a,
            Some("127.0.0.1".parse().unwrap()),
        ),
        AcctRecord::queue_transient(&fail, &a, T0).unwrap(),
    ];
    assert!(AcctRecord::queue_transient(&three_outcomes()[0], &a, T0).is_none());
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &recs,
    );
    let (h, rows) = read_csv(&only_file(dir.path()));
    assert_eq!(
        h.len(),
        25,
        "d-style columns plus rcvSourceIp, rcvDestinationIp"
    );
    let (r, tq) = (&rows[0], &rows[1]);
    assert_eq!(col(&h, r, "type"), "r");
    assert_eq!(col(&h, r, "rcvSourceIp"), "127.0.0.9");
    assert_eq!(col(&h, r, "rcvDestinationIp"), "127.0.0.1");
    assert_eq!(col(&h, r, "dsnStatus"), "");
    assert_eq!(col(&h, r, "timeQueued"), "", "not an r field");
    assert_eq!(col(&h, tq, "type"), "tq");
    assert_eq!(col(&h, tq, "dsnStatus"), "4.4.1 (no answer from host)");
    assert_eq!(col(&h, tq, "queue"), "yahoo.com/mta1");
    assert_eq!(col(&h, tq, "rcpt"), "");
    assert_eq!(col(&h, tq, "dlvSourceIp"), "127.0.0.5");
}

#[test]
fn quoting_follows_rfc4180_and_values_stay_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    let env = envelope(&["q@gmail.com"]);
    let o = Outcome::Permanent {
        reply: reply(550, "5.7.1", "rejected: \"bad\", see\r\nhttp://x"),
        by: remote(),
        kind: FailureKind::Rcpt,
    };
    let rec = AcctRecord::from_outcome(&env, &env.recipients[0], &o, &attempt("gmail.com"), T0);
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &[rec],
    );
    let path = only_file(dir.path());
    let raw = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        raw.matches("\r\n").count(),
        2,
        "header + one record, CRLF ends"
    );
    assert!(raw.contains("\"smtp;550 5.7.1 rejected: \"\"bad\"\", see  http://x\""));
    let (h, rows) = read_csv(&path);
    assert_eq!(
        col(&h, &rows[0], "dsnDiag"),
        "smtp;550 5.7.1 rejected: \"bad\", see  http://x"
    );
}

#[test]
fn rotation_by_size_starts_numbered_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.max_size = 1000;
    let mut set = AcctSet::open(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    for _ in 0..6 {
        set.write(&sample_records(), T0).unwrap();
        set.rotate_due(T0).unwrap();
    }
    set.sync().unwrap();
    let files = csv_files(dir.path());
    assert!(files.len() >= 3, "{files:?}");
    let mut total = 0;
    for (i, f) in files.iter().enumerate() {
        assert!(f.ends_with(format!("acct-2025-11-25-{i:04}.csv")), "{f:?}");
        let (h, rows) = read_csv(f);
        assert_eq!(h[0], "type", "every file starts with the header");
        total += rows.len();
    }
    assert_eq!(total, 12, "6 batches x (d + b), none lost");
}

#[test]
fn midnight_and_move_to_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    std::fs::create_dir(&done).unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.move_to = Some(done.clone());
    opts.move_interval = std::time::Duration::from_secs(300);
    let mut set = AcctSet::open(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    set.write(&sample_records(), T0).unwrap();
    assert_eq!(set.next_deadline(), Some(T0 + 300));
    set.rotate_due(T0 + 299).unwrap();
    assert!(csv_files(&done).is_empty());
    set.rotate_due(T0 + 300).unwrap();
    assert_eq!(csv_files(&done).len(), 1, "moved after move-interval");
    let next_day = T0 + 86_400;
    set.write(&sample_records(), T0 + 300).unwrap();
    set.rotate_due(next_day).unwrap();
    set.sync().unwrap();
    let live = only_file(dir.path());
    assert!(live.ends_with("acct-2025-11-26-0000.csv"), "{live:?}");
    assert_eq!(csv_files(&done).len(), 2);
}

#[test]
fn per_domain_file_holds_exactly_that_domains_records() {
    let dir = tempfile::tempdir().unwrap();
    let example_log: Arc<Path> = dir.path().join("acct-example.csv").into();
    let cfg = AcctConfig {
        domain_files: vec![AcctFileOptions::per_domain(example_log.as_ref())],
        ..Default::default()
    };
    let env = envelope(&["a@example.com", "b@gmail.com", "c@example.com"]);
    let mut ex = attempt("example.com");
    ex.domain_file = Some(example_log.clone());
    let gm = attempt("gmail.com");
    let [ok, later, _] = three_outcomes();
    let recs = vec![
        AcctRecord::from_outcome(&env, &env.recipients[0], &ok, &ex, T0),
        AcctRecord::from_outcome(&env, &env.recipients[1], &ok, &gm, T0),
        AcctRecord::from_outcome(&env, &env.recipients[2], &later, &ex, T0),
    ];
    write_set(&cfg, &recs);
    let (h, rows) = read_csv(&only_file(dir.path()));
    assert_eq!(h.len(), 23);
    let rcpts: Vec<&str> = rows.iter().map(|r| col(&h, r, "rcpt")).collect();
    assert_eq!(rcpts, ["a@example.com", "c@example.com"]);
}

#[test]
fn torn_last_line_is_cut_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AcctConfig {
        files: vec![AcctFileOptions::new(dir.path().join("acct.csv"))],
        ..Default::default()
    };
    write_set(&cfg, &sample_records());
    let path = only_file(dir.path());
    // Simulated crash: half a record at the end of the file.
    let mut raw = std::fs::read(&path).unwrap();
    raw.extend_from_slice(b"d,2025-11-25 12:00:00+0000,2025-11-25 11:59:00+0000,\"bounc");
    std::fs::write(&path, &raw).unwrap();
    assert!(
        csv::Reader::from_path(&path)
            .unwrap()
            .records()
            .any(|r| r.is_err())
    );
    write_set(&cfg, &sample_records());
    assert_eq!(only_file(dir.path()), path, "same file continued");
    let (h, rows) = read_csv(&path);
    assert_eq!(h.len(), 23);
    assert_eq!(
        rows.len(),
        4,
        "2 before the crash + 2 after; the torn line is gone"
    );
}

#[test]
fn changed_columns_start_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    write_set(
        &AcctConfig {
            files: vec![opts.clone()],
            ..Default::default()
        },
        &sample_records(),
    );
    opts.record_fields = vec![(RecordType::Delivery, "*,!orcpt".into())];
    write_set(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        &sample_records(),
    );
    let files = csv_files(dir.path());
    assert_eq!(files.len(), 2);
    assert_eq!(
        read_csv(&files[1]).0.len(),
        23,
        "d without orcpt, b with: union is full"
    );
}

#[test]
fn check_reports_unwritable_paths_and_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let ok = AcctConfig {
        files: vec![AcctFileOptions::new(dir.path().join("acct.csv"))],
        ..Default::default()
    };
    assert!(check(&ok).is_ok());
    let mut bad_field = AcctFileOptions::new(dir.path().join("x.csv"));
    bad_field.record_fields = vec![(RecordType::Delivery, "*,nosuch".into())];
    let bad = AcctConfig {
        files: vec![
            AcctFileOptions::new(dir.path().join("missing/acct.csv")),
            bad_field,
        ],
        domain_files: vec![AcctFileOptions::per_domain(
            dir.path().join("acct.csv/x.csv"),
        )],
        ..Default::default()
    };
    let errs = check(&bad).unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.contains("missing")), "{text:?}");
    assert!(text.iter().any(|e| e.contains("nosuch")), "{text:?}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 0,
        "check leaves no files"
    );
}

#[tokio::test]
async fn writer_task_is_lossless_under_back_pressure() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.records = AcctFileOptions::parse_records("d,b,t").unwrap();
    let acct = Accounting::start(&AcctConfig {
        files: vec![opts],
        ..Default::default()
    })
    .unwrap();
    let n = CHANNEL_CAPACITY * 2;
    let recs = sample_records();
    for i in 0..n {
        acct.record(recs[i % 3].clone()).await.unwrap();
    }
    acct.shutdown().await.unwrap();
    assert!(matches!(
        acct.record(recs[0].clone()).await,
        Err(AcctError::Closed)
    ));
    let (_, rows) = read_csv(&only_file(dir.path()));
    assert_eq!(rows.len(), n);
}

#[test]
fn delete_after_removes_old_generations_only() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("acct-2025-11-01-0000.csv");
    let other = dir.path().join("other-2025-11-01-0000.csv");
    std::fs::write(&old, "type\r\n").unwrap();
    std::fs::write(&other, "type\r\n").unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.delete_after = Some(std::time::Duration::from_secs(86_400));
    // "now" is 30 days after the files' mtime (which is the real now).
    let later = crate::logs::clock::now_secs() + 30 * 86_400;
    let mut set = AcctSet::open(
        &AcctConfig {
            files: vec![opts],
            ..Default::default()
        },
        later,
    )
    .unwrap();
    set.sync().unwrap();
    assert!(!old.exists(), "old generation deleted");
    assert!(other.exists(), "another file's generations are left alone");
    assert_eq!(
        csv_files(dir.path()).len(),
        2,
        "the live file and other-*.csv"
    );
}

#[tokio::test]
async fn writer_rotates_and_reloads_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = AcctConfig {
        files: vec![AcctFileOptions::new(dir.path().join("acct.csv"))],
        ..Default::default()
    };
    let acct = Accounting::start(&cfg).unwrap();
    let recs = sample_records();
    acct.record(recs[0].clone()).await.unwrap();
    acct.rotate(None).await.unwrap();
    acct.record(recs[2].clone()).await.unwrap();
    acct.sync().await.unwrap();
    let files = csv_files(dir.path());
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(read_csv(&files[0]).1.len(), 1);
    assert_eq!(read_csv(&files[1]).1.len(), 1);
    let mut new = AcctFileOptions::new(dir.path().join("bounces.csv"));
    new.records = vec![RecordType::Bounce];
    acct.reload(AcctConfig {
        files: vec![new],
        ..Default::default()
    })
    .await
    .unwrap();
    acct.record(recs[0].clone()).await.unwrap();
    acct.record(recs[2].clone()).await.unwrap();
    acct.shutdown().await.unwrap();
    let bounces: Vec<PathBuf> = csv_files(dir.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("bounces-"))
        .collect();
    assert_eq!(bounces.len(), 1);
    let (_, rows) = read_csv(&bounces[0]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "b");
}

#[test]
fn restart_after_a_move_never_reuses_a_moved_name() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    std::fs::create_dir(&done).unwrap();
    let mut opts = AcctFileOptions::new(dir.path().join("acct.csv"));
    opts.move_to = Some(done.clone());
    let cfg = AcctConfig {
        files: vec![opts],
        ..Default::default()
    };
    let mut set = AcctSet::open(&cfg, T0).unwrap();
    set.write(&sample_records(), T0).unwrap();
    set.rotate(T0, None).unwrap();
    drop(set);
    std::fs::remove_file(only_file(dir.path())).unwrap(); // operator cleaned up
    let mut set = AcctSet::open(&cfg, T0).unwrap();
    set.write(&sample_records(), T0).unwrap();
    set.rotate(T0, None).unwrap();
    let moved = csv_files(&done);
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert!(moved.iter().all(|f| read_csv(f).1.len() == 2));
}

/// Environment variable that turns [`kill_9_mid_stream_leaves_a_readable_file`] into the
/// child process that writes until it is killed.
const CRASH_CHILD: &str = "PMTAD_ACCT_CRASH_CHILD_DIR";

fn crash_cfg(dir: &Path) -> AcctConfig {
    let mut opts = AcctFileOptions::new(dir.join("acct.csv"));
    opts.records = AcctFileOptions::parse_records("d,b,t").unwrap();
    AcctConfig {
        files: vec![opts],
        ..Default::default()
    }
}

#[tokio::test]
async fn kill_9_mid_stream_leaves_a_readable_file() {
    if let Ok(dir) = std::env::var(CRASH_CHILD) {
        // Child: write through the real writer thread until SIGKILL arrives.
        let acct = Accounting::start(&crash_cfg(Path::new(&dir))).unwrap();
        let recs = sample_records();
        for i in 0.. {
            acct.record(recs[i % 3].clone()).await.unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "acct::tests::kill_9_mid_stream_leaves_a_readable_file",
            "--exact",
            "--nocapture",
        ])
        .env(CRASH_CHILD, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the child to have written a good amount, then SIGKILL it mid-stream.
    let grown = |d: &Path| {
        csv_files(d)
            .first()
            .and_then(|f| std::fs::metadata(f).ok())
            .map_or(0, |m| m.len())
    };
    while grown(dir.path()) < 2_000_000 {
        assert!(child.try_wait().unwrap().is_none(), "child exited early");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Restart: reopen, write more, and read everything back with a CSV reader.
    let now = crate::logs::clock::now_secs();
    let mut set = AcctSet::open(&crash_cfg(dir.path()), now).unwrap();
    set.write(&sample_records(), now).unwrap();
    set.sync().unwrap();
    // Normally one file; two if UTC midnight passed during the test.
    let mut rows = Vec::new();
    for f in csv_files(dir.path()) {
        let (h, r) = read_csv(&f);
        assert_eq!(h.len(), 23);
        rows.extend(r);
    }
    assert!(rows.len() > 1000);
    assert!(
        rows.iter()
            .all(|r| r.len() == 23 && ["d", "t", "b"].contains(&r[0].as_str()))
    );
    assert_eq!(
        rows.last().unwrap()[4],
        "c@gmail.com",
        "the post-restart records come last"
    );
}

// ---- <acct-file |COMMAND> ----

fn pipe_options(command: String, retry: u64) -> AcctFileOptions {
    let mut o = AcctFileOptions::new(format!("|{command}"));
    o.pipe = Some(PipeOptions {
        command,
        retry_interval: std::time::Duration::from_secs(retry),
        write_timeout: std::time::Duration::from_secs(1),
    });
    o
}

/// Waits (bounded) until `path` holds at least `lines` complete lines; returns the text.
fn wait_for_lines(path: &Path, lines: usize) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.matches('\n').count() >= lines || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test]
async fn pipe_program_reads_the_header_then_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let cfg = AcctConfig {
        files: vec![pipe_options(format!("cat > {}", out.display()), 1)],
        ..AcctConfig::default()
    };
    check(&cfg).unwrap();
    let acct = Accounting::start(&cfg).unwrap();
    for r in sample_records() {
        acct.record(r).await.unwrap();
    }
    acct.sync().await.unwrap();
    wait_for_lines(&out, 3);
    let (header, rows) = read_csv(&out);
    assert_eq!(header[0], "type");
    let types: Vec<&str> = rows.iter().map(|r| col(&header, r, "type")).collect();
    assert_eq!(types, ["d", "b"], "default records d,b, in order");
    acct.shutdown().await.unwrap();
}

/// A program that exits is restarted; each instance gets the header first and only whole
/// lines (never the tail of a line its predecessor took half of).
#[test]
fn pipe_program_that_exits_is_restarted_with_a_fresh_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let cmd = format!("head -n 2 >> {}", out.display());
    let cfg = AcctConfig {
        files: vec![pipe_options(cmd, 0)],
        ..AcctConfig::default()
    };
    let mut set = AcctSet::open(&cfg, T0).unwrap();
    let recs = sample_records();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut text = String::new();
    while text.matches("type,").count() < 2 && std::time::Instant::now() < deadline {
        set.write(&recs, T0).unwrap();
        set.sync().unwrap();
        text = std::fs::read_to_string(&out).unwrap_or_default();
    }
    assert!(text.matches("type,").count() >= 2, "restarted: {text}");
    for line in text.lines() {
        assert!(
            line.starts_with("type,") || line.starts_with("d,") || line.starts_with("b,"),
            "a whole header or record line: {line:?}"
        );
    }
}

/// A program that reads nothing is killed by the watchdog once a write has waited longer
/// than write-timeout, and a new one is started.
#[test]
fn pipe_program_that_reads_nothing_is_killed_and_restarted() {
    let cfg = pipe_options("sleep 30".into(), 0);
    let pipe_cfg = cfg.pipe.clone().unwrap();
    let mut pipe = AcctPipe::open(&cfg, &pipe_cfg).unwrap();
    let recs = sample_records();
    let refs: Vec<&AcctRecord> = recs.iter().collect();
    let bounce = BounceCategories::new(&[]).unwrap();
    // Far more than a pipe buffer (64 KiB), so the feeder blocks in write.
    for _ in 0..1000 {
        pipe.append(&refs, &bounce).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pipe.starts() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(pipe.starts() >= 2, "the stuck program was replaced");
    assert_eq!(pipe.dropped(), 0, "nothing dropped below the queue cap");
    // Closing restarts nothing and leaves no program behind: the stuck one is killed by
    // the watchdog, the rest of the queue is dropped.
    pipe.close();
}

#[test]
fn check_refuses_a_pipe_program_that_does_not_exist() {
    let cfg = AcctConfig {
        files: vec![pipe_options("/nonexistent/acct-processor --db x".into(), 1)],
        ..AcctConfig::default()
    };
    let errs = check(&cfg).unwrap_err();
    let msg = errs[0].to_string();
    assert!(msg.contains("/nonexistent/acct-processor"), "{msg}");
    assert!(msg.contains("not found"), "{msg}");
}
