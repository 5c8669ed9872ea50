//! The README's 5-minute tour, run as written (bash, the real pmtad and pmtactl, curl to
//! inject, jq), so the README cannot drift from the programs. Changes to the text, all
//! for isolation: the build line uses the binaries scripts/test built, the scratch
//! directory is the test's own, the SMTP listener takes a free port, DNS goes to a dead loopback
//! port (nothing leaves the machine), and the script waits for "pmtad: ready".

use std::path::Path;
use std::process::Command;

use pmta_tests::daemon::bin;

const TOUR_HEADING: &str = "## A 5-minute tour";

/// The first ```sh block after the tour heading.
fn tour_script(readme: &str) -> String {
    let after = &readme[readme.find(TOUR_HEADING).expect("tour heading")..];
    let start = after.find("```sh\n").expect("sh block") + "```sh\n".len();
    let len = after[start..].find("```").expect("end of block");
    after[start..start + len].to_string()
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// The tour with the isolation changes listed at the top; each must find its text.
fn isolated(script: &str, scratch: &Path) -> String {
    let bins = bin("pmtad").parent().unwrap().display().to_string();
    let scratch = scratch.display().to_string();
    let edits = [
        (
            "cargo build --locked --workspace --bins && export PATH=\"$PWD/target/debug:$PATH\"",
            format!("export PATH=\"{bins}:$PATH\""),
        ),
        // The listener picks a free port, which the script reads from pmtad's output.
        (
            "curl -sS smtp://127.0.0.1:2525",
            "curl -sS smtp://127.0.0.1:$PORT".to_string(),
        ),
        (
            "cd /tmp/pmtad-tour\n",
            "cd /tmp/pmtad-tour\necho 'name-server 127.0.0.1:9' >> pmta.conf\n\
             sed -i 's/^smtp-listener 127.0.0.1:2525$/smtp-listener 127.0.0.1:0/' pmta.conf\n"
                .to_string(),
        ),
        (
            "pmtad --config pmta.conf &\n",
            "pmtad --config pmta.conf > pmtad.out 2>&1 &\n\
             until grep -qs 'pmtad: ready' pmtad.out; do sleep 0.05; done\n\
             PORT=$(sed -n 's/^pmtad: listening smtp 127.0.0.1://p' pmtad.out)\n\
             HPORT=$(sed -n 's/^pmtad: listening http 127.0.0.1://p' pmtad.out)\n"
                .to_string(),
        ),
        // The HTTP interface too takes a free port.
        (
            "http-mgmt-port 8080\\n",
            "http-mgmt-port 127.0.0.1:0\\n".to_string(),
        ),
        (
            "curl -s \"http://127.0.0.1:8080/",
            "curl -s \"http://127.0.0.1:$HPORT/".to_string(),
        ),
        ("/tmp/pmtad-tour", scratch),
    ];
    let mut out = script.to_string();
    for (from, to) in edits {
        assert!(out.contains(from), "the tour no longer has {from:?}");
        out = out.replace(from, &to);
    }
    // On any failure the daemon is stopped, so it cannot hold the test's pipes open.
    format!("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{out}")
}

#[test]
fn the_readme_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let script = tour_script(&readme);
    if !has("curl") || !has("jq") {
        eprintln!("curl or jq missing: the README tour is not run here");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let tour = isolated(&script, &scratch.path().join("tour"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(&tour)
        .current_dir(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tour failed:\n{stdout}\n{stderr}");
    for expected in [
        "pmta.conf is valid",
        "example.net/{default}",
        "2 recipient(s) listed",
        "paused by the operator",
        "example.net 2",
        "queued: 2",
        "Configuration reloaded",
        "2 recipient(s) deleted",
        "deleted by operator (pmtactl delete)",
        "pmtad stopped",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} not in:\n{stdout}\n{stderr}"
        );
    }
    let reloaded = stdout
        .lines()
        .any(|l| l.starts_with("max-smtp-out ") && l.contains(" 3 "));
    assert!(
        reloaded,
        "the reloaded max-smtp-out 3 is not shown:\n{stdout}"
    );
}
