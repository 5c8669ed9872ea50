//! pmtad's config-only command line, run as a real process: `--check-config` and
//! `--show-settings` print what they should and exit 0 / 1 / 2 as documented.

mod install;
mod readme_tour;
mod service_unit;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// target/debug/pmtad, built by scripts/test before the tests run.
fn pmtad() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target/debug");
    dir.join(format!("pmtad{}", std::env::consts::EXE_SUFFIX))
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pmta.conf")
}

fn run(args: &[&str]) -> Output {
    Command::new(pmtad())
        .args(args)
        .output()
        .expect("run pmtad")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_config_accepts_the_example() {
    let conf = example();
    let out = run(&["--config", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("is valid"));
    let short = run(&["-c", conf.to_str().unwrap(), "-t"]);
    assert_eq!(short.status.code(), Some(0));
}

#[test]
fn check_config_reports_every_error_with_position_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(
        &conf,
        "max-smtp-outt 3\n<domain a.com>\n  max-smtp-out lots\n</domain>\nhttp-csrf-protection yes\n",
    )
    .unwrap();
    let out = run(&["--config", conf.to_str().unwrap(), "--check-config"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let name = conf.display();
    assert!(
        err.contains(&format!(
            "{name}:1:1: error: unknown directive 'max-smtp-outt'; did you mean 'max-smtp-out'?"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:3:16: error: max-smtp-out:")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:5:1: warning: 'http-csrf-protection'")),
        "{err}"
    );
}

#[test]
fn show_settings_prints_values_with_origins() {
    let conf = example();
    let conf = conf.to_str().unwrap();
    let out = run(&["--config", conf, "--show-settings", "yahoo.com"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("max-smtp-out").contains(" 2 ") && row("max-smtp-out").contains("pmta.conf:"),
        "{stdout}"
    );
    assert!(row("delivery-interval").contains("10s"), "{stdout}");
    assert!(row("smtp-port").ends_with("default"), "{stdout}");
    let gmail = text(
        &run(&[
            "--config",
            conf,
            "--show-settings",
            "gmail.com/domain-specific",
        ])
        .stdout,
    );
    assert!(
        gmail.contains("alt4.gmail-smtp-in.l.google.com:25"),
        "{gmail}"
    );
    let missing = run(&["--config", conf, "--show-settings", "gmail.com/nope"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn the_daemon_refuses_to_start_on_a_bad_config_with_exit_64() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "smtp-listener 127.0.0.1:0\nmax-smtp-out 3\n").unwrap();
    let out = run(&["--config", conf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("bad.conf:2:"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.path().join("spool").exists(),
        "nothing may be created before the config is valid"
    );
}
