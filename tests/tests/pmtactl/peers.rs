//! Who may talk to the daemon, what happens when nobody answers, and a reader that goes away.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{Server, expect_code, stderr};

/// The unprivileged user and group tests run pmtactl as.
const NOBODY: u32 = 65534;

fn pmtactl(socket: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(pmta_tests::daemon::bin("pmtactl"));
    cmd.arg("--socket").arg(socket).args(args);
    cmd
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Lets other users reach the socket through the temp dir (tempdir makes it 0700).
fn open_dir(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn no_daemon_at_the_socket_exits_3_naming_the_socket_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("control.sock");
    let out = pmtactl(&missing, &["show", "status"]).output().unwrap();
    expect_code(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains(&missing.display().to_string()),
        "names the socket: {err}"
    );
    assert!(err.contains("is pmtad running"), "{err}");

    drop(std::os::unix::net::UnixListener::bind(&missing).unwrap());
    let out = pmtactl(&missing, &["--json", "show", "domains"])
        .output()
        .unwrap();
    expect_code(&out, 3);
    assert!(stderr(&out).contains("stale socket"), "{}", stderr(&out));
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["kind"], "unreachable");
}

#[test]
fn version_prints_our_own_version_even_when_the_daemon_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let out = pmtactl(&dir.path().join("none.sock"), &["version"])
        .output()
        .unwrap();
    expect_code(&out, 3);
    let want = format!(
        "pmtactl 0.1.0 (control protocol {})",
        proto::PROTOCOL_VERSION
    );
    assert!(super::stdout(&out).starts_with(&want));
}

#[test]
fn an_unprivileged_user_is_refused_by_the_file_mode_and_by_peer_credentials() {
    if !running_as_root() {
        eprintln!("skipped: needs root to run pmtactl as another user");
        return;
    }
    let server = Server::start();
    open_dir(server.dir.path());
    let as_nobody = || {
        let mut cmd = pmtactl(&server.path, &["show", "status"]);
        cmd.uid(NOBODY).gid(NOBODY);
        cmd.output().unwrap()
    };
    let out = as_nobody();
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("permission denied"),
        "mode 0660 keeps nobody out: {}",
        stderr(&out)
    );

    // With the file mode loosened, the daemon's own peer-credential check still refuses.
    std::fs::set_permissions(&server.path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody();
    expect_code(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("permission denied by pmtad") && err.contains("uid 65534"),
        "{err}"
    );
}

#[test]
fn a_member_of_the_sockets_group_is_admitted() {
    if !running_as_root() {
        eprintln!("skipped: needs root to run pmtactl as another user");
        return;
    }
    let server = Server::start();
    open_dir(server.dir.path());
    let group = std::fs::metadata(&server.path).unwrap().gid();
    let out = pmtactl(&server.path, &["show", "status"])
        .uid(NOBODY)
        .gid(group)
        .output()
        .unwrap();
    expect_code(&out, 0);
}

#[test]
fn a_closed_pipe_ends_tail_follow_with_exit_0() {
    let server = Server::start();
    let mut child = server
        .command(&["tail", "logs", "--follow", "--lines=2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert!(first.contains("rcpt3@gmail.com"), "{first}");
    drop(reader); // like `| head -1` exiting
    // Each new line makes pmtactl write into the closed pipe; keep logging until it exits
    // (bounded, so a regression fails instead of hanging the suite).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        server.backend.log("gmail.com");
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("pmtactl tail -f did not exit after its pipe closed");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(
        err.is_empty(),
        "no panic or message on a closed pipe: {err}"
    );
}

#[test]
fn follow_mode_prints_new_lines_of_the_domain_as_they_are_logged() {
    let server = Server::start();
    server.backend.log("yahoo.com");
    let mut child = server
        .command(&["tail", "logs", "-f", "--lines=1", "--domain=yahoo.com"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.contains("rcpt5@yahoo.com"),
        "the backlog line first: {line}"
    );
    server.backend.log("gmail.com");
    server.backend.log("yahoo.com");
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.contains("rcpt7@yahoo.com"),
        "only the filtered domain: {line}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
