//! The SMTP dialogue in the main log: `log-connections`, `log-commands` and `log-data` of
//! a `<source>` (inbound sessions) or a `<domain>` (outbound sessions).
//!
//! A [`SessionLog`] is made once per connection. With every flag off it holds no sink, so
//! each would-be line costs one branch and nothing is formatted or allocated; callers test
//! [`SessionLog::commands_enabled`] before building a line they would otherwise not need.
//! Lines are prefixed `(  N)` for inbound connections and `(out N)` for outbound ones;
//! `>>>` is what pmtad read from the peer, `<<<` what it wrote.

use std::fmt::Display;

use super::clock;
use super::sink::LogSink;

/// At most this many bytes of one message's content reach the log under `log-data`
/// (the size of a message's header section, usually), so a big message cannot flood it.
pub const DATA_LOG_CAP: usize = 4096;

/// Which parts of an SMTP session to trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dialogue {
    /// `log-connections`: connection opened/closed lines.
    pub connections: bool,
    /// `log-commands`: every command and reply.
    pub commands: bool,
    /// `log-data`: the first [`DATA_LOG_CAP`] bytes of each message's content.
    pub data: bool,
}

impl Dialogue {
    pub(super) fn any(self) -> bool {
        self.connections || self.commands || self.data
    }
}

/// Which side opened the connection (it decides the line prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Inbound,
    Outbound,
}

/// Trace of one SMTP connection in the main log.
#[derive(Debug, Clone)]
pub struct SessionLog {
    sink: Option<LogSink>,
    id: u64,
    side: Side,
    flags: Dialogue,
}

/// The traces are made here, not in [`super::sink`], so the sink need not know them.
impl LogSink {
    /// The trace of inbound connection `id`; `flags` come from the source's
    /// `log-connections` / `log-commands` / `log-data`.
    pub fn session(&self, id: u64, flags: Dialogue) -> SessionLog {
        SessionLog::new(self, id, Side::Inbound, flags)
    }

    /// The trace of outbound connection `id`; `flags` come from the queue's (domain's)
    /// `log-connections` / `log-commands` / `log-data`.
    pub fn outbound_session(&self, id: u64, flags: Dialogue) -> SessionLog {
        SessionLog::new(self, id, Side::Outbound, flags)
    }
}

impl SessionLog {
    fn new(sink: &LogSink, id: u64, side: Side, flags: Dialogue) -> SessionLog {
        SessionLog {
            sink: flags.any().then(|| sink.clone()),
            id,
            side,
            flags,
        }
    }

    /// A trace that logs nothing (no sink configured, or a caller without one).
    pub fn off() -> SessionLog {
        SessionLog {
            sink: None,
            id: 0,
            side: Side::Inbound,
            flags: Dialogue::default(),
        }
    }

    /// True when command lines are logged: skip building them otherwise.
    pub fn commands_enabled(&self) -> bool {
        self.flags.commands && self.sink.is_some()
    }

    /// A connection event (`accepted connection from [ip]:port`, `closed ...`).
    pub fn connection(&self, text: impl Display) {
        if let (true, Some(s)) = (self.flags.connections, &self.sink) {
            s.main_line(clock::now_secs(), &format!("{}{text}", self.prefix()));
        }
    }

    /// A line read from the peer.
    pub fn received(&self, line: &str) {
        self.command_line(">>> ", line);
    }

    /// A line written to the peer.
    pub fn sent(&self, line: &str) {
        self.command_line("<<< ", line);
    }

    /// Where one message's content is gathered under `log-data`; `None` (nothing to do
    /// per chunk) when `log-data` is off.
    pub fn data_log(&self) -> Option<DataLog> {
        (self.flags.data && self.sink.is_some()).then(DataLog::default)
    }

    /// Writes the gathered content read from the peer (inbound DATA).
    pub fn data_received(&self, data: DataLog) {
        self.data_lines(">>> ", data);
    }

    /// Writes the gathered content written to the peer (outbound DATA, as sent on the wire).
    pub fn data_sent(&self, data: DataLog) {
        self.data_lines("<<< ", data);
    }

    fn command_line(&self, dir: &str, line: &str) {
        if let (true, Some(s)) = (self.flags.commands, &self.sink) {
            let line = line.trim_end_matches(['\r', '\n']);
            s.main_line(clock::now_secs(), &format!("{}{dir}{line}", self.prefix()));
        }
    }

    /// `| LINE` per line of the kept bytes, then `[data: N bytes, M logged]`.
    fn data_lines(&self, dir: &str, data: DataLog) {
        let Some(s) = &self.sink else { return };
        let now = clock::now_secs();
        let prefix = self.prefix();
        let text = String::from_utf8_lossy(&data.head);
        for line in text.split_inclusive('\n') {
            let line = line.trim_end_matches(['\r', '\n']);
            s.main_line(now, &format!("{prefix}{dir}| {line}"));
        }
        let summary = format!(
            "{prefix}{dir}[data: {} bytes, {} logged]",
            data.total,
            data.head.len()
        );
        s.main_line(now, &summary);
    }

    fn prefix(&self) -> String {
        match self.side {
            Side::Inbound => format!("({:>3})", self.id),
            Side::Outbound => format!("(out {})", self.id),
        }
    }
}

/// The first [`DATA_LOG_CAP`] bytes of one message and its full size.
#[derive(Debug, Default)]
pub struct DataLog {
    head: Vec<u8>,
    total: u64,
}

impl DataLog {
    /// Counts `bytes` and keeps what still fits under the cap.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = DATA_LOG_CAP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }
}
