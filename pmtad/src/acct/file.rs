//! One accounting file on disk: naming, header, torn-tail repair, rotation.
//!
//! Like PowerMTA, `<acct-file /var/log/pmta/acct.csv>` writes `acct-YYYY-MM-DD-NNNN.csv`
//! beside the configured path; the sequence number grows when `max-size` is reached, a new
//! date starts at (UTC) midnight, and with `move-to` finished files are renamed into that
//! directory. Each batch of records goes out in one `write` of whole lines; a failed write is
//! cut back to the last complete line and kept pending, so nothing is lost and no reader ever
//! sees a broken line. A torn line left by a crash is cut off when the file is reopened.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::AcctError;
use super::encode::Encoder;
use super::options::AcctFileOptions;
use super::record::AcctRecord;
use crate::bouncecat::BounceCategories;
use crate::logs::clock::{self, DAY};

/// An open accounting file.
#[derive(Debug)]
pub struct AcctFile {
    opts: AcctFileOptions,
    enc: Encoder,
    names: Naming,
    file: File,
    current: PathBuf,
    day: u64,
    seq: u32,
    size: u64,
    opened_at: u64,
    /// Bytes formatted but not yet written (non-empty only after a write error).
    pending: Vec<u8>,
}

impl AcctFile {
    /// Opens today's file, continuing the newest one when its header matches.
    pub fn open(opts: &AcctFileOptions, now: u64) -> Result<AcctFile, AcctError> {
        let enc = Encoder::new(opts)?;
        let names = Naming::new(&opts.path);
        let day = now / DAY;
        let seq = first_seq(&names, now, opts.move_to.as_deref());
        let header = enc.header()?;
        let (file, current, seq, size) = open_continuing(&names, now, seq, &header)?;
        let f = AcctFile {
            opts: opts.clone(),
            enc,
            names,
            file,
            current,
            day,
            seq,
            size,
            opened_at: now,
            pending: Vec::new(),
        };
        f.delete_old(now);
        Ok(f)
    }

    /// The file being written now.
    pub fn current_path(&self) -> &Path {
        &self.current
    }

    /// The configured path (identifies the file for `rotate acct FILE`).
    pub fn configured_path(&self) -> &Path {
        &self.opts.path
    }

    /// True when a previous write failed and bytes are still waiting.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Formats the records this file takes into the pending buffer.
    pub fn append(
        &mut self,
        recs: &[&AcctRecord],
        bounce: &BounceCategories,
    ) -> Result<(), AcctError> {
        self.pending = self
            .enc
            .append(recs, bounce, std::mem::take(&mut self.pending))?;
        Ok(())
    }

    /// Writes the pending bytes in one call; on failure cuts the file back to its last
    /// complete line and keeps the bytes for the next try.
    pub fn flush(&mut self) -> Result<(), AcctError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.file.write_all(&self.pending) {
            let _ = self.file.set_len(self.size);
            return Err(self.io_err(e));
        }
        self.size += self.pending.len() as u64;
        self.pending.clear();
        if self.opts.sync {
            self.file.sync_data().map_err(|e| self.io_err(e))?;
        }
        Ok(())
    }

    /// Forces the written bytes to disk (shutdown, rotation).
    pub fn sync(&mut self) -> Result<(), AcctError> {
        self.flush()?;
        self.file.sync_all().map_err(|e| self.io_err(e))
    }

    /// True when the file should be finished: a new day, `max-size`, or `move-interval`.
    pub fn rotation_due(&self, now: u64) -> bool {
        now / DAY != self.day
            || self.size >= self.opts.max_size
            || (self.opts.move_to.is_some()
                && now.saturating_sub(self.opened_at) >= self.opts.move_interval.as_secs())
    }

    /// Seconds since the epoch when [`Self::rotation_due`] turns true by time alone.
    pub fn next_deadline(&self) -> u64 {
        let midnight = (self.day + 1) * DAY;
        match self.opts.move_to {
            Some(_) => midnight.min(self.opened_at + self.opts.move_interval.as_secs().max(1)),
            None => midnight,
        }
    }

    /// Finishes the current file (synced, moved if `move-to`) and starts the next one.
    pub fn rotate(&mut self, now: u64) -> Result<(), AcctError> {
        self.sync()?;
        if let Some(dir) = &self.opts.move_to {
            let dest = dir.join(self.current.file_name().unwrap_or_default());
            fs::rename(&self.current, &dest).map_err(|e| self.io_err(e))?;
        }
        let seq = if now / DAY == self.day {
            self.seq + 1
        } else {
            0
        };
        let header = self.enc.header()?;
        let (file, current, seq, size) = open_continuing(&self.names, now, seq, &header)?;
        (self.file, self.current, self.seq, self.size) = (file, current, seq, size);
        self.day = now / DAY;
        self.opened_at = now;
        self.delete_old(now);
        Ok(())
    }

    /// `delete-after`: without `move-to`, removes this file's old generations.
    fn delete_old(&self, now: u64) {
        let (None, Some(age)) = (&self.opts.move_to, self.opts.delete_after) else {
            return;
        };
        for path in self.names.generations(&self.names.dir) {
            if path == self.current || !older_than(&path, now, age.as_secs()) {
                continue;
            }
            if let Err(e) = fs::remove_file(&path) {
                tracing::warn!("cannot delete old accounting file {}: {e}", path.display());
            }
        }
    }

    fn io_err(&self, source: std::io::Error) -> AcctError {
        AcctError::Io {
            path: self.current.clone(),
            source,
        }
    }
}

