//! One session with the daemon: connect, handshake, and calls with a deadline, every
//! transport failure turned into a [`CliError`] that names the socket.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proto::{ClientHello, ControlClient, ControlError, PROTOCOL_VERSION};
use tarpc::client::RpcError;
use tarpc::context::{self, Context};

use crate::error::CliError;

/// pmtactl's own version, sent in `hello` and printed by `version`.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A connected, version-checked client.
#[derive(Debug)]
pub struct Session {
    pub client: ControlClient,
    pub socket: PathBuf,
    timeout: Duration,
    pub daemon_version: String,
}

impl Session {
    /// Connects and checks the daemon speaks our protocol.
    pub async fn open(socket: &Path, timeout: Duration) -> Result<Self, CliError> {
        let client = proto::socket::connect(socket)
            .await
            .map_err(|e| CliError::unreachable(socket, &e))?;
        let mut session = Self {
            client,
            socket: socket.into(),
            timeout,
            daemon_version: String::new(),
        };
        let hello = ClientHello::current(CLIENT_VERSION);
        let answer = session.client.hello(session.ctx(), hello).await;
        let hello = session.transport(answer)?;
        if hello.protocol != PROTOCOL_VERSION {
            return Err(CliError::Failed(
                "protocol_mismatch",
                format!(
                    "pmtad {} at {} speaks control protocol {}, this pmtactl {CLIENT_VERSION} \
                     speaks {PROTOCOL_VERSION}; use the pmtactl shipped with that pmtad",
                    hello.daemon_version,
                    socket.display(),
                    hello.protocol
                ),
            ));
        }
        session.daemon_version = hello.daemon_version;
        Ok(session)
    }

    /// The per-call timeout (`--timeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A context with this session's deadline.
    pub fn ctx(&self) -> Context {
        self.ctx_for(self.timeout)
    }

    /// A context whose deadline is `wait` from now.
    pub fn ctx_for(&self, wait: Duration) -> Context {
        let mut ctx = context::current();
        ctx.deadline = Instant::now() + wait;
        ctx
    }

    /// Unwraps a call's answer: transport problems and daemon refusals become errors.
    pub fn answer<T>(&self, r: Result<Result<T, ControlError>, RpcError>) -> Result<T, CliError> {
        self.transport(r)?.map_err(CliError::Refused)
    }

    /// Maps what went wrong between us and the daemon.
    pub fn transport<T>(&self, r: Result<T, RpcError>) -> Result<T, CliError> {
        r.map_err(|e| match e {
            RpcError::Server(s) if proto::socket::is_refusal(&s) => CliError::Unreachable {
                socket: self.socket.clone(),
                cause: format!("permission denied by pmtad: {}", s.detail),
            },
            RpcError::DeadlineExceeded => CliError::Failed(
                "timeout",
                format!(
                    "pmtad did not answer within {}s (see --timeout)",
                    self.timeout.as_secs()
                ),
            ),
            RpcError::Server(s) => {
                CliError::Failed("failed", format!("pmtad failed: {}", s.detail))
            }
            other => CliError::Unreachable {
                socket: self.socket.clone(),
                cause: format!("the connection broke: {other}"),
            },
        })
    }
}
