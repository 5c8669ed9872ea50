//! Whether pmtad can create files where the configuration says: the directory of a file
//! path, and a probe that creates and removes a file there.
//!
//! Both the accounting check and the log files' check use it before anything is opened, so
//! it belongs to neither and sits below both.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The directory a file path lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates and removes a probe file in `dir`: the only reliable test of writability
/// (permission bits lie for root, read-only mounts, ACLs).
pub fn probe_writable_dir(dir: &Path) -> Result<(), String> {
    static N: AtomicU64 = AtomicU64::new(0);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a directory", dir.display())),
        Err(e) => return Err(format!("directory {}: {e}", dir.display())),
    }
    let n = N.fetch_add(1, Ordering::Relaxed);
    let probe = dir.join(format!(".pmtad-probe-{}-{n}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| format!("cannot create files in {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
