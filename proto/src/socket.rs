//! The Unix-socket transport both ends use: one codec (bincode), one frame limit, and the
//! peer-credential check that decides who may talk to the daemon.

use std::future::Future;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::Bincode;
use tarpc::tokio_util::codec::{LengthDelimitedCodec, length_delimited};
use tarpc::{ServerError, client, serde_transport};
use tokio::net::{UnixListener, UnixStream};

use crate::{Control, ControlClient, ControlRequest, ControlResponse};

/// Largest frame either end accepts. tarpc's default (8 MiB) is too small for a `show domains`
/// of 100,000 domains; both ends must agree, which is why it lives here.
pub const MAX_FRAME_BYTES: usize = 64 << 20;

/// Start of the detail of the `ServerError` a refused peer gets. Clients recognise a refusal
/// by it (see [`is_refusal`]): the error kind alone did not survive the trip intact in tests.
pub const REFUSAL_PREFIX: &str = "control socket refused this peer: ";

/// Is this server error the peer-credential refusal?
pub fn is_refusal(e: &ServerError) -> bool {
    e.kind == io::ErrorKind::PermissionDenied || e.detail.starts_with(REFUSAL_PREFIX)
}

/// Requests one connection may have in flight; more wait (back-pressure, not errors).
const MAX_CONCURRENT_PER_CONNECTION: usize = 64;

/// The credentials of the process on the other end of a connection (SO_PEERCRED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub gid: u32,
    /// Absent when the kernel could not tell (other PID namespace).
    pub pid: Option<i32>,
}

/// Who may use the control socket: root, the daemon's user, members of the socket's group.
///
/// The socket's mode (0660) already keeps others out; this is the second lock, which also
/// holds when someone loosens the file mode or the socket is reached through a bind mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPolicy {
    uids: Vec<u32>,
    group: u32,
}

impl PeerPolicy {
    /// The policy for a socket this process just bound: its owner and group, and our own uid.
    pub fn for_socket(path: &Path) -> io::Result<Self> {
        let socket = std::fs::metadata(path)?;
        let own_uid = std::fs::metadata("/proc/self")?.uid();
        Ok(Self::new(vec![socket.uid(), own_uid], socket.gid()))
    }

    /// A policy admitting root, the given uids and members of `group`.
    pub fn new(mut uids: Vec<u32>, group: u32) -> Self {
        uids.push(0);
        uids.sort_unstable();
        uids.dedup();
        Self { uids, group }
    }

    /// `Ok` when the peer may use the socket, else the reason it may not.
    pub fn check(&self, peer: &Peer) -> Result<(), String> {
        if self.uids.contains(&peer.uid) || peer.gid == self.group {
            return Ok(());
        }
        let groups = peer.pid.map(supplementary_groups).unwrap_or_default();
        if groups.contains(&self.group) {
            return Ok(());
        }
        Err(format!(
            "uid {} is not root, not the daemon's user and not in the control socket's group \
             (gid {})",
            peer.uid, self.group
        ))
    }
}

/// The peer's supplementary groups, from `/proc/PID/status` (SO_PEERCRED has only the primary).
fn supplementary_groups(pid: i32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    parse_groups_line(&status)
}

/// Extracts the `Groups:` line of a `/proc/PID/status` text.
fn parse_groups_line(status: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The length-delimited framing with the raised frame limit.
fn framing() -> length_delimited::Builder {
    let mut b = LengthDelimitedCodec::builder();
    b.max_frame_length(MAX_FRAME_BYTES);
    b
}

/// Connects to the daemon's control socket. The error is the raw connect error, so callers
/// can tell "not running" (ENOENT, ECONNREFUSED) from "permission denied" (EACCES).
pub async fn connect(path: &Path) -> io::Result<ControlClient> {
    let stream = UnixStream::connect(path).await?;
    Ok(client_over(stream))
}

/// A client over an already connected stream (must run inside a tokio runtime).
pub fn client_over(stream: UnixStream) -> ControlClient {
    let transport = serde_transport::new(framing().new_framed(stream), Bincode::default());
    ControlClient::new(client::Config::default(), transport).spawn()
}

/// Serves the control service on `listener` until the listener fails for good.
///
/// `make` builds the handler for each admitted connection from its peer credentials (so
/// handlers can log who did what). Refused peers get a `PermissionDenied` server error on
/// every request instead of a silent hang-up, so pmtactl can say why.
///
/// Every connection and request runs inside the returned future (no `tokio::spawn`): the
/// generated service futures are not `Send` in generic code, and control traffic is light.
pub async fn serve<S, F>(listener: UnixListener, policy: PeerPolicy, mut make: F)
where
    S: Control + Clone + 'static,
    F: FnMut(Peer) -> S,
{
    let mut connections = FuturesUnordered::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => connections.push(connection(stream, &policy, &mut make)),
                Err(e) => accept_failed(e).await,
            },
            Some(()) = connections.next(), if !connections.is_empty() => {}
        }
    }
}

