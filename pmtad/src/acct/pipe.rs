//! `<acct-file |COMMAND>`: accounting records fed to a program's standard input.
//!
//! Operators feed records to their own processors (bounce handling, billing, a database) as
//! they happen. Such a program must never hold back mail, so the accounting thread never
//! blocks on it: each pipe has a feeder thread that does the blocking writes, and the
//! accounting thread hands it whole batches of lines through a channel capped in bytes
//! ([`MAX_QUEUED`]). Past the cap — the program is down or too slow — records for this pipe
//! are dropped and counted with a warning (accounting files are unaffected): a dead consumer
//! must not grow memory or stall delivery, which is the trade PowerMTA makes too.
//!
//! A program that exits or fails a write is restarted after `retry-interval`; one that reads
//! nothing for `write-timeout` is killed (by a watchdog thread, since the feeder is stuck in
//! `write`) and restarted the same way. Once the pipe is dropped (reload, shutdown) nothing is
//! restarted any more: the feeder hands over what is queued and the program gets EOF. Each program first receives the
//! CSV header line, then whole lines only: when a program is lost in the middle of a line,
//! the rest of that line is not sent to its successor.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::AcctError;
use super::encode::Encoder;
use super::options::{AcctFileOptions, PipeOptions};
use super::record::AcctRecord;
use crate::bouncecat::BounceCategories;
use crate::logs::clock;

/// Bytes that may wait for one program before its records are dropped.
pub const MAX_QUEUED: usize = 16 << 20;
/// How long a `sync` (shutdown, reload) waits for a program to take what is queued.
const SYNC_WAIT: Duration = Duration::from_secs(5);

/// One `<acct-file |COMMAND>` output, owned by the accounting thread.
#[derive(Debug)]
pub struct AcctPipe {
    name: PathBuf,
    command: String,
    enc: Encoder,
    tx: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
    buf: Vec<u8>,
    dropping: bool,
    feeder: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
enum Msg {
    Data(Vec<u8>),
    Flushed(mpsc::Sender<()>),
}

/// State both threads see.
#[derive(Debug, Default)]
struct Shared {
    queued: AtomicUsize,
    dropped: AtomicU64,
    starts: AtomicU64,
    /// Seconds since the epoch when the feeder's current write began; 0 when idle.
    busy_since: AtomicU64,
    child: Mutex<Option<Child>>,
    /// The [`AcctPipe`] is gone: no more restarts.
    closed: AtomicBool,
    /// The feeder has finished: the watchdog stops too.
    done: AtomicBool,
}

impl AcctPipe {
    /// Starts the feeder thread, which starts the program.
    pub fn open(opts: &AcctFileOptions, pipe: &PipeOptions) -> Result<AcctPipe, AcctError> {
        let enc = Encoder::new(opts)?;
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::channel();
        let feeder = Feeder {
            command: pipe.command.clone(),
            header: enc.header()?,
            retry: pipe.retry_interval,
            grace: pipe.write_timeout.min(SYNC_WAIT),
            shared: shared.clone(),
            stdin: None,
            down_until: None,
        };
        let feeder = std::thread::Builder::new()
            .name("pmtad-acct-pipe".into())
            .spawn(move || feeder.run(rx))
            .map_err(|e| AcctError::Thread(e.to_string()))?;
        let watch = Watchdog {
            command: pipe.command.clone(),
            timeout: pipe.write_timeout.as_secs().max(1),
            shared: shared.clone(),
        };
        std::thread::Builder::new()
            .name("pmtad-acct-watch".into())
            .spawn(move || watch.run())
            .map_err(|e| AcctError::Thread(e.to_string()))?;
        Ok(AcctPipe {
            name: opts.path.clone(),
            command: pipe.command.clone(),
            enc,
            tx,
            shared,
            buf: Vec::new(),
            dropping: false,
            feeder: Some(feeder),
        })
    }

    /// The block's argument as configured (`|COMMAND`).
    pub fn configured_path(&self) -> &Path {
        &self.name
    }

