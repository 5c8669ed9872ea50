//! An exclusive lock on the spool directory, so two daemons never write one spool.
//!
//! Two writers appending to the same segment log would interleave records and each would
//! recover the other's half-written tail as torn, losing acknowledged mail. The control socket
//! already refuses a second daemon that shares it, but a second daemon with another config
//! (another socket, the same `spool`) would not notice; this lock is the guard that covers
//! every case. It is an advisory `flock` on `SPOOL/lock`: the kernel drops it when the process
//! dies, so a `kill -9` never leaves a stale lock behind, and the file carries the holder's
//! pid only to make the error message useful.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::SpoolError;

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
}

/// Takes the lock on `root` (creating the directory if needed), or says who holds it.
pub fn acquire(root: &Path) -> Result<SpoolLock, SpoolError> {
    std::fs::create_dir_all(root).map_err(|e| SpoolError::io("creating directory", root, e))?;
    let path = root.join("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| SpoolError::io("opening", &path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(SpoolError::Locked {
                path,
                holder: holder(&mut file),
            });
        }
        Err(TryLockError::Error(e)) => return Err(SpoolError::io("locking", &path, e)),
    }
    write_pid(&mut file).map_err(|e| SpoolError::io("writing", &path, e))?;
    Ok(SpoolLock { _file: file })
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())
}

/// The pid written by the holder, for the error message.
fn holder(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file.read_to_string(&mut s);
    match s.trim() {
        "" => "another process".to_string(),
        pid => format!("process {pid}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        let err = acquire(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, SpoolError::Locked { .. }), "{msg}");
        assert!(
            msg.contains(&format!("process {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        acquire(dir.path()).expect("free again once dropped");
    }
}
