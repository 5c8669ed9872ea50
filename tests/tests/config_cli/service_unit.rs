//! contrib/pmtad.service: its commands are ones our CLIs accept and do what the unit says,
//! its directories are pmtad's defaults, and (where systemd-analyze is installed) systemd
//! accepts the unit, its binaries and its man pages.

use std::path::{Path, PathBuf};
use std::process::Command;

use pmta_tests::daemon::{Pmtad, bin};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn unit() -> String {
    std::fs::read_to_string(repo("contrib/pmtad.service")).expect("contrib/pmtad.service")
}

/// The value of the one `KEY=` line of the unit.
fn directive(key: &str) -> String {
    let prefix = format!("{key}=");
    let values: Vec<String> = unit()
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .collect();
    assert_eq!(values.len(), 1, "{key}= appears once");
    values[0].clone()
}

/// A command line of the unit, with our installed paths swapped for the built binaries and
/// the default config for `config`.
fn command(key: &str, config: &Path) -> Vec<String> {
    let built = |w: &str| match w {
        "/usr/local/bin/pmtad" => bin("pmtad").display().to_string(),
        "/usr/local/bin/pmtactl" => bin("pmtactl").display().to_string(),
        w if w == pmtad::cli::DEFAULT_CONFIG => config.display().to_string(),
        w => w.to_string(),
    };
    directive(key).split_whitespace().map(built).collect()
}

#[test]
fn exec_start_is_the_daemon_run_mode_on_the_default_config() {
    let start = directive("ExecStart");
    let args: Vec<&str> = start.split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/pmtad");
    let cli = pmtad::cli::Cli::try_from_args(&args).expect("pmtad accepts ExecStart");
    assert!(!cli.check_config && cli.show_settings.is_none() && cli.command.is_none());
    assert_eq!(cli.config, Path::new(pmtad::cli::DEFAULT_CONFIG));
}

/// `systemctl reload` runs ExecReload: the real pmtactl with the unit's arguments reloads a
/// real daemon, found through the config file as in production.
#[test]
fn exec_reload_reloads_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let config = "smtp-listener 127.0.0.1:0\nspool spool\ncontrol-socket control.sock\n\
                  log-file log/pmtad.log\n";
    let daemon = Pmtad::start(dir.path(), config).expect("start pmtad");
    let reload = command("ExecReload", &daemon.config);
    assert!(reload[0].ends_with("pmtactl"), "{reload:?}");
    let out = Command::new(&reload[0])
        .args(&reload[1..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{reload:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(dir.path().join("log/pmtad.log")).unwrap();
    assert!(log.contains("configuration reloaded"), "{log}");
}

/// RuntimeDirectory=, LogsDirectory= and ReadWritePaths= are where pmtad writes by default.
#[test]
fn the_unit_s_directories_are_pmtad_s_defaults() {
    let cfg = config::load_str("", "/etc/pmtad/pmta.conf").unwrap().config;
    let run = Path::new("/run").join(directive("RuntimeDirectory"));
    assert_eq!(cfg.control_socket.parent(), Some(run.as_path()));
    let logs = Path::new("/var/log").join(directive("LogsDirectory"));
    assert_eq!(cfg.log_file.parent(), Some(logs.as_path()));
    assert_eq!(cfg.spool_dir(), Path::new(&directive("ReadWritePaths")));
    let tmpfiles = std::fs::read_to_string(repo("contrib/tmpfiles.d/pmtad.conf")).unwrap();
    let spool_line = format!("d {} 0750 pmtad pmtad -", cfg.spool_dir().display());
    assert!(tmpfiles.lines().any(|l| l == spool_line), "{tmpfiles}");
    assert_eq!(directive("User"), "pmtad");
    assert_eq!(
        directive("RestartPreventExitStatus"),
        format!("{} {}", pmtad::cli::EXIT_CONFIG, pmtad::cli::EXIT_CANTCREAT)
    );
}

/// `systemd-analyze verify` on the unit with the built binaries, and the man pages of its
/// Documentation= installed in a private MANPATH. Machines without systemd-analyze run the
/// other tests of this file only.
#[test]
fn systemd_analyze_verifies_the_unit() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed: unit not verified by systemd");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = unit()
        .replace(
            "/usr/local/bin/pmtad ",
            &format!("{} ", bin("pmtad").display()),
        )
        .replace(
            "/usr/local/bin/pmtactl ",
            &format!("{} ", bin("pmtactl").display()),
        );
    let path = dir.path().join("pmtad.service");
    std::fs::write(&path, text).unwrap();
    for (section, page) in [("8", "pmtad.8"), ("8", "pmtactl.8"), ("5", "pmta.conf.5")] {
        let man = dir.path().join(format!("man/man{section}"));
        std::fs::create_dir_all(&man).unwrap();
        std::fs::copy(repo(&format!("man/{page}")), man.join(page)).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .env("MANPATH", dir.path().join("man"))
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
