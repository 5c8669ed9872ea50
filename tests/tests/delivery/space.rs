//! A full spool is visible and bounded: on a small tmpfs (mounted by the test; it needs root)
//! filled by a file, pmtad refuses new mail with 452 4.3.1, says so once in the main log and
//! in `show status`, keeps delivering what it had acknowledged, and accepts mail again by
//! itself once the file is removed. Nothing acknowledged is lost.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::harness::*;
use pmta_tests::dns::TestDns;
use pmta_tests::inject::Session;
use pmta_tests::output::{expect_code, json, stdout};
use pmta_tests::sink::SmtpSink;

/// A tmpfs mounted for the test's lifetime.
struct SmallFs(PathBuf);

impl SmallFs {
    /// Mounts a tmpfs of `mib` MiB at `dir`; None (the test is skipped) when that fails,
    /// normally because the test does not run as root.
    fn mount(dir: &Path, mib: u64) -> Option<SmallFs> {
        std::fs::create_dir_all(dir).ok()?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        if !out.status.success() {
            println!(
                "skipped: cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(SmallFs(dir.to_path_buf()))
    }

    /// Fills the file system with `path` until a write fails, then gives back `keep` bytes.
    fn fill(&self, path: &Path, keep: u64) {
        let mut f = std::fs::File::create(path).unwrap();
        let chunk = vec![0x55u8; 256 << 10];
        let mut len = 0u64;
        while f.write_all(&chunk).is_ok() {
            len += chunk.len() as u64;
        }
        let _ = f.flush();
        f.set_len(len.saturating_sub(keep)).unwrap();
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Waits until the main log has a line containing `text`.
fn wait_log(log: &Path, text: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let content = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = content.lines().find(|l| l.contains(text)) {
            return line.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no '{text}' in the main log:\n{content}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(log: &Path, text: &str) -> usize {
    let content = std::fs::read_to_string(log).unwrap_or_default();
    content.lines().filter(|l| l.contains(text)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_spool_refuses_intake_logs_it_and_resumes_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let Some(fs) = SmallFs::mount(&dir.path().join("spool"), 16) else {
        return;
    };
    // The destination is down at first: acknowledged mail stays queued in the spool.
    let probe = std::net::TcpListener::bind("127.0.0.31:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let dns = TestDns::builder()
        .a("full.test", "127.0.0.31")
        .start()
        .await
        .unwrap();
    let config = base_config(&dns, port).replace(
        "spool spool\n",
        "<spool spool>\n  min-free-space 4M\n</spool>\n",
    );
    let pmtad = pmta_tests::daemon::Pmtad::start(dir.path(), &config).unwrap();
    let log = dir.path().join("log/pmtad.log");
    let inject = |n: u64| {
        let addr = pmtad.smtp_addr();
        async move {
            let mut s = Session::connect(addr).await.unwrap();
            let r = s
                .send(&msg("s@src.test", &["a@full.test"], n))
                .await
                .unwrap();
            let _ = s.quit().await;
            r
        }
    };
    for n in 0..10 {
        assert_eq!(inject(n).await.code, 250);
    }

    fs.fill(&fs.0.join("filler"), 2 << 20);
    let line = wait_log(&log, "spool full");
    assert!(line.contains("min-free-space 4096 KiB"), "{line}");
    let refused = inject(100).await;
    assert_eq!(refused.code, 452, "{refused:?}");
    assert!(refused.text.starts_with("4.3.1"), "{refused:?}");
    let out = pmtad.pmtactl(&["show", "status"]);
    expect_code(&out, 0);
    assert!(
        stdout(&out).contains("intake refused: spool full since"),
        "{}",
        stdout(&out)
    );
    let st = json(&pmtad.pmtactl(&["--json", "show", "status"]));
    assert!(st["spool"]["intake_refused_since"].is_string(), "{st}");
    assert_eq!(st["spool"]["kbytes_min_free"], 4096);

    // Delivery and its completions go on while intake is refused.
    let sink = SmtpSink::builder()
        .listen(format!("127.0.0.31:{port}").parse().unwrap())
        .start()
        .await
        .unwrap();
    sink.wait_until(WAIT, |s| s.messages().len() >= 10)
        .await
        .expect("the acknowledged messages delivered while intake is refused");
    assert!(pmtad.pmtactl(&["show", "status"]).status.success());
    assert_eq!(inject(101).await.code, 452, "still full");

    std::fs::remove_file(fs.0.join("filler")).unwrap();
    wait_log(&log, "spool has space again");
    assert_eq!(
        inject(200).await.code,
        250,
        "intake resumed without a restart"
    );
    sink.wait_until(WAIT, |s| s.messages().len() >= 11)
        .await
        .expect("the message accepted after the refusal delivered");
    let mut seen: Vec<u64> = sink
        .state()
        .messages()
        .iter()
        .map(|m| message_number(&m.data))
        .collect();
    seen.sort_unstable();
    let mut expected: Vec<u64> = (0..10).collect();
    expected.push(200);
    assert_eq!(
        seen, expected,
        "every acknowledged message once, no refused one"
    );
    assert_eq!(count(&log, "spool full"), 1, "logged once when it starts");
    assert_eq!(
        count(&log, "spool has space again"),
        1,
        "and once when it ends"
    );
    let st = json(&pmtad.pmtactl(&["--json", "show", "status"]));
    assert!(st["spool"]["intake_refused_since"].is_null(), "{st}");
}
