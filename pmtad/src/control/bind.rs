//! Creating the control socket safely: one daemon per socket, stale sockets replaced,
//! mode 0660, and the file removed again when the service stops.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proto::socket::PeerPolicy;
use tokio::net::{UnixListener, UnixStream};

use super::Backend;
use super::handlers::ControlServer;

/// Why the control socket could not be set up; each names the path and the way out.
#[derive(Debug, thiserror::Error)]
pub enum ControlSocketError {
    #[error("another pmtad answers on the control socket {0}; refusing to start a second one")]
    AlreadyRunning(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it (fix control-socket)")]
    NotASocket(PathBuf),
    #[error("cannot create the control socket directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot remove the stale control socket {path}: {source}")]
    RemoveStale { path: PathBuf, source: io::Error },
    #[error("cannot bind the control socket {path}: {source}")]
    Bind { path: PathBuf, source: io::Error },
    #[error("cannot set mode 0660 on the control socket {path}: {source}")]
    Permissions { path: PathBuf, source: io::Error },
}

/// A bound control socket, ready to serve.
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    policy: PeerPolicy,
    file: SocketFile,
}

/// Removes the socket file when the service stops, unless another process replaced it since.
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    inode: (u64, u64),
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours =
            std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.inode);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl ControlSocket {
    /// Binds `path` with mode 0660, creating its directory if needed.
    ///
    /// An existing socket that nobody answers on is stale (a crash left it) and is replaced;
    /// one that answers belongs to a running daemon and makes this fail.
    pub async fn bind(path: &Path) -> Result<Self, ControlSocketError> {
        create_parent(path)?;
        clear_stale(path).await?;
        let listener = UnixListener::bind(path).map_err(|source| ControlSocketError::Bind {
            path: path.into(),
            source,
        })?;
        let perm = |source| ControlSocketError::Permissions {
            path: path.into(),
            source,
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(perm)?;
        let meta = std::fs::symlink_metadata(path).map_err(perm)?;
        let policy = PeerPolicy::for_socket(path).map_err(perm)?;
        let file = SocketFile {
            path: path.into(),
            inode: (meta.dev(), meta.ino()),
        };
        Ok(Self {
            listener,
            policy,
            file,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Serves the control service until the future is dropped (the daemon aborts it at
    /// shutdown), then removes the socket file.
    pub async fn serve<B: Backend>(self, backend: Arc<B>) {
        let Self {
            listener,
            policy,
            file,
        } = self;
        proto::socket::serve(listener, policy, move |peer| {
            ControlServer::new(Arc::clone(&backend), peer)
        })
        .await;
        drop(file);
    }
}

/// `/run/pmtad` does not survive a reboot; create it rather than fail.
fn create_parent(path: &Path) -> Result<(), ControlSocketError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.exists() => std::fs::create_dir_all(dir)
            .map_err(|source| ControlSocketError::CreateDir {
                path: dir.into(),
                source,
            }),
        _ => Ok(()),
    }
}

/// Removes a leftover socket after making sure no daemon answers on it.
async fn clear_stale(path: &Path) -> Result<(), ControlSocketError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(ControlSocketError::NotASocket(path.into()));
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(ControlSocketError::AlreadyRunning(path.into()));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(ControlSocketError::RemoveStale {
            path: path.into(),
            source: e,
        }),
        _ => Ok(()),
    }
}
