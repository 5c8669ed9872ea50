//! `tail logs --follow` shows a delivery as it happens, and the socket refuses strangers.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_follow_shows_a_delivery_as_it_happens() {
    let w = World::start("127.0.0.65", &["tail.test", "other.test"]).await;
    w.inject(&[&["a@tail.test"]]).await;
    w.wait_delivered(1).await;
    let mut child = Command::new(pmta_tests::daemon::bin("pmtactl"))
        .arg("--socket")
        .arg(w.pmtad.socket())
        .args([
            "tail",
            "logs",
            "--follow",
            "--domain",
            "tail.test",
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
    assert!(backlog.contains("delivered a@tail.test"), "{backlog}");
    w.inject(&[&["x@other.test"], &["b@tail.test"]]).await;
    // Each accepted message shows as `received` (PowerMTA's monitor shows receptions too),
    // before its delivery; only the followed domain's lines come.
    let mut lines = Vec::new();
    while !lines
        .iter()
        .any(|l: &String| l.contains("delivered b@tail.test"))
    {
        lines.push(rx.recv_timeout(WAIT).expect("a line while following"));
    }
    let _ = child.kill();
    let _ = child.wait();
    let received = lines.iter().position(|l| {
        l.contains("received ") && l.contains("from sender@src.test for b@tail.test")
    });
    let delivered = lines
        .iter()
        .position(|l| l.contains("delivered b@tail.test"));
    assert!(received.is_some() && received < delivered, "{lines:#?}");
    assert!(
        !lines.iter().any(|l| l.contains("other.test")),
        "{lines:#?}"
    );
}

/// The unprivileged user tests run pmtactl as.
const NOBODY: u32 = 65534;

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprivileged_user_is_refused_by_the_socket() {
    if !running_as_root() {
        eprintln!("skipped: needs root to run pmtactl as another user");
        return;
    }
    let w = World::start("127.0.0.66", &["p.test"]).await;
    std::fs::set_permissions(w.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let as_nobody = || {
        Command::new(pmta_tests::daemon::bin("pmtactl"))
            .arg("--socket")
            .arg(w.pmtad.socket())
            .args(["show", "status"])
            .uid(NOBODY)
            .gid(NOBODY)
            .output()
            .unwrap()
    };
    let out = as_nobody();
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("permission denied"),
        "{}",
        stderr(&out)
    );
    // Even with the file mode opened up, the daemon's peer-credential check refuses.
    std::fs::set_permissions(w.pmtad.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody();
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("permission denied by pmtad"),
        "{}",
        stderr(&out)
    );
    w.ctl(&["show", "status"], 0);
}
