//! The main log file (`log-file PATH`): `YYYY-MM-DD HH:MM:SS text` lines.
//!
//! Rotated like PowerMTA's: at (UTC) midnight and on request, `log -> log.1 -> log.2 ...`,
//! keeping `log-rotate` old generations. Each line is one `write` of a whole line to a file
//! opened for append, so concurrent writers and a crash never interleave or tear lines
//! beyond the last one.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::LogError;
use super::clock::{self, DAY};

/// An open main log.
#[derive(Debug)]
pub struct MainLog {
    path: PathBuf,
    file: File,
    keep: u32,
    /// Day number of the lines in the current file; a later day rotates first.
    day: u64,
    line: String,
}

impl MainLog {
    /// Opens (appending to) `path`, keeping `keep` rotated generations.
    pub fn open(path: &Path, keep: u32, now: u64) -> Result<MainLog, LogError> {
        let file = open_append(path)?;
        let day = modified_secs(&file).unwrap_or(now) / DAY;
        Ok(MainLog {
            path: path.to_path_buf(),
            file,
            keep,
            day,
            line: String::with_capacity(256),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line stamped `now`, rotating first if the day changed.
    pub fn write_line(&mut self, now: u64, text: &str) -> Result<(), LogError> {
        if now / DAY != self.day {
            self.rotate(now)?;
        }
        self.line.clear();
        clock::write_stamp(&mut self.line, now);
        self.line.push(' ');
        self.line.push_str(text.trim_end_matches(['\r', '\n']));
        self.line.push('\n');
        self.file
            .write_all(self.line.as_bytes())
            .map_err(|e| io_err(&self.path, e))
    }

    /// `rotate log`: shifts the generations and starts an empty file.
    pub fn rotate(&mut self, now: u64) -> Result<(), LogError> {
        let _ = self.file.sync_all();
        shift_generations(&self.path, self.keep)?;
        self.file = open_append(&self.path)?;
        self.day = now / DAY;
        Ok(())
    }

    /// Forces written lines to disk (shutdown).
    pub fn sync(&self) -> Result<(), LogError> {
        self.file.sync_all().map_err(|e| io_err(&self.path, e))
    }
}

/// `log.(keep-1) -> log.keep`, ..., `log -> log.1`; with `keep == 0` the old log is removed.
fn shift_generations(path: &Path, keep: u32) -> Result<(), LogError> {
    let gen_path = |n: u32| PathBuf::from(format!("{}.{n}", path.display()));
    if keep == 0 {
        return fs::remove_file(path).map_err(|e| io_err(path, e));
    }
    let _ = fs::remove_file(gen_path(keep));
    for n in (1..keep).rev() {
        let from = gen_path(n);
        if from.exists() {
            fs::rename(&from, gen_path(n + 1)).map_err(|e| io_err(&from, e))?;
        }
    }
    fs::rename(path, gen_path(1)).map_err(|e| io_err(path, e))
}

pub(crate) fn open_append(path: &Path) -> Result<File, LogError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io_err(path, e))
}

fn modified_secs(file: &File) -> Option<u64> {
    let t = file.metadata().ok()?.modified().ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs())
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> LogError {
    LogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_764_072_000; // 2025-11-25 12:00:00 UTC

    #[test]
    fn lines_rotation_at_midnight_and_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = MainLog::open(&path, 2, T0).unwrap();
        log.day = T0 / DAY; // the file was just created "today" in test time
        log.write_line(T0, "pmtad started\n").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "2025-11-25 12:00:00 pmtad started\n");
        log.write_line(T0 + DAY, "next day").unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("log.1")).unwrap(), text);
        log.rotate(T0 + DAY).unwrap();
        log.rotate(T0 + DAY).unwrap();
        log.write_line(T0 + DAY, "latest").unwrap();
        assert!(
            fs::read_to_string(dir.path().join("log.2"))
                .unwrap()
                .contains("next day")
        );
        assert!(!dir.path().join("log.3").exists(), "log-rotate 2 keeps two");
        assert!(fs::read_to_string(&path).unwrap().ends_with("latest\n"));
    }
}
