//! A real `redis-server` (Debian's package) for the fleet tests, on a free loopback port of
//! its own, with nothing saved to disk; stopped when dropped.
//!
//! Tests that need it skip, saying so, only when the binary is not installed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs the server; `PATH` is searched too.
const DEBIAN_PATH: &str = "/usr/bin/redis-server";

pub struct RedisServer {
    child: Option<Child>,
    binary: PathBuf,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

/// The `redis-server` binary, if installed.
pub fn binary() -> Option<PathBuf> {
    if Path::new(DEBIAN_PATH).exists() {
        return Some(DEBIAN_PATH.into());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("redis-server"))
        .find(|p| p.exists())
}

impl RedisServer {
    /// Start one, or `None` (after printing why the test is skipped) when redis-server is
    /// not installed. Panics if it is installed but does not come up.
    pub fn start_or_skip(test: &str) -> Option<RedisServer> {
        let Some(binary) = binary() else {
            eprintln!(
                "SKIPPED {test}: redis-server is not installed (apt-get install redis-server)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut me = RedisServer {
            child: None,
            binary,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        me.restart();
        Some(me)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Start (again, after [`stop`](Self::stop)) on the same port; waits for PONG.
    pub fn restart(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.addr.port().to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        self.wait_pong(Duration::from_secs(20));
    }

    /// Kill the server (the nodes lose Redis).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Send one inline command and return the raw reply (for assertions on keys).
    pub fn command(&self, line: &str) -> String {
        let mut s = TcpStream::connect(self.addr).expect("connect redis");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        let mut buf = vec![0; 65536];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    fn wait_pong(&mut self, timeout: Duration) {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("redis-server exited at start: {status}");
            }
            if let Ok(mut s) = TcpStream::connect(self.addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 16];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer PING on {}", self.addr);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().unwrap().port()
}