    /// Formats the records this pipe takes and hands them to the feeder, or drops them
    /// (counted) when the program is [`MAX_QUEUED`] bytes behind.
    pub fn append(
        &mut self,
        recs: &[&AcctRecord],
        bounce: &BounceCategories,
    ) -> Result<(), AcctError> {
        let bytes = self
            .enc
            .append(recs, bounce, std::mem::take(&mut self.buf))?;
        if bytes.is_empty() {
            self.buf = bytes;
            return Ok(());
        }
        if self.shared.queued.load(Ordering::Acquire) + bytes.len() > MAX_QUEUED {
            self.drop_lines(&bytes);
            self.buf = bytes;
            self.buf.clear();
            return Ok(());
        }
        self.dropping = false;
        self.shared.queued.fetch_add(bytes.len(), Ordering::AcqRel);
        self.tx.send(Msg::Data(bytes)).map_err(|_| self.gone())
    }

    fn drop_lines(&mut self, bytes: &[u8]) {
        let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        let total = self.shared.dropped.fetch_add(lines, Ordering::Relaxed) + lines;
        if !self.dropping {
            tracing::warn!(
                "accounting pipe \"{}\" is {} MiB behind; dropping its records ({total} so far)",
                self.command,
                MAX_QUEUED >> 20
            );
            self.dropping = true;
        }
    }

    /// Waits (at most a few seconds) until the program has taken everything queued. Best
    /// effort: a program that is down must not fail a reload or a shutdown, so a timeout is
    /// a warning. Dropping the pipe afterwards lets the feeder finish on its own.
    pub fn sync(&mut self) -> Result<(), AcctError> {
        let (done, wait) = mpsc::channel();
        self.tx.send(Msg::Flushed(done)).map_err(|_| self.gone())?;
        if wait.recv_timeout(SYNC_WAIT).is_err() {
            tracing::warn!(
                "accounting pipe \"{}\": {} bytes still queued after {} s",
                self.command,
                self.shared.queued.load(Ordering::Acquire),
                SYNC_WAIT.as_secs()
            );
        }
        Ok(())
    }

    /// Records dropped because the program was too far behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Programs started so far (1 + restarts).
    pub fn starts(&self) -> u64 {
        self.shared.starts.load(Ordering::Relaxed)
    }

    /// Ends the program's input and waits for the feeder to finish: the program gets
    /// `write-timeout` (at most 5 s) to exit before it is killed. (Dropping the pipe does the
    /// same without waiting.)
    pub fn close(mut self) {
        let feeder = self.feeder.take();
        drop(self);
        if let Some(f) = feeder {
            let _ = f.join();
        }
    }

    fn gone(&self) -> AcctError {
        AcctError::Pipe {
            command: self.command.clone(),
            reason: "its feeder thread has stopped".into(),
        }
    }
}

impl Drop for AcctPipe {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
    }
}

/// Kills a program the feeder has been blocked on for `write-timeout`.
struct Watchdog {
    command: String,
    timeout: u64,
    shared: Arc<Shared>,
}

impl Watchdog {
    fn run(self) {
        while !self.shared.done.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(250));
            let since = self.shared.busy_since.load(Ordering::Acquire);
            if since == 0 || clock::now_secs().saturating_sub(since) < self.timeout {
                continue;
            }
            let mut child = crate::locks::lock(&self.shared.child);
            if let Some(c) = child.as_mut() {
                tracing::error!(
                    "accounting pipe \"{}\" read nothing for {} s; killing it",
                    self.command,
                    self.timeout
                );
                kill(c);
            }
        }
    }
}

/// The feeder thread: owns the program's standard input.
struct Feeder {
    command: String,
    header: Vec<u8>,
    retry: Duration,
    /// How long a program may take to exit once its input is closed.
    grace: Duration,
    shared: Arc<Shared>,
    stdin: Option<ChildStdin>,
    down_until: Option<Instant>,
}

