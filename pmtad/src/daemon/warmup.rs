//! IP warm-up: `cold-virtual-mta` + `max-cold-virtual-mta-msg`.
//!
//! Mail injected into a warm virtual MTA that names a cold one goes through the cold one
//! while the recipient queue's daily allowance lasts (messages per queue domain per UTC day,
//! the allowance list indexed by the day of the cold virtual MTA's use, its last value
//! repeating), then through the warm one. The counts and each cold virtual MTA's first day
//! live in `warmup` in the spool directory, rewritten (fsynced, renamed into place) whenever
//! a message is counted: allowances are small by nature, so this is a few writes per
//! warm-up message at most, and a restart keeps what the day already used.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Seconds per day: days are UTC days since the epoch.
const DAY: u64 = 86_400;

/// Errors reading or writing the warm-up file.
#[derive(Debug, thiserror::Error)]
pub enum WarmupError {
    #[error("warm-up counters {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("warm-up counters {path}:{line}: cannot read {text:?}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

/// What the file holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counts {
    /// The UTC day `used` counts.
    day: u64,
    /// Cold virtual MTA -> the first day it carried mail.
    first: HashMap<String, u64>,
    /// (cold virtual MTA, queue domain) -> messages sent through it on `day`.
    used: HashMap<(String, String), u64>,
}

/// The persistent warm-up counters of one spool.
#[derive(Debug)]
pub struct Warmup {
    path: PathBuf,
    counts: Mutex<Counts>,
}

/// One cold virtual MTA's day, for `show vmtas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColdDay {
    /// 1 on its first day of use.
    pub day_of_use: u64,
    /// Messages it took today, over all domains.
    pub used_today: u64,
}

impl Warmup {
    /// Reads `warmup` in `spool_dir` (absent: nothing used yet).
    pub fn open(spool_dir: &Path) -> Result<Warmup, WarmupError> {
        let path = spool_dir.join("warmup");
        let counts = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&path, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Counts::default(),
            Err(source) => return Err(WarmupError::Io { path, source }),
        };
        Ok(Warmup {
            path,
            counts: Mutex::new(counts),
        })
    }

    /// Counts one message of `domain`'s queue for `cold` at `now` (Unix seconds) when the
    /// allowance of the day (`allowance` by day of use, last repeating; empty = none) is
    /// not used up; true when the message goes through `cold`.
    pub fn take(&self, cold: &str, domain: &str, allowance: &[u64], now: u64) -> bool {
        let Some(&last) = allowance.last() else {
            return false;
        };
        let today = now / DAY;
        let mut c = crate::locks::lock(&self.counts);
        if c.day != today {
            c.day = today;
            c.used.clear();
        }
        let first = c.first.get(cold).copied().unwrap_or(today);
        let index = usize::try_from(today.saturating_sub(first)).unwrap_or(usize::MAX);
        let limit = allowance.get(index).copied().unwrap_or(last);
        let key = (cold.to_string(), domain.to_string());
        let used = c.used.get(&key).copied().unwrap_or(0);
        if used >= limit {
            return false;
        }
        c.first.entry(cold.to_string()).or_insert(today);
        c.used.insert(key, used + 1);
        if let Err(e) = self.save(&c) {
            tracing::error!("{e}");
        }
        true
    }

    /// How far `cold` is into its warm-up at `now`, None before its first message.
    pub fn cold_day(&self, cold: &str, now: u64) -> Option<ColdDay> {
        let today = now / DAY;
        let c = crate::locks::lock(&self.counts);
        let first = *c.first.get(cold)?;
        let used_today = if c.day == today {
            c.used
                .iter()
                .filter(|((v, _), _)| v == cold)
                .map(|(_, n)| n)
                .sum()
        } else {
            0
        };
        Some(ColdDay {
            day_of_use: today.saturating_sub(first) + 1,
            used_today,
        })
    }

    fn save(&self, c: &Counts) -> Result<(), WarmupError> {
        let io = |source| WarmupError::Io {
            path: self.path.clone(),
            source,
        };
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(render(c).as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

/// `day D`, `first COLD D`, `used COLD DOMAIN N` lines.
fn render(c: &Counts) -> String {
    let mut out = format!("day {}\n", c.day);
    let mut first: Vec<_> = c.first.iter().collect();
    first.sort();
    for (v, d) in first {
        out.push_str(&format!("first {v} {d}\n"));
    }
    let mut used: Vec<_> = c.used.iter().collect();
    used.sort();
    for ((v, d), n) in used {
        out.push_str(&format!("used {v} {d} {n}\n"));
    }
    out
}

fn parse(path: &Path, text: &str) -> Result<Counts, WarmupError> {
    let mut c = Counts::default();
    for (i, line) in text.lines().enumerate() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| s.parse::<u64>().ok();
        let ok = match w.as_slice() {
            [] => Some(()),
            ["day", d] => num(d).map(|d| c.day = d),
            ["first", v, d] => num(d).map(|d| {
                c.first.insert(v.to_string(), d);
            }),
            ["used", v, dom, n] => num(n).map(|n| {
                c.used.insert((v.to_string(), dom.to_string()), n);
            }),
            _ => None,
        };
        if ok.is_none() {
            return Err(WarmupError::Corrupt {
                path: path.to_path_buf(),
                line: i + 1,
                text: line.to_string(),
            });
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowance_by_day_of_use_last_repeats_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let day0 = 20_000 * DAY + 3600;
        let w = Warmup::open(dir.path()).unwrap();
        let list = [2, 3];
        let sent: Vec<bool> = (0..3)
            .map(|_| w.take("cold", "a.test", &list, day0))
            .collect();
        assert_eq!(sent, [true, true, false]);
        assert!(w.take("cold", "b.test", &list, day0), "per domain");
        assert_eq!(w.cold_day("cold", day0).unwrap().used_today, 3);
        drop(w);
        let w = Warmup::open(dir.path()).unwrap();
        assert!(
            !w.take("cold", "a.test", &list, day0 + 60),
            "kept across a restart"
        );
        let day1 = day0 + DAY;
        let n = (0..5)
            .filter(|_| w.take("cold", "a.test", &list, day1))
            .count();
        assert_eq!(n, 3, "day 2 allowance");
        let day9 = day0 + 9 * DAY;
        let n = (0..5)
            .filter(|_| w.take("cold", "a.test", &list, day9))
            .count();
        assert_eq!(n, 3, "the last value repeats");
        assert_eq!(w.cold_day("cold", day9).unwrap().day_of_use, 10);
        assert!(
            !w.take("cold", "a.test", &[], day9),
            "no allowance, no warm-up mail"
        );
    }

    #[test]
    fn a_corrupt_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("warmup"), "day x\n").unwrap();
        assert!(matches!(
            Warmup::open(dir.path()),
            Err(WarmupError::Corrupt { line: 1, .. })
        ));
    }
}
