//! The group-commit writer: one thread owns the active segment. It drains every queued
//! append (up to a cap), writes them with one `pwrite`, makes them durable with one
//! `fdatasync`, updates the index, and only then acknowledges each waiter. A batch forms while
//! the previous fsync is in flight, so there is no timer and a lone writer pays exactly one
//! fsync. Compaction runs here too, between batches, so log order and index order agree.

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::SpoolOptions;
use super::codec::{self, KIND_HINT_PUT};
use super::error::SpoolError;
use super::index::{Index, MsgEntry};
use super::segment::{self, HEADER_LEN};
use crate::envelope::RcptState;

/// What an appended record means to the index once it is durable.
#[derive(Debug)]
pub enum OpKind {
    /// A message. `header_len` is the length of the PUT header (id..content_len) after the
    /// kind byte, so the hint entry can be cut out of the record without decoding it.
    Put {
        id: u64,
        header_len: usize,
        states: Box<[RcptState]>,
        external: bool,
        fresh_external: bool,
    },
    State {
        id: u64,
        updates: Vec<(u32, RcptState)>,
    },
    /// A completion record whose index change was applied when it arrived
    /// ([`Op::Complete`]): only its hint entry is left to write.
    Applied,
}

/// Where the writer answers an append once it is durable (or failed).
pub type Reply = oneshot::Sender<Result<(), SpoolError>>;

/// One request to the writer thread.
#[derive(Debug)]
pub enum Op {
    Append {
        rec: Vec<u8>,
        kind: OpKind,
        reply: Option<oneshot::Sender<Result<(), SpoolError>>>,
    },
    /// A completion (final recipient states): applied to the index and answered at once,
    /// written with the next group commit or after `completion_sync_delay`, whichever comes
    /// first. A crash before that loses it and the message is delivered again
    /// (at-least-once).
    Complete {
        rec: Vec<u8>,
        id: u64,
        updates: Vec<(u32, RcptState)>,
        reply: Reply,
    },
    /// Finish the current batch and stop.
    Shutdown(oneshot::Sender<()>),
    /// Reclaim everything that can be reclaimed now, then answer.
    Compact(oneshot::Sender<()>),
}

/// Counters the benchmark and operators read.
#[derive(Debug, Default)]
pub struct Counters {
    pub fsyncs: AtomicU64,
    /// How long each segment fdatasync took (`/metrics`).
    pub fsync_latency: crate::metrics::Histogram,
    pub batches: AtomicU64,
    pub records: AtomicU64,
    /// Completions accepted but not yet written and synced.
    pub unsynced: AtomicU64,
    /// Delivery reads served from the body cache / from the spool.
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
}

/// Completions waiting for the next commit ([`Op::Complete`]).
#[derive(Debug, Default)]
pub struct Lazy {
    pub recs: Vec<Vec<u8>>,
    /// External messages these completions finished: their files go once the records are
    /// durable, so a crash before cannot leave a live record without its content.
    pub dead_big: Vec<u64>,
    /// When the oldest of them arrived.
    pub since: Option<Instant>,
}

/// Completions flushed at once past this many, whatever the delay.
const LAZY_MAX: usize = 4096;

/// The active segment being appended to.
#[derive(Debug)]
pub struct Active {
    pub seg: u64,
    pub len: u64,
    /// Hint frames for the active segment, written out when it is sealed.
    pub hint: Vec<u8>,
    /// Set after a failed fsync: the segment's page-cache state is unknown, start a new one.
    pub must_rotate: bool,
}

pub struct Writer {
    pub root: PathBuf,
    pub opts: SpoolOptions,
    pub index: Arc<Mutex<Index>>,
    pub active: Active,
    pub next_id: Arc<AtomicU64>,
    pub counters: Arc<Counters>,
    pub buf: Vec<u8>,
    /// Background hint writers of recently sealed segments, joined at shutdown.
    pub hint_threads: Vec<std::thread::JoinHandle<()>>,
    /// The spool directory lock; released before a shutdown is acknowledged so the spool can be
    /// reopened as soon as `close` returns.
    pub lock: Option<super::lock::SpoolLock>,
    pub lazy: Lazy,
    /// Fresh records go here once durable ([`super::cache`]).
    pub cache: Arc<Mutex<super::cache::BodyCache>>,
}

