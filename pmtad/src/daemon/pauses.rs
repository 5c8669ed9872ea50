//! Operator pauses that survive a restart (queue rules here, paused jobs in
//! [`PausedJobsFile`]).
//!
//! `pmtactl pause queue` is a decision the operator expects to hold until they resume the
//! queue, also across a crash or an upgrade. The operator's orders (see
//! [`crate::queue::Rules`]) are kept as typed, one `ACTION PATTERN` a line (`pause
//! gmail.com/*`, `resume gmail.com/vmta1`, `backoff yahoo.com/*`), in `paused-queues` in the
//! spool directory, next to the mail they hold back. A line with a pattern alone is a pause
//! (the format of earlier versions). The file is replaced atomically (write a
//! temporary file, fsync, rename, fsync the directory), so a crash leaves the old or the new
//! list, never half of one.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use proto::QueuePattern;

use crate::queue::{Rule, RuleAction};

/// Name of the file in the spool directory.
pub const FILE_NAME: &str = "paused-queues";

/// Why the pause list could not be read or written; names the file.
#[derive(Debug, thiserror::Error)]
pub enum PauseFileError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}:{line}: not a queue name: {text:?}")]
    Malformed {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The pause list file of a spool directory.
#[derive(Debug, Clone)]
pub struct PauseFile {
    path: PathBuf,
}

impl PauseFile {
    pub fn in_spool(spool_dir: &Path) -> Self {
        Self {
            path: spool_dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The persisted pauses; none when the file does not exist (nothing was ever paused).
    pub fn load(&self) -> Result<Vec<Rule>, PauseFileError> {
        parse(&self.path, &read_if_there(&self.path)?)
    }

    /// Replaces the file with `rules`, durably. Blocking: call from `spawn_blocking`.
    pub fn store(&self, rules: &[Rule]) -> Result<(), PauseFileError> {
        replace_durably(&self.path, &render(rules))
    }
}

/// The file's text; empty when it does not exist (nothing was ever paused).
fn read_if_there(path: &Path) -> Result<String, PauseFileError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(PauseFileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Replaces `path` with `text`: a temporary file written and fsynced, renamed over it, the
/// directory fsynced; a crash leaves the old or the new content.
pub(super) fn replace_durably(path: &Path, text: &str) -> Result<(), PauseFileError> {
    let err = |source| PauseFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(err)?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(err)?;
    }
    Ok(())
}

/// Paused jobs (`pmtactl pause job`), kept like the queue pauses: `paused-jobs` in the
/// spool directory, one job id a line, replaced atomically.
#[derive(Debug, Clone)]
pub struct PausedJobsFile {
    path: PathBuf,
}

/// Name of the paused jobs file in the spool directory.
pub const JOBS_FILE_NAME: &str = "paused-jobs";

impl PausedJobsFile {
    pub fn in_spool(spool_dir: &Path) -> Self {
        Self {
            path: spool_dir.join(JOBS_FILE_NAME),
        }
    }

    /// The paused job ids; none when the file does not exist.
    pub fn load(&self) -> Result<Vec<String>, PauseFileError> {
        let text = read_if_there(&self.path)?;
        let jobs = text.lines().map(str::trim);
        Ok(jobs
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect())
    }

    /// Replaces the file with `jobs`, durably (ids with line breaks cannot be jobs of
    /// received mail and are left out). Blocking: call from `spawn_blocking`.
    pub fn store(&self, jobs: &[String]) -> Result<(), PauseFileError> {
        let mut text =
            String::from("# Paused jobs (pmtactl pause job), one a line; written by pmtad.\n");
        for j in jobs.iter().filter(|j| !j.contains(['\n', '\r'])) {
            text.push_str(j.trim());
            text.push('\n');
        }
        replace_durably(&self.path, &text)
    }
}

fn render(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# Operator pauses and modes (pmtactl), last matching line wins; written by pmtad.\n",
    );
    for r in rules {
        out.push_str(&format!("{} {}\n", r.action.as_str(), r.pattern));
    }
    out
}

/// `ACTION PATTERN`, or a pattern alone (a pause).
fn parse_line(line: &str) -> Option<Rule> {
    let (action, pattern) = match line.split_once(char::is_whitespace) {
        Some((word, rest)) => (RuleAction::parse(word)?, rest.trim()),
        None => (RuleAction::Pause, line),
    };
    let pattern = QueuePattern::parse(pattern).ok()?;
    Some(Rule { action, pattern })
}

fn parse(path: &Path, text: &str) -> Result<Vec<Rule>, PauseFileError> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let rule = parse_line(line).ok_or_else(|| PauseFileError::Malformed {
            path: path.to_path_buf(),
            line: i + 1,
            text: line.to_string(),
        })?;
        rules.push(rule);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_a_missing_file_means_no_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let file = PauseFile::in_spool(dir.path());
        assert!(file.load().unwrap().is_empty());
        let rule = |action, p| Rule {
            action,
            pattern: QueuePattern::parse(p).unwrap(),
        };
        let rules = vec![
            rule(RuleAction::Pause, "gmail.com/*"),
            rule(RuleAction::Resume, "gmail.com/vmta1"),
            rule(RuleAction::Backoff, "*.example.com"),
        ];
        file.store(&rules).unwrap();
        assert_eq!(file.load().unwrap(), rules);
        file.store(&[]).unwrap();
        assert!(file.load().unwrap().is_empty());
        assert!(!dir.path().join("paused-queues.tmp").exists());
    }

    #[test]
    fn paused_jobs_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = PausedJobsFile::in_spool(dir.path());
        assert!(file.load().unwrap().is_empty());
        file.store(&["c42".into(), "bad\nid".into(), "c43".into()])
            .unwrap();
        assert_eq!(file.load().unwrap(), ["c42", "c43"]);
        file.store(&[]).unwrap();
        assert!(file.load().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_line_is_an_error_naming_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = PauseFile::in_spool(dir.path());
        std::fs::write(file.path(), "# c\na.com/v\nbad/x/y\n").unwrap();
        let err = file.load().unwrap_err().to_string();
        assert!(err.contains("paused-queues:3"), "{err}");
        std::fs::write(file.path(), "a.com/v\nstop b.com\n").unwrap();
        let err = file.load().unwrap_err().to_string();
        assert!(err.contains("paused-queues:2"), "{err}");
        std::fs::write(file.path(), "a.com/v\n").unwrap();
        assert_eq!(
            file.load().unwrap()[0].action,
            RuleAction::Pause,
            "old format"
        );
    }
}
