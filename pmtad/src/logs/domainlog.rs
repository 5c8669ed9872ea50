//! `log-domain PATH` with `%d`: one file of delivery events per recipient domain.
//!
//! Files are created on first use. A sender may reach tens of thousands of domains, so only
//! a bounded number of handles stay open (least recently used ones are closed); a closed
//! domain's file is simply reopened for append on its next event.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use super::LogError;
use super::clock;
use super::mainlog::{io_err, open_append};

/// The per-domain log files.
#[derive(Debug)]
pub struct DomainLogs {
    pattern: String,
    max_open: usize,
    open: HashMap<String, (File, u64)>,
    tick: u64,
    line: String,
}

impl DomainLogs {
    /// `pattern` is the `log-domain` value; `%d` expands to the (sanitised) domain.
    pub fn new(pattern: &str, max_open: usize) -> DomainLogs {
        DomainLogs {
            pattern: pattern.to_string(),
            max_open: max_open.max(1),
            open: HashMap::new(),
            tick: 0,
            line: String::with_capacity(256),
        }
    }

    /// The file for `domain`.
    pub fn path_for(&self, domain: &str) -> PathBuf {
        PathBuf::from(self.pattern.replace("%d", &safe_domain(domain)))
    }

    /// Number of handles currently open.
    pub fn open_handles(&self) -> usize {
        self.open.len()
    }

    /// Appends `YYYY-MM-DD HH:MM:SS text` to `domain`'s file.
    pub fn write(&mut self, domain: &str, now: u64, text: &str) -> Result<(), LogError> {
        let key = safe_domain(domain);
        self.tick += 1;
        if !self.open.contains_key(&key) {
            self.evict_if_full();
            let path = self.path_for(domain);
            self.open.insert(key.clone(), (open_append(&path)?, 0));
        }
        self.line.clear();
        clock::write_stamp(&mut self.line, now);
        self.line.push(' ');
        self.line.push_str(text);
        self.line.push('\n');
        let (file, used) = self.open.get_mut(&key).expect("inserted above");
        *used = self.tick;
        if let Err(e) = file.write_all(self.line.as_bytes()) {
            let path = self.path_for(domain);
            self.open.remove(&key);
            return Err(io_err(&path, e));
        }
        Ok(())
    }

    fn evict_if_full(&mut self) {
        if self.open.len() < self.max_open {
            return;
        }
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            self.open.remove(&k);
        }
    }

    /// Forces every open file to disk (shutdown).
    pub fn sync(&self) {
        for (f, _) in self.open.values() {
            let _ = f.sync_all();
        }
    }
}

/// A domain as a file-name component: lower case, and nothing that could leave the
/// directory (`/`, a leading `.`) or confuse shells; other characters become `_`.
pub fn safe_domain(domain: &str) -> String {
    let mut s: String = domain
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '.' | '_') => c,
            _ => '_',
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_domain_with_bounded_handles() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/%d.log", dir.path().display());
        let mut logs = DomainLogs::new(&pattern, 2);
        for d in ["a.com", "B.com", "c.com", "a.com"] {
            logs.write(d, 0, &format!("event for {d}")).unwrap();
            assert!(logs.open_handles() <= 2);
        }
        let a = std::fs::read_to_string(dir.path().join("a.com.log")).unwrap();
        assert_eq!(a.lines().count(), 2, "reopened for append after eviction");
        assert!(a.starts_with("1970-01-01 00:00:00 event for a.com\n"));
        assert!(dir.path().join("b.com.log").exists());
        assert_eq!(safe_domain("../etc/x"), "_.._etc_x");
    }
}