/// A batch drained from the queue.
struct Batch {
    ops: Vec<(Vec<u8>, OpKind, Option<Reply>)>,
    bytes: usize,
    shutdown: Option<oneshot::Sender<()>>,
    compact: Vec<oneshot::Sender<()>>,
}

impl Writer {
    /// Runs until every sender is gone or a shutdown request arrives.
    pub fn run(mut self, rx: Receiver<Op>) {
        loop {
            let first = match rx.recv_timeout(self.idle_wait()) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => {
                    if self.lazy_due() {
                        self.process(Vec::new());
                    }
                    self.compact_step();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return self.process(Vec::new()),
            };
            let batch = self.drain(first, &rx);
            if !batch.ops.is_empty() || batch.shutdown.is_some() || self.lazy_due() {
                self.process(batch.ops);
            }
            if let Some(done) = batch.shutdown {
                return self.stop(done);
            }
            self.compact_step();
            if !batch.compact.is_empty() {
                while self.compact_step() {}
                for done in batch.compact {
                    let _ = done.send(());
                }
            }
        }
    }

    /// After the final commit: joins the hint writers, marks the stop clean, releases the
    /// lock and answers.
    fn stop(&mut self, done: oneshot::Sender<()>) {
        for t in self.hint_threads.drain(..) {
            let _ = t.join();
        }
        if self.lazy.recs.is_empty() {
            super::segment::mark_clean(&self.root);
        }
        self.lock = None;
        let _ = done.send(());
    }

    /// How long to wait for work: until the oldest unsynced completion is due, else 500 ms
    /// (the idle compaction tick).
    fn idle_wait(&self) -> Duration {
        let idle = Duration::from_millis(500);
        match self.lazy.since {
            Some(t) => (t + self.opts.completion_sync_delay)
                .saturating_duration_since(Instant::now())
                .min(idle),
            None => idle,
        }
    }

    fn lazy_due(&self) -> bool {
        self.lazy.recs.len() >= LAZY_MAX
            || self
                .lazy
                .since
                .is_some_and(|t| t.elapsed() >= self.opts.completion_sync_delay)
    }

    fn drain(&mut self, first: Op, rx: &Receiver<Op>) -> Batch {
        let mut batch = Batch {
            ops: Vec::new(),
            bytes: 0,
            shutdown: None,
            compact: Vec::new(),
        };
        let mut next = Some(first);
        while let Some(op) = next.take() {
            match op {
                Op::Append { rec, kind, reply } => {
                    batch.bytes += rec.len();
                    batch.ops.push((rec, kind, reply));
                }
                Op::Complete {
                    rec,
                    id,
                    updates,
                    reply,
                } => self.complete(rec, id, &updates, reply),
                Op::Shutdown(done) => {
                    batch.shutdown = Some(done);
                    break;
                }
                Op::Compact(done) => batch.compact.push(done),
            }
            if batch.ops.len() >= self.opts.max_batch_ops
                || batch.bytes >= self.opts.max_batch_bytes
            {
                break;
            }
            next = rx.try_recv().ok();
        }
        batch
    }

    /// Applies a completion to the index now and keeps its record for the next commit.
    fn complete(&mut self, rec: Vec<u8>, id: u64, updates: &[(u32, RcptState)], reply: Reply) {
        let dead = self
            .index
            .lock()
            .expect("spool index lock")
            .apply(id, updates);

        if let Some(entry) = dead {
            crate::locks::lock(&self.cache).remove(id);
            if entry.external {
                self.lazy.dead_big.push(id);
            }
        }
        self.lazy.recs.push(rec);
        self.lazy.since.get_or_insert_with(Instant::now);
        self.counters.unsynced.fetch_add(1, Ordering::Relaxed);
        let _ = reply.send(Ok(()));
    }

