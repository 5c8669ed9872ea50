//! Log settings, filled by the daemon from the config model (PowerMTA directive names).

use std::path::PathBuf;

/// `log-file`, `log-rotate`, `log-domain` and the in-memory ring's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// `log-file PATH`: the main log; `None` keeps only the ring.
    pub log_file: Option<PathBuf>,
    /// `log-rotate N` (default 8): rotated generations kept.
    pub log_rotate: u32,
    /// `log-domain PATH` with `%d` for the recipient domain.
    pub log_domain: Option<String>,
    /// Per-domain files kept open at once (least recently used are closed).
    pub max_domain_handles: usize,
    /// Recent events kept for `tail logs`.
    pub ring_capacity: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            log_file: None,
            log_rotate: 8,
            log_domain: None,
            max_domain_handles: 128,
            ring_capacity: 10_000,
        }
    }
}
