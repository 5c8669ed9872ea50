//! Real pmtad and pmtactl processes for end-to-end tests.
//!
//! pmtad announces each bound listener on standard output as
//! `pmtad: listening smtp 127.0.0.1:40123` and then `pmtad: ready`, so tests bind port 0 and
//! learn the real port instead of guessing a free one.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// Path of a workspace binary (`pmtad`, `pmtactl`), built once per test process so the
/// tests never run a stale binary. Same arguments as `scripts/test`'s build, so it is a
/// no-op there (other feature sets would rebuild the dependencies).
pub fn bin(name: &str) -> PathBuf {
    build_once(false);
    target_dir().join("debug").join(name)
}

/// Path of a release binary, built once per process (for benchmarks).
pub fn release_bin(name: &str) -> PathBuf {
    build_once(true);
    target_dir().join("release").join(name)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// `cargo build [--release] --workspace --bins`, once per process and profile.
///
/// The build runs without the package variables cargo gives a test process
/// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`…): ring's build script reruns when they change,
/// so inheriting them would rebuild ring and everything above it on the first e2e test
/// after `scripts/test`'s own build, and again on the next plain build.
fn build_once(release: bool) {
    static DEBUG: OnceLock<()> = OnceLock::new();
    static RELEASE: OnceLock<()> = OnceLock::new();
    let once = if release { &RELEASE } else { &DEBUG };
    once.get_or_init(|| {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.arg("build");
        if release {
            cmd.arg("--release");
        }
        cmd.args(["--workspace", "--bins"])
            .current_dir(workspace_root());
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || k.starts_with("CARGO_BIN_EXE_")
                || matches!(
                    k.as_ref(),
                    "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "OUT_DIR"
                )
            {
                cmd.env_remove(&key);
            }
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build of the binaries failed");
    });
}

/// A running pmtad child process, killed when dropped.
pub struct Pmtad {
    child: Child,
    /// Directory holding the config, spool, logs and control socket of this instance.
    pub dir: PathBuf,
    pub config: PathBuf,
    /// The SMTP listeners as bound (port 0 resolved).
    pub smtp: Vec<SocketAddr>,
    /// The HTTP management listener as bound at start (`http-mgmt-port`), if on.
    pub http: Option<SocketAddr>,
    lines: mpsc::Receiver<String>,
}

impl Pmtad {
    /// Write `config` to `dir/pmta.conf` and start pmtad on it; waits until it is ready.
    pub fn start(dir: &Path, config: &str) -> std::io::Result<Self> {
        let path = dir.join("pmta.conf");
        std::fs::write(&path, config)?;
        Self::start_file(dir, &path)
    }

    /// Start pmtad on an existing config file (restart after a crash, for instance).
    pub fn start_file(dir: &Path, config: &Path) -> std::io::Result<Self> {
        Self::spawn(&bin("pmtad"), dir, config)
    }

    /// Start a given pmtad binary (a release build for benchmarks) on `config` text.
    pub fn start_with(binary: &Path, dir: &Path, config: &str) -> std::io::Result<Self> {
        let path = dir.join("pmta.conf");
        std::fs::write(&path, config)?;
        Self::spawn(binary, dir, &path)
    }

    fn spawn(binary: &Path, dir: &Path, config: &Path) -> std::io::Result<Self> {
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(config)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let lines = forward_lines(child.stdout.take().expect("piped stdout"));
        let mut me = Self {
            child,
            dir: dir.into(),
            config: config.into(),
            smtp: vec![],
            http: None,
            lines,
        };
        me.wait_ready(Duration::from_secs(60))?;
        Ok(me)
    }

    fn wait_ready(&mut self, timeout: Duration) -> std::io::Result<()> {
        loop {
            let line = self.lines.recv_timeout(timeout).map_err(|_| {
                std::io::Error::other("pmtad exited or did not become ready in time")
            })?;
            if let Some(addr) = line.strip_prefix("pmtad: listening smtp ") {
                self.smtp
                    .push(addr.trim().parse().map_err(std::io::Error::other)?);
            } else if let Some(addr) = line.strip_prefix("pmtad: listening http ") {
                self.http = Some(addr.trim().parse().map_err(std::io::Error::other)?);
            } else if line.trim() == "pmtad: ready" {
                return Ok(());
            }
        }
    }

    /// The process id (for CPU and memory readings in benchmarks).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first SMTP listener.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp[0]
    }

    /// The control socket path the test configs use: `DIR/control.sock`.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }

    /// Run pmtactl against this daemon's socket.
    pub fn pmtactl(&self, args: &[&str]) -> Output {
        pmtactl(&self.socket(), args)
    }

    /// SIGKILL: the crash that must not lose acknowledged mail.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        signal(self.child.id(), "TERM");
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// SIGHUP: reload the configuration.
    pub fn hup(&self) {
        signal(self.child.id(), "HUP");
    }

    /// Next line pmtad printed on stdout, if one comes within `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }
}

impl Drop for Pmtad {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Run pmtactl with `--socket SOCKET ARGS…`.
pub fn pmtactl(socket: &Path, args: &[&str]) -> Output {
    Command::new(bin("pmtactl"))
        .arg("--socket")
        .arg(socket)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pmtactl")
}

fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Send a signal with kill(1), which keeps this crate free of unsafe code.
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}
