//! A real `redis-server` (Debian's package) for the fleet tests, on a free loopback port of
//! its own, with nothing saved to disk; stopped when dropped.
//!
//! Tests that need it skip, saying so, only when the binary is not installed.
//! [`RedisServer::start_secured_or_skip`] starts one as a fleet reached over a network has
//! it: a TLS port that verifies client certificates, and passwords (ACL users).

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
    /// TLS and passwords, when started secured.
    pub secured: Option<Secured>,
}

/// The TLS port and credentials of a secured server. The plain port stays open for the
/// harness's own commands, behind the `default` user's password.
#[derive(Debug, Clone)]
pub struct Secured {
    pub tls_port: u16,
    /// The ACL user the nodes log in as, and its password.
    pub user: String,
    pub password: String,
    /// The `default` user's password (`requirepass`), for the harness.
    pub admin_password: String,
    /// The CA that signed the server's and the client's certificates (PEM).
    pub ca_file: PathBuf,
    /// A client certificate and key (PEM) the server accepts.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
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
            secured: None,
        };
        me.restart();
        Some(me)
    }

    /// Like [`start_or_skip`](Self::start_or_skip), with a TLS port (certificates from a
    /// fresh test CA, client certificates required) and the ACL user `user` / `password`.
    pub fn start_secured_or_skip(test: &str, user: &str, password: &str) -> Option<RedisServer> {
        let mut me = Self::start_or_skip(test)?;
        me.stop();
        let ca = crate::certs::TestCa::new().expect("test CA");
        let dir = me.dir.path();
        let ca_file = dir.join("ca.crt");
        std::fs::write(&ca_file, ca.cert_pem()).expect("write the CA");
        let server = ca.leaf(&["127.0.0.1"]).expect("server certificate");
        let (server_cert, server_key) = server.write_pem(dir, "server").expect("write");
        let client = ca.leaf(&["pmtad-node"]).expect("client certificate");
        let (client_cert, client_key) = client.write_pem(dir, "client").expect("write");
        me.secured = Some(Secured {
            tls_port: free_port(),
            user: user.to_string(),
            password: password.to_string(),
            admin_password: "harness-admin".to_string(),
            ca_file,
            client_cert,
            client_key,
            server_cert,
            server_key,
        });
        me.restart();
        Some(me)
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// `rediss://USER:PASSWORD@127.0.0.1:TLSPORT` of a secured server.
    pub fn tls_url(&self) -> String {
        let s = self.secured.as_ref().expect("a secured redis-server");
        format!(
            "rediss://{}:{}@127.0.0.1:{}",
            s.user, s.password, s.tls_port
        )
    }

    /// The command line's security part: TLS files and ports, users.
    fn security_args(&self) -> Vec<String> {
        let Some(s) = &self.secured else {
            return Vec::new();
        };
        let path = |p: &Path| p.display().to_string();
        let args = [
            "--tls-port".to_string(),
            s.tls_port.to_string(),
            "--tls-cert-file".into(),
            path(&s.server_cert),
            "--tls-key-file".into(),
            path(&s.server_key),
            "--tls-ca-cert-file".into(),
            path(&s.ca_file),
            "--tls-auth-clients".into(),
            "yes".into(),
            "--requirepass".into(),
            s.admin_password.clone(),
            "--user".into(),
            s.user.clone(),
            "on".into(),
            format!(">{}", s.password),
            "~*".into(),
            "&*".into(),
            "+@all".into(),
        ];
        args.to_vec()
    }

    /// Start (again, after [`stop`](Self::stop)) on the same port; waits for PONG.
    pub fn restart(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--port", &self.addr.port().to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(self.security_args())
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

    /// Send one inline command on the plain port (logged in first when secured) and return
    /// the raw reply (for assertions on keys).
    pub fn command(&self, line: &str) -> String {
        let mut s = TcpStream::connect(self.addr).expect("connect redis");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let login = self.login();
        s.write_all(format!("{login}{line}\r\n").as_bytes())
            .unwrap();
        let mut reply = Vec::new();
        let mut buf = vec![0; 65536];
        // The login's +OK, then at least one byte of the command's reply.
        let skip = if login.is_empty() {
            0
        } else {
            b"+OK\r\n".len()
        };
        while reply.len() <= skip {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
            }
        }
        let reply = reply.get(skip..).unwrap_or_default();
        String::from_utf8_lossy(reply).into_owned()
    }

    /// `AUTH default PASSWORD\r\n` when secured, else nothing.
    fn login(&self) -> String {
        self.secured
            .as_ref()
            .map(|s| format!("AUTH default {}\r\n", s.admin_password))
            .unwrap_or_default()
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
                // Unsecured: PONG; secured: NOAUTH, which says it is up just as well.
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read(&mut buf).is_ok_and(|n| {
                        buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH")
                    })
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
