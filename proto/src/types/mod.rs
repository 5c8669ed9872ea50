//! Request and response types of the control protocol.
//!
//! Their serde form is pmtactl's `--json` output: field names are snake_case, units are in
//! the name (`kbytes` = KiB rounded up, `_secs` = seconds), times are RFC 3339 UTC strings
//! (see [`crate::time`]), `null` means "none" or, for limits, "unlimited". Fields are only
//! ever appended, and each addition bumps [`crate::PROTOCOL_VERSION`].

mod actions;
mod cluster;
mod config;
mod detail;
mod domains;
mod hello;
mod jobs;
mod logs;
mod queues;
mod returnpath;
mod status;

pub use actions::*;
pub use cluster::*;
pub use config::*;
pub use detail::*;
pub use domains::*;
pub use hello::*;
pub use jobs::*;
pub use logs::*;
pub use queues::*;
pub use returnpath::*;
pub use status::*;

use serde::{Deserialize, Serialize};

/// Delivery mode of a queue: `backoff` applies the `backoff-*` twins of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QueueMode {
    #[default]
    Normal,
    Backoff,
}

impl QueueMode {
    /// The word pmtactl prints and parses (`normal`, `backoff`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Backoff => "backoff",
        }
    }
}

/// Order of the rows of `show domains`, `show queues` and `show vmtas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// By name, ascending.
    #[default]
    Name,
    /// By queued recipients, largest first (`show topdomains`, `show topqueues`).
    Rcpts,
    /// By queued size, largest first.
    Kbytes,
}

/// A row that can be sorted by [`Sort`]: what the server needs to order and cut a listing.
pub trait Ranked {
    fn rank_name(&self) -> &str;
    fn rank_rcpts(&self) -> u64;
    fn rank_kbytes(&self) -> u64;
    /// Second key after the name (the virtual MTA of a queue), so ties sort stably.
    fn rank_tiebreak(&self) -> &str {
        ""
    }
}

/// The name-then-tiebreak key every sort falls back on.
fn name_key<T: Ranked>(row: &T) -> (&str, &str) {
    (row.rank_name(), row.rank_tiebreak())
}

/// Sorts rows and keeps the first `max_items` (0 = all); returns how many matched before the cut.
///
/// Ties are broken by name so the output is stable from one call to the next.
pub fn sort_and_limit<T: Ranked>(rows: &mut Vec<T>, sort: Sort, max_items: u32) -> u64 {
    let total = rows.len() as u64;
    match sort {
        Sort::Name => rows.sort_unstable_by(|a, b| name_key(a).cmp(&name_key(b))),
        Sort::Rcpts => rows.sort_unstable_by(|a, b| {
            (b.rank_rcpts(), name_key(a)).cmp(&(a.rank_rcpts(), name_key(b)))
        }),
        Sort::Kbytes => rows.sort_unstable_by(|a, b| {
            (b.rank_kbytes(), name_key(a)).cmp(&(a.rank_kbytes(), name_key(b)))
        }),
    }
    if max_items > 0 {
        rows.truncate(max_items as usize);
    }
    total
}

/// Bytes to the protocol's `kbytes` unit: KiB, rounded up (1 byte is 1 kbyte, as in PowerMTA).
pub fn kbytes(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, u64);
    impl Ranked for Row {
        fn rank_name(&self) -> &str {
            self.0
        }
        fn rank_rcpts(&self) -> u64 {
            self.1
        }
        fn rank_kbytes(&self) -> u64 {
            self.1 * 2
        }
    }

    #[test]
    fn sorting_is_stable_by_name_and_cut_after_counting() {
        let mut rows = vec![Row("c", 1), Row("a", 5), Row("b", 5), Row("d", 9)];
        assert_eq!(sort_and_limit(&mut rows, Sort::Rcpts, 3), 4);
        let names: Vec<_> = rows.iter().map(|r| r.0).collect();
        assert_eq!(names, ["d", "a", "b"]);
        assert_eq!(sort_and_limit(&mut rows, Sort::Name, 0), 3);
        assert_eq!(rows[0].0, "a");
    }

    #[test]
    fn kbytes_round_up() {
        assert_eq!(
            (kbytes(0), kbytes(1), kbytes(1024), kbytes(1025)),
            (0, 1, 1, 2)
        );
    }
}