    /// Commits a batch and answers its waiters.
    /// Pending completions go first in the same write and fsync.
    pub fn process(&mut self, ops: Vec<(Vec<u8>, OpKind, Option<Reply>)>) {
        let lazy = std::mem::take(&mut self.lazy);
        if ops.is_empty() && lazy.recs.is_empty() {
            self.lazy = lazy;
            return;
        }
        let pending = lazy.recs.len() as u64;
        let mut recs = Vec::with_capacity(lazy.recs.len() + ops.len());
        let mut rest = Vec::with_capacity(recs.capacity());
        for r in lazy.recs {
            recs.push(r);
            rest.push((OpKind::Applied, None));
        }
        for (r, k, p) in ops {
            recs.push(r);
            rest.push((k, p));
        }
        let fresh_big = rest.iter().any(|(k, _)| {
            matches!(
                k,
                OpKind::Put {
                    fresh_external: true,
                    ..
                }
            )
        });
        let synced = match fresh_big {
            true => segment::fsync_dir(&segment::big_dir(&self.root)),
            false => Ok(()),
        };
        match synced.and_then(|_| self.commit(&recs)) {
            Ok(offsets) => {
                let mut replies = Vec::with_capacity(rest.len());
                let dead = self.apply(recs, &offsets, rest, &mut replies);
                self.remove_big_files(dead);
                self.remove_big_files(lazy.dead_big);
                self.counters.unsynced.fetch_sub(pending, Ordering::Relaxed);
                for reply in replies.into_iter().flatten() {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, records = recs.len(), "spool batch failed");
                self.lazy.dead_big = lazy.dead_big;
                self.lazy.since = lazy.since;
                for (rec, (kind, reply)) in recs.into_iter().zip(rest) {
                    if matches!(kind, OpKind::Applied) {
                        self.lazy.recs.push(rec);
                    }
                    self.discard_failed(&kind);
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(e.duplicate()));
                    }
                }
            }
        }
    }

    /// A failed fresh PUT with external content leaves no record: drop its content file.
    fn discard_failed(&self, kind: &OpKind) {
        if let OpKind::Put {
            id,
            fresh_external: true,
            ..
        } = kind
        {
            let _ = fs::remove_file(segment::big_path(&self.root, *id));
        }
    }

    /// Writes the records at the end of the active segment and fdatasyncs once.
    /// Returns the offset of each record.
    fn commit(&mut self, recs: &[Vec<u8>]) -> Result<Vec<u64>, SpoolError> {
        let bytes: u64 = recs.iter().map(|r| r.len() as u64).sum();
        if self.active.must_rotate
            || (self.active.len > HEADER_LEN && self.active.len + bytes > self.opts.segment_size)
        {
            self.rotate()?;
        }
        self.buf.clear();
        let mut offsets = Vec::with_capacity(recs.len());
        for r in recs {
            offsets.push(self.active.len + self.buf.len() as u64);
            self.buf.extend_from_slice(r);
        }
        let file = self.active_file();
        let path = segment::seg_path(&self.root, self.active.seg);
        if let Err(e) = file.write_all_at(&self.buf, self.active.len) {
            self.rollback(&file);
            return Err(SpoolError::io("appending to segment", path, e));
        }
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        let started = std::time::Instant::now();
        let synced = file.sync_data();
        self.counters.fsync_latency.observe(started.elapsed());
        if let Err(e) = synced {
            self.active.must_rotate = true;
            self.rollback(&file);
            return Err(SpoolError::io("syncing segment", path, e));
        }
        self.active.len += bytes;
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
        self.counters
            .records
            .fetch_add(recs.len() as u64, Ordering::Relaxed);
        Ok(offsets)
    }

    fn active_file(&self) -> Arc<fs::File> {
        let index = crate::locks::lock(&self.index);
        index.segs[&self.active.seg].file.clone()
    }

    /// Cuts a failed append off the segment so a later restart cannot find half a batch.
    fn rollback(&self, file: &fs::File) {
        if let Err(e) = file.set_len(self.active.len).and_then(|_| file.sync_data()) {
            tracing::warn!(error = %e, "spool: could not truncate a failed append");
        }
    }

    /// Seals the active segment (writing its hint in the background) and starts a new one.
    fn rotate(&mut self) -> Result<(), SpoolError> {
        let n = self.active.seg + 1;
        let file = segment::create_segment(&self.root, n, self.next_id.load(Ordering::SeqCst))?;
        let sealed = std::mem::replace(
            &mut self.active,
            Active {
                seg: n,
                len: HEADER_LEN,
                hint: Vec::new(),
                must_rotate: false,
            },
        );
        self.index
            .lock()
            .expect("spool index lock")
            .add_segment(n, Arc::new(file), HEADER_LEN);
        let root = self.root.clone();
        self.hint_threads.retain(|t| !t.is_finished());
        self.hint_threads.push(std::thread::spawn(move || {
            super::hint::write_hint(&root, sealed.seg, sealed.len, sealed.hint);
        }));
        Ok(())
    }

    /// Updates the index for a durable batch and collects the waiters to acknowledge.
    /// Returns the ids of external messages that just became final.
    fn apply(
        &mut self,
        recs: Vec<Vec<u8>>,
        offsets: &[u64],
        rest: Vec<(OpKind, Option<Reply>)>,
        replies: &mut Vec<Option<Reply>>,
    ) -> Vec<u64> {
        let mut dead = Vec::new();
        let mut fresh = Vec::new();
        let mut finished = Vec::new();
        let seg = self.active.seg;
        let mut index = crate::locks::lock(&self.index);
        if let Some(info) = index.segs.get_mut(&seg) {
            info.len = self.active.len;
        }
        for ((rec, off), (kind, reply)) in recs.into_iter().zip(offsets).zip(rest) {
            match kind {
                OpKind::Put {
                    id,
                    header_len,
                    states,
                    external,
                    ..
                } => {
                    push_hint_put(&mut self.active.hint, &rec, *off, header_len);
                    let entry = MsgEntry {
                        seg,
                        off: *off,
                        len: rec.len() as u32,
                        external,
                        states,
                    };
                    if !index.put(id, entry) && external {
                        dead.push(id);
                    }
                    // A fresh store (someone waits for it), not a compaction copy.
                    if reply.is_some() && !external {
                        fresh.push((id, rec));
                    }
                }
                OpKind::State { id, updates } => {
                    self.active.hint.extend_from_slice(&rec);
                    if let Some(e) = index.apply(id, &updates) {
                        finished.push(id);
                        if e.external {
                            dead.push(id);
                        }
                    }
                }
                OpKind::Applied => self.active.hint.extend_from_slice(&rec),
            }
            replies.push(reply);
        }
        drop(index);
        let mut cache = crate::locks::lock(&self.cache);
        finished.into_iter().for_each(|id| cache.remove(id));
        for (id, rec) in fresh {
            cache.insert(id, Arc::new(rec));
        }
        dead
    }

    fn remove_big_files(&self, ids: Vec<u64>) {
        for id in ids {
            let _ = fs::remove_file(segment::big_path(&self.root, id));
        }
    }
}