impl Feeder {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Data(bytes) => {
                    self.deliver(&bytes);
                    self.shared.queued.fetch_sub(bytes.len(), Ordering::AcqRel);
                }
                Msg::Flushed(done) => {
                    let _ = done.send(());
                }
            }
        }
        self.stop();
        self.shared.done.store(true, Ordering::Release);
    }

    /// Writes whole lines to the program, restarting it as often as it fails.
    fn deliver(&mut self, bytes: &[u8]) {
        let mut off = 0;
        while off < bytes.len() {
            if self.stdin.is_none() && self.shared.closed.load(Ordering::Acquire) {
                let lines = bytes[off..].iter().filter(|b| **b == b'\n').count() as u64;
                self.shared.dropped.fetch_add(lines, Ordering::Relaxed);
                return;
            }
            if self.stdin.is_none() && !self.start() {
                continue;
            }
            match self.write(&bytes[off..]) {
                Ok(n) => off += n,
                Err(reason) => {
                    self.fail(&reason);
                    off = next_line_start(bytes, off);
                }
            }
        }
    }

    /// One `write` call; the watchdog sees how long it blocks.
    fn write(&mut self, bytes: &[u8]) -> Result<usize, String> {
        let stdin = self.stdin.as_mut().expect("started");
        self.shared
            .busy_since
            .store(clock::now_secs().max(1), Ordering::Release);
        let res = loop {
            match stdin.write(bytes) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.shared.busy_since.store(0, Ordering::Release);
        match res {
            Ok(0) => Err("the program stopped reading".into()),
            Ok(n) => Ok(n),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Starts the program (after the retry wait, if one is running) and sends the header.
    /// False when it could not be started; the wait before the next try has been set.
    fn start(&mut self) -> bool {
        if let Some(until) = self.down_until.take() {
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
        }
        let spawned = Command::new("/bin/sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                self.fail(&format!("cannot start: {e}"));
                return false;
            }
        };
        self.stdin = child.stdin.take();
        *crate::locks::lock(&self.shared.child) = Some(child);
        self.shared.starts.fetch_add(1, Ordering::Relaxed);
        let header = std::mem::take(&mut self.header);
        let sent = self.write_all(&header);
        self.header = header;
        sent
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            match self.write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(reason) => {
                    self.fail(&reason);
                    return false;
                }
            }
        }
        true
    }

    /// Gives up on the current program: reaps it and waits `retry-interval` before the next.
    fn fail(&mut self, reason: &str) {
        let next = if self.shared.closed.load(Ordering::Acquire) {
            "not restarted (closed)".to_string()
        } else {
            format!("restarting it in {} s", self.retry.as_secs())
        };
        tracing::error!("accounting pipe \"{}\": {reason}; {next}", self.command);
        self.stdin = None;
        let child = self.take_child();
        if let Some(mut c) = child {
            kill(&mut c);
            let _ = c.wait();
        }
        self.down_until = Some(Instant::now() + self.retry);
    }

    fn take_child(&self) -> Option<Child> {
        let mut slot = crate::locks::lock(&self.shared.child);
        slot.take()
    }

    /// End of input for the program; it gets a moment to finish before it is killed.
    fn stop(&mut self) {
        self.stdin = None;
        let child = self.take_child();
        let Some(mut c) = child else { return };
        let deadline = Instant::now() + self.grace;
        while Instant::now() < deadline {
            if !matches!(c.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill(&mut c);
        let _ = c.wait();
    }
}

/// Kills the program and everything it started: the command runs in its own process group
/// (`sh -c "a | b"` has children that hold the pipe open after the shell dies). The daemon
/// has no unsafe code to call kill(2) with a group id, so the shell's `kill` does it.
fn kill(child: &mut Child) {
    let group = format!("kill -9 -{} 2>/dev/null", child.id());
    let _ = Command::new("/bin/sh")
        .arg("-c")
        .arg(group)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    let _ = child.kill();
}

/// Where the line containing `off` ends (its successor starts); `off` itself when it is
/// already at a line start, so a new program never receives the tail of a torn line.
fn next_line_start(bytes: &[u8], off: usize) -> usize {
    if off == 0 || bytes[off - 1] == b'\n' {
        return off;
    }
    bytes[off..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| off + i + 1)
}