/// Today's newest generation if it is still here (to continue it), else the number after
/// the newest one moved away, so a moved file is never overwritten by a later move.
fn first_seq(names: &Naming, now: u64, move_to: Option<&Path>) -> u32 {
    match names.newest_seq(now, move_to) {
        None => 0,
        Some(n) if names.path(now, n).exists() => n,
        Some(n) => n + 1,
    }
}

fn older_than(path: &Path, now: u64, age: u64) -> bool {
    let modified = fs::metadata(path).and_then(|m| m.modified());
    let secs = modified
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(now, |d| d.as_secs());
    now.saturating_sub(secs) > age
}

/// Opens `seq` for `now`'s date; if it holds another header (the configuration changed),
/// moves on to the next sequence number. Returns the file, its path, seq and size.
fn open_continuing(
    names: &Naming,
    now: u64,
    mut seq: u32,
    header: &[u8],
) -> Result<(File, PathBuf, u32, u64), AcctError> {
    loop {
        let path = names.path(now, seq);
        let io = |source| AcctError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io)?;
        let mut size = repair_tail(&mut file).map_err(io)?;
        if size == 0 {
            file.write_all(header).map_err(io)?;
            size = header.len() as u64;
        } else if !starts_with_header(&mut file, header).map_err(io)? {
            seq += 1;
            continue;
        }
        return Ok((file, path, seq, size));
    }
}

fn starts_with_header(file: &mut File, header: &[u8]) -> std::io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut first = Vec::new();
    BufReader::new(&mut *file).read_until(b'\n', &mut first)?;
    Ok(first == header)
}

/// Cuts a torn last line (no final newline) left by a crash; returns the resulting length.
pub fn repair_tail(file: &mut File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let start = len.saturating_sub(64 * 1024);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::with_capacity((len - start) as usize);
    file.read_to_end(&mut tail)?;
    if tail.last() == Some(&b'\n') {
        return Ok(len);
    }
    let keep = match tail.iter().rposition(|b| *b == b'\n') {
        Some(i) => start + i as u64 + 1,
        None if start == 0 => 0,
        None => return repair_long_tail(file),
    };
    file.set_len(keep)?;
    Ok(keep)
}

/// Slow path of [`repair_tail`] for a torn line longer than the tail window.
fn repair_long_tail(file: &mut File) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut all = Vec::new();
    file.read_to_end(&mut all)?;
    let keep = all
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i as u64 + 1);
    file.set_len(keep)?;
    Ok(keep)
}

/// `DIR/STEM.EXT` -> `DIR/STEM-YYYY-MM-DD-NNNN.EXT`.
#[derive(Debug, Clone)]
struct Naming {
    dir: PathBuf,
    stem: String,
    ext: String,
}

impl Naming {
    fn new(path: &Path) -> Naming {
        let dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let stem = path
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let ext = path
            .extension()
            .map_or(String::new(), |e| format!(".{}", e.to_string_lossy()));
        Naming { dir, stem, ext }
    }

    fn path(&self, now: u64, seq: u32) -> PathBuf {
        let date = clock::date(now);
        self.dir
            .join(format!("{}-{date}-{seq:04}{}", self.stem, self.ext))
    }

    /// The highest sequence number already used today, here or in `move_to`.
    fn newest_seq(&self, now: u64, move_to: Option<&Path>) -> Option<u32> {
        let prefix = format!("{}-{}-", self.stem, clock::date(now));
        std::iter::once(self.dir.as_path())
            .chain(move_to)
            .flat_map(|d| self.generations(d))
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_string();
                name.strip_prefix(&prefix)?
                    .strip_suffix(&self.ext)?
                    .parse::<u32>()
                    .ok()
            })
            .max()
    }

    /// Files in `dir` named like this file's generations.
    fn generations(&self, dir: &Path) -> Vec<PathBuf> {
        let Ok(rd) = fs::read_dir(dir) else {
            return Vec::new();
        };
        rd.filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| self.is_generation(n))
            })
            .collect()
    }

    fn is_generation(&self, name: &str) -> bool {
        let Some(rest) = name
            .strip_prefix(self.stem.as_str())
            .and_then(|r| r.strip_suffix(self.ext.as_str()))
        else {
            return false;
        };
        // "-YYYY-MM-DD-NNNN"
        rest.len() == 16
            && rest.starts_with('-')
            && rest[1..].bytes().all(|b| b.is_ascii_digit() || b == b'-')
    }
}