/// Appends the hint frame of a PUT record: its location plus its header without content.
pub fn push_hint_put(hint: &mut Vec<u8>, rec: &[u8], off: u64, header_len: usize) {
    let header = &rec[codec::FRAME_HEADER + 1..codec::FRAME_HEADER + 1 + header_len];
    codec::frame(hint, |o| {
        codec::put_u8(o, KIND_HINT_PUT);
        codec::put_u64(o, off);
        codec::put_u32(o, rec.len() as u32);
        o.extend_from_slice(header);
    });
}

/// Encodes a complete PUT record (frame included). `content` is `None` for external content.
/// Returns the record and the length of its PUT header (for the hint).
pub fn build_put(
    id: u64,
    env: &crate::envelope::Envelope,
    content: Option<&[u8]>,
    content_len: u64,
) -> (Vec<u8>, usize) {
    let flags = if content.is_none() {
        codec::FLAG_EXTERNAL
    } else {
        0
    };
    let extra = content.map_or(0, <[u8]>::len);
    let mut rec = Vec::with_capacity(160 + extra + 48 * env.recipients.len());
    let mut header_len = 0;
    codec::frame(&mut rec, |o| {
        codec::put_u8(o, codec::KIND_PUT);
        let start = o.len();
        codec::put_u64(o, id);
        codec::put_u8(o, flags);
        let env_len_at = o.len();
        codec::put_u32(o, 0);
        codec::encode_envelope(o, env, content_len);
        let env_len = (o.len() - env_len_at - 4) as u32;
        o[env_len_at..env_len_at + 4].copy_from_slice(&env_len.to_le_bytes());
        codec::put_u64(o, content_len);
        header_len = o.len() - start;
        if let Some(c) = content {
            o.extend_from_slice(c);
        }
    });
    (rec, header_len)
}
