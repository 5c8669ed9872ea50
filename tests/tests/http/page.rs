//! The web monitor page in a real browser: headless Chromium loads `/` from a live pmtad,
//! runs its script against the JSON endpoints, and the rendered DOM shows the paused queue
//! with its hold reason. A screenshot goes to the test's temporary directory.
//!
//! Skips, saying so, only when no Chromium binary is installed (.ci/run installs Debian's
//! `chromium` package).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// The Chromium binary on PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with a private profile in `profile`, with `extra` flags.
/// The virtual time budget lets the page's fetches and first render finish before the DOM
/// is dumped (Chromium waits for network activity under virtual time).
fn headless(bin: &Path, profile: &Path, url: &str, extra: &[String]) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=15000",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_page_shows_the_queue_and_why_it_is_held_in_chromium() {
    let Some(bin) = chromium() else {
        println!(
            "SKIPPED: no chromium on PATH (apt-get install chromium); the web page test did not run"
        );
        return;
    };
    let w = Web::start("127.0.0.207", &["held.test", "sent.test"]).await;
    w.ctl_json(&["pause", "queue", "held.test"]);
    w.inject(&[&["a@held.test"], &["b@sent.test"]]).await;
    w.wait_delivered(1).await;
    let url = format!("http://{}/?queue=held.test%2F%7Bdefault%7D", w.http);
    let profile = w.dir.path().join("chromium-profile");

    // Wait on the page's own signal that it rendered (data-ready), not on a timer.
    let deadline = tokio::time::Instant::now() + WAIT;
    let dom = loop {
        let out = headless(&bin, &profile, &url, &["--dump-dom".into()]);
        let dom = String::from_utf8_lossy(&out.stdout).to_string();
        if dom.contains("data-ready=\"1\"") {
            break dom;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never rendered: status {:?}\n{dom}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    assert!(dom.contains("data-queue=\"held.test/{default}\""), "{dom}");
    assert!(
        dom.contains("<span id=\"detail-name\" class=\"muted\">held.test/{default}</span>"),
        "{dom}"
    );
    assert!(
        dom.contains("data-kind=\"paused\""),
        "the hold reason is shown: {dom}"
    );
    assert!(dom.contains("Why is it not sending?"), "{dom}");
    assert!(
        dom.contains("class=\"verdict not_sending\""),
        "the verdict is shown: {dom}"
    );
    assert!(dom.contains("NOT SENDING"), "{dom}");
    assert!(
        dom.contains("data-series=\"delivered\""),
        "the chart is drawn: {dom}"
    );
    assert!(
        dom.contains("pmtad.test"),
        "the status summary names the host: {dom}"
    );

    let shot = w.dir.path().join("monitor.png");
    let out = headless(
        &bin,
        &profile,
        &url,
        &[format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    println!("screenshot: {} ({} bytes)", shot.display(), png.len());
}
