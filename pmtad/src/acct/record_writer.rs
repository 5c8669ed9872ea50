//! The accounting writer: a dedicated thread fed by a bounded channel.
//!
//! Delivery code hands a record over with [`Accounting::record`] and goes on; formatting and
//! file I/O happen on the `pmtad-acct` thread (its own current-thread runtime, so blocking
//! file writes never stall the daemon's workers). The channel is bounded and `record` waits
//! when it is full: back-pressure, never a dropped record. When a write fails (disk full)
//! the thread keeps the bytes, retries every second and stops taking new records meanwhile,
//! so the pressure reaches the senders instead of memory growing without bound.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::AcctError;
use super::options::AcctConfig;
use super::record::AcctRecord;
use super::set::AcctSet;
use crate::logs::clock;

/// Records in flight between senders and the writer thread.
pub const CHANNEL_CAPACITY: usize = 8192;
/// Records formatted and written per batch (one `write` per file).
const BATCH: usize = 1024;
/// Under load, after a write the thread waits this long before taking more records: what
/// arrives meanwhile is written with one `write` per file, and senders do not wake the
/// thread per record (a futex wake and a `write` per relayed message otherwise). Records
/// reach the file at most this much later; `sync`, rotation and shutdown keep their meaning
/// (they wait the same linger at most, then write and fsync everything sent before them).
const LINGER: Duration = Duration::from_millis(50);
/// "Under load": at least this many records in the current or the previous 100 ms window
/// (2,000 records/s). A trickle is written at once, as before, so a record of a quiet
/// server is in its file moments after the event.
const BUSY_RECORDS: usize = 200;
const WINDOW: Duration = Duration::from_millis(100);

/// Records written per 100 ms window: whether the writer is busy enough to linger.
#[derive(Debug)]
struct Load {
    start: std::time::Instant,
    current: usize,
    previous: usize,
}

impl Load {
    fn new() -> Self {
        Load {
            start: std::time::Instant::now(),
            current: 0,
            previous: 0,
        }
    }

    /// Counts `n` records just taken; true when the writer should linger.
    fn busy_after(&mut self, n: usize) -> bool {
        let age = self.start.elapsed();
        if age >= WINDOW {
            // A window that passed without any record leaves nothing to carry over.
            self.previous = if age >= 2 * WINDOW { 0 } else { self.current };
            self.current = 0;
            self.start = std::time::Instant::now();
        }
        self.current += n;
        self.current.max(self.previous) >= BUSY_RECORDS
    }
}

type Reply = oneshot::Sender<Result<(), AcctError>>;

// Nearly every message is a `Record`, so boxing it would only add an allocation per record.
#[allow(clippy::large_enum_variant)]
enum Cmd {
    Record(AcctRecord),
    Rotate(Option<PathBuf>, Reply),
    Reload(Box<AcctConfig>, Reply),
    Sync(Reply),
    Shutdown(Reply),
}

/// Handle to the writer thread; cheap to clone, one per subsystem.
#[derive(Debug, Clone)]
pub struct Accounting {
    tx: mpsc::Sender<Cmd>,
    thread: std::sync::Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cmd")
    }
}

impl Accounting {
    /// Opens every configured file (errors here are startup errors) and starts the thread.
    pub fn start(cfg: &AcctConfig) -> Result<Accounting, AcctError> {
        let set = AcctSet::open(cfg, clock::now_secs())?;
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("pmtad-acct".into())
            .spawn(move || run_thread(set, rx))
            .map_err(|e| AcctError::Thread(e.to_string()))?;
        Ok(Accounting {
            tx,
            thread: std::sync::Arc::new(std::sync::Mutex::new(Some(thread))),
        })
    }

    /// Queues one record; waits while the channel is full.
    pub async fn record(&self, rec: AcctRecord) -> Result<(), AcctError> {
        self.tx
            .send(Cmd::Record(rec))
            .await
            .map_err(|_| AcctError::Closed)
    }

    /// Like [`Self::record`], for synchronous callers outside the async runtime.
    pub fn record_blocking(&self, rec: AcctRecord) -> Result<(), AcctError> {
        self.tx
            .blocking_send(Cmd::Record(rec))
            .map_err(|_| AcctError::Closed)
    }

    /// `rotate acct [FILE]`: finishes every file (or the one configured as `only`).
    pub async fn rotate(&self, only: Option<PathBuf>) -> Result<(), AcctError> {
        self.request(|r| Cmd::Rotate(only, r)).await
    }

