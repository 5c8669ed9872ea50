//! Segment files: naming, the fixed header, creation with the directory fsync it needs.
//!
//! Layout of a spool directory:
//! ```text
//! segments/<n:016x>.seg   append-only log segment (header + frames)
//! segments/<n:016x>.hint  summary of a sealed segment: every PUT without content, every STATE
//! big/<id:016x>           content of a message larger than the spill threshold
//! tmp/                    content being received (spilled), removed at open
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::SpoolError;

const MAGIC: &[u8; 8] = b"PMTASEG1";
/// Size of the segment header: magic, segment number, id floor, CRC, padding.
pub const HEADER_LEN: u64 = 32;

pub fn segments_dir(root: &Path) -> PathBuf {
    root.join("segments")
}
pub fn big_dir(root: &Path) -> PathBuf {
    root.join("big")
}
pub fn tmp_dir(root: &Path) -> PathBuf {
    root.join("tmp")
}
pub fn seg_path(root: &Path, n: u64) -> PathBuf {
    segments_dir(root).join(format!("{n:016x}.seg"))
}
pub fn hint_path(root: &Path, n: u64) -> PathBuf {
    segments_dir(root).join(format!("{n:016x}.hint"))
}
pub fn big_path(root: &Path, id: u64) -> PathBuf {
    big_dir(root).join(format!("{id:016x}"))
}

/// `SPOOL/clean`: written by a clean stop once every completion is synced, removed at the
/// next start. Its absence at start means the last run ended without one (kill -9, crash,
/// power loss), so completions not yet synced then may be delivered again.
fn clean_mark(root: &Path) -> PathBuf {
    root.join("clean")
}

/// Marks the spool as stopped cleanly (best effort: without it a restart only assumes
/// re-deliveries that did not happen).
pub fn mark_clean(root: &Path) {
    let mark = clean_mark(root);
    if let Err(e) = File::create(&mark).and_then(|f| f.sync_all()) {
        tracing::warn!(path = %mark.display(), error = %e, "spool: could not mark a clean stop");
    }
    let _ = fsync_dir(root);
}

/// Whether the last run stopped cleanly; removes the mark so the next start asks afresh.
pub fn take_clean(root: &Path) -> bool {
    let mark = clean_mark(root);
    let clean = fs::remove_file(&mark).is_ok();
    if clean {
        let _ = fsync_dir(root);
    }
    clean
}

/// Makes a directory entry durable (new or renamed files inside `dir`).
pub fn fsync_dir(dir: &Path) -> Result<(), SpoolError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| SpoolError::io("syncing directory", dir, e))
}

/// Creates the directory tree of a spool (idempotent) and makes it durable.
pub fn create_layout(root: &Path) -> Result<(), SpoolError> {
    for d in [
        root.to_path_buf(),
        segments_dir(root),
        big_dir(root),
        tmp_dir(root),
    ] {
        fs::create_dir_all(&d).map_err(|e| SpoolError::io("creating directory", &d, e))?;
    }
    for d in [segments_dir(root), big_dir(root), tmp_dir(root)] {
        fsync_dir(&d)?;
    }
    fsync_dir(root)
}

fn header_bytes(n: u64, id_floor: u64) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..16].copy_from_slice(&n.to_le_bytes());
    h[16..24].copy_from_slice(&id_floor.to_le_bytes());
    let crc = crc32fast::hash(&h[..24]);
    h[24..28].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Parses a segment header, returning the id floor (every id allocated before the segment was
/// created is below it, so ids are never reused even after older segments are gone).
pub fn parse_header(buf: &[u8], n: u64) -> Result<u64, &'static str> {
    let h = buf
        .get(..HEADER_LEN as usize)
        .ok_or("segment shorter than header")?;
    if &h[..8] != MAGIC {
        return Err("bad segment magic");
    }
    let crc = u32::from_le_bytes(h[24..28].try_into().expect("4"));
    if crc32fast::hash(&h[..24]) != crc {
        return Err("segment header checksum mismatch");
    }
    if u64::from_le_bytes(h[8..16].try_into().expect("8")) != n {
        return Err("segment number does not match file name");
    }
    Ok(u64::from_le_bytes(h[16..24].try_into().expect("8")))
}

/// Creates segment `n`, writes and syncs its header, and fsyncs the directory so records
/// acknowledged in it can be found after a crash.
pub fn create_segment(root: &Path, n: u64, id_floor: u64) -> Result<File, SpoolError> {
    let path = seg_path(root, n);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| SpoolError::io("creating segment", &path, e))?;
    let res = f
        .write_all(&header_bytes(n, id_floor))
        .and_then(|_| f.sync_data());
    if let Err(e) = res {
        let _ = fs::remove_file(&path);
        return Err(SpoolError::io("writing segment header", &path, e));
    }
    fsync_dir(&segments_dir(root))?;
    Ok(f)
}

/// Segment numbers present in the spool, ascending.
pub fn list_segments(root: &Path) -> Result<Vec<u64>, SpoolError> {
    let dir = segments_dir(root);
    let rd = fs::read_dir(&dir).map_err(|e| SpoolError::io("listing segments", &dir, e))?;
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| SpoolError::io("listing segments", &dir, e))?;
        let name = ent.file_name();
        let Some(stem) = name.to_str().and_then(|s| s.strip_suffix(".seg")) else {
            continue;
        };
        if let Ok(n) = u64::from_str_radix(stem, 16) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}