/// Accept errors (EMFILE, ECONNABORTED) are transient: log, pause briefly, go on.
async fn accept_failed(e: io::Error) {
    tracing::warn!("control socket: accept failed: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// One connection: the service for an admitted peer, a refusal for anyone else.
fn connection<S, F>(
    stream: UnixStream,
    policy: &PeerPolicy,
    make: &mut F,
) -> impl Future<Output = ()> + use<S, F>
where
    S: Control + Clone + 'static,
    F: FnMut(Peer) -> S,
{
    let verdict = stream
        .peer_cred()
        .map_err(|e| format!("cannot read peer credentials: {e}"))
        .and_then(|c| {
            let peer = Peer {
                uid: c.uid(),
                gid: c.gid(),
                pid: c.pid(),
            };
            policy.check(&peer).map(|()| peer)
        });
    let transport = serde_transport::new(framing().new_framed(stream), Bincode::default());
    let channel = BaseChannel::with_defaults(transport);
    let limit = MAX_CONCURRENT_PER_CONNECTION;
    match verdict {
        Ok(peer) => futures::future::Either::Left(
            channel
                .execute(make(peer).serve())
                .for_each_concurrent(limit, |request| request),
        ),
        Err(reason) => {
            tracing::warn!("control socket: refused a client: {reason}");
            futures::future::Either::Right(
                channel
                    .execute(Refusal(reason.into()))
                    .for_each_concurrent(limit, |request| request),
            )
        }
    }
}

/// A service answering every request with `PermissionDenied` and the reason.
///
/// A named type rather than a closure: its future must be visibly `Send` to callers that
/// spawn [`serve`].
#[derive(Debug, Clone)]
struct Refusal(std::sync::Arc<str>);

impl tarpc::server::Serve for Refusal {
    type Req = ControlRequest;
    type Resp = ControlResponse;

    async fn serve(
        self,
        _: tarpc::context::Context,
        _: ControlRequest,
    ) -> Result<ControlResponse, ServerError> {
        let detail = format!("{REFUSAL_PREFIX}{}", self.0);
        Err(ServerError::new(io::ErrorKind::PermissionDenied, detail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_owner_and_group_members_are_admitted() {
        let policy = PeerPolicy::new(vec![1000], 1500);
        let peer = |uid, gid| Peer {
            uid,
            gid,
            pid: None,
        };
        assert!(policy.check(&peer(0, 0)).is_ok());
        assert!(policy.check(&peer(1000, 1000)).is_ok());
        assert!(policy.check(&peer(2000, 1500)).is_ok());
        let refused = policy.check(&peer(65534, 65534)).unwrap_err();
        assert!(refused.contains("uid 65534"), "{refused}");
    }

    #[test]
    fn supplementary_groups_come_from_proc_status() {
        let status = "Name:\tx\nUid:\t1\t1\t1\t1\nGroups:\t4 24 1500 \nVmPeak:\t1 kB\n";
        assert_eq!(parse_groups_line(status), vec![4, 24, 1500]);
        assert!(parse_groups_line("Name:\tx\n").is_empty());
        // Our own process: its groups parse (root in CI may have none, which is fine).
        let own = supplementary_groups(std::process::id() as i32);
        assert!(own.iter().all(|&g| g < u32::MAX));
    }
}