    /// Switches to a new configuration (already [`super::check`]ed); on error the old files
    /// stay in use.
    pub async fn reload(&self, cfg: AcctConfig) -> Result<(), AcctError> {
        self.request(|r| Cmd::Reload(Box::new(cfg), r)).await
    }

    /// Waits until every record sent before this call is written and fsynced.
    pub async fn sync(&self) -> Result<(), AcctError> {
        self.request(Cmd::Sync).await
    }

    /// Writes and fsyncs everything sent so far, then stops the thread. Records sent later
    /// (from other clones) fail with [`AcctError::Closed`].
    pub async fn shutdown(&self) -> Result<(), AcctError> {
        let res = self.request(Cmd::Shutdown).await;
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        res
    }

    async fn request(&self, make: impl FnOnce(Reply) -> Cmd) -> Result<(), AcctError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(make(tx))
            .await
            .map_err(|_| AcctError::Closed)?;
        rx.await.map_err(|_| AcctError::Closed)?
    }
}

fn run_thread(set: AcctSet, rx: mpsc::Receiver<Cmd>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build();
    match rt {
        Ok(rt) => rt.block_on(Worker { set, rx }.run()),
        Err(e) => tracing::error!("accounting thread cannot start a runtime: {e}"),
    }
}

struct Worker {
    set: AcctSet,
    rx: mpsc::Receiver<Cmd>,
}

impl Worker {
    async fn run(mut self) {
        let mut cmds = Vec::with_capacity(BATCH);
        let mut recs = Vec::with_capacity(BATCH);
        let mut load = Load::new();
        loop {
            if self.set.has_pending() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = self.set.retry();
                continue;
            }
            let got = tokio::select! {
                n = self.rx.recv_many(&mut cmds, BATCH) => n,
                () = sleep_until_secs(self.set.next_deadline()) => usize::MAX,
            };
            let now = clock::now_secs();
            if got == 0 {
                let _ = self.set.sync();
                return;
            }
            let _ = self.set.rotate_due(now);
            if self.handle(&mut cmds, &mut recs, now) {
                return;
            }
            if got != usize::MAX && got < BATCH && load.busy_after(got) {
                tokio::time::sleep(LINGER).await;
            }
        }
    }

    /// Writes the records and answers the requests in arrival order; true on shutdown.
    fn handle(&mut self, cmds: &mut Vec<Cmd>, recs: &mut Vec<AcctRecord>, now: u64) -> bool {
        for cmd in cmds.drain(..) {
            match cmd {
                Cmd::Record(r) => recs.push(r),
                other => {
                    self.write(recs, now);
                    if self.control(other, now) {
                        return true;
                    }
                }
            }
        }
        self.write(recs, now);
        false
    }

    fn write(&mut self, recs: &mut Vec<AcctRecord>, now: u64) {
        if !recs.is_empty() {
            let _ = self.set.write(recs, now);
            recs.clear();
        }
    }

    fn control(&mut self, cmd: Cmd, now: u64) -> bool {
        match cmd {
            Cmd::Record(_) => {}
            Cmd::Rotate(only, r) => {
                let _ = r.send(self.set.rotate(now, only.as_deref()));
            }
            Cmd::Reload(cfg, r) => {
                let _ = r.send(self.reload(&cfg, now));
            }
            Cmd::Sync(r) => {
                let _ = r.send(self.set.sync());
            }
            Cmd::Shutdown(r) => {
                self.rx.close();
                let mut late = Vec::new();
                while let Ok(cmd) = self.rx.try_recv() {
                    if let Cmd::Record(rec) = cmd {
                        late.push(rec);
                    }
                }
                self.write(&mut late, now);
                let _ = r.send(self.set.sync());
                return true;
            }
        }
        false
    }

    fn reload(&mut self, cfg: &AcctConfig, now: u64) -> Result<(), AcctError> {
        let new = AcctSet::open(cfg, now)?;
        self.set.sync()?;
        self.set = new;
        Ok(())
    }
}

async fn sleep_until_secs(deadline: Option<u64>) {
    match deadline {
        Some(d) => {
            let wait = d.saturating_sub(clock::now_secs());
            tokio::time::sleep(Duration::from_secs(wait.max(1))).await;
        }
        None => std::future::pending().await,
    }
}
