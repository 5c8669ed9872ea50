//! The durable spool: every accepted message is on disk and fsynced before its 250.
//!
//! # DESIGN notes
//!
//! **Choice: an append-only segment log with a group-commit writer.** Measured on this
//! machine (2 vCPU, ext4 on virtio, `shared/reference/spool-bench.md`, 8 KiB messages,
//! durable before acknowledgement):
//!
//! | design | msgs/s at 8 / 32 / 128 writers | CPU µs/msg at 32 | restart, 100k live |
//! |---|---|---|---|
//! | file per message (fsync + rename + dir fsync) | 5.7k / 5.1k / 2.5k | 233 | 9.8 s cold |
//! | segment log, one fdatasync per batch | 12.5k / 36k / 56k | 15 | 1.4 s (full scan) |
//! | fjall with caller-side group commit | 10.6k / 20k / 13k | 47 | 0.13 s |
//! | redb, one transaction per batch | 6.0k / 11.9k / 14.2k | 47 | 1.0 s |
//!
//! A single fsync costs 100–350 µs here, so only designs where concurrent sessions share one
//! fsync reach 10k msgs/s; the log also has the lowest CPU per message (the 2 cores are
//! needed for TLS, DKIM and SMTP) and packs records densely (no 4 KiB rounding). Its costs —
//! compaction, fast restart, torn tails — are handled here:
//!
//! * **Group commit** ([`writer`]): one thread drains every queued append (≤ 4096 records or
//!   32 MiB), writes them with one `pwrite` and one `fdatasync`, then acknowledges. No timer:
//!   a batch forms while the previous fsync runs, so one writer pays one fsync and 50 writers
//!   share one per ~25 messages.
//! * **Records** ([`codec`]): `[len][crc32][kind][...]`; a zero, short or CRC-failing frame at
//!   the tail is a torn write: recovery warns and truncates it, never refuses to start.
//! * **Fast restart** ([`hint`]): when a segment is sealed, a hint file with every envelope and
//!   state change but no bodies is written, so recovery reads O(live envelopes + one segment),
//!   not the whole log. Segment headers carry an id floor, so ids are never reused.
//! * **Per-recipient state**: delivered/failed changes are small STATE records through the
//!   same group commit; a message is dead when no recipient is pending.
//! * **Completions are not fsynced on their own** ([`Spool::complete`]): a 250 promises the
//!   message is durable, a delivery outcome promises nothing to anyone. The writer applies a
//!   completion to the index at once and writes its record in front of the next group commit
//!   (so it shares that commit's `pwrite` and `fdatasync`), or after `completion-sync-delay`
//!   (1 s) when nothing is stored meanwhile, and at shutdown. A crash in between loses it:
//!   the message is delivered again after the restart (at-least-once, as SMTP allows); it is
//!   never lost. An unclean stop is noticed at start (no `SPOOL/clean` mark) and the messages
//!   recovered then are counted (`recovered_unclean`, the bound on such re-deliveries).
//! * **Reclamation** ([`compact`]): oldest-first; a dead oldest segment is unlinked, live
//!   messages of the oldest segment are copied forward (states folded in) when the log
//!   exceeds 2 × live + 2 segments. Runs in the writer between batches, bounded per step.
//! * **Large messages** ([`content`]): content over the spill threshold (1 MiB by default)
//!   goes to a file under `tmp/` while it arrives, then is fsynced, renamed to `big/<id>` and
//!   referenced from the log (the batch fsyncs `big/` once), so intake memory is bounded and
//!   the writer thread never copies megabytes.
//! * **Errors**: a failed write or fsync fails only its batch (the append is cut off again);
//!   after a failed fsync the writer starts a new segment rather than trusting the old one's
//!   page cache ("fsyncgate"). A full disk therefore gives 452 4.3.1 to those sessions and
//!   the spool keeps working once space returns.
//!
//! Not done (see the report): segment recycling / pre-zeroing (≈2× at one writer), a
//! generational hot/cold layout for long-lived retries.
//! Two daemons never share a spool: [`lock`] holds an exclusive `flock` on `SPOOL/lock`.

mod cache;
mod codec;
mod compact;
mod content;
mod error;
mod hint;
mod index;
mod list;
mod lock;
mod read;
mod recover;
mod segment;
mod writer;

#[cfg(test)]
mod tests;

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub use content::{Content, ContentWriter};
pub use error::SpoolError;
pub use list::{ListError, list_offline, list_offline_json};

use crate::envelope::{Envelope, MessageId, RcptState};
use codec::{Frame, Reader};
use index::Index;
use writer::{Counters, Op, OpKind, Writer};

/// Tunables of a spool. The defaults suit production.
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    /// A segment is sealed when the next batch would grow it past this size.
    pub segment_size: u64,
    /// Content longer than this is spilled to its own file.
    pub spill_threshold: usize,
    /// Upper bound on records per group commit.
    pub max_batch_ops: usize,
    /// Upper bound on bytes per group commit.
    pub max_batch_bytes: usize,
    /// Longest a completion ([`Spool::complete`]) stays unsynced when no message is stored
    /// meanwhile (`completion-sync-delay`); with intake going on it rides the next commit.
    pub completion_sync_delay: std::time::Duration,
    /// Bytes of freshly stored messages kept in memory for their delivery
    /// (`body-cache-size`; 0: none).
    pub body_cache_bytes: u64,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            segment_size: 64 << 20,
            spill_threshold: 1 << 20,
            max_batch_ops: 4096,
            max_batch_bytes: 32 << 20,
            completion_sync_delay: std::time::Duration::from_secs(1),
            body_cache_bytes: 64 << 20,
        }
    }
}

/// A live message found at start-up; recipients carry their current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredMessage {
    pub id: MessageId,
    pub envelope: Envelope,
}

/// Counters for benchmarks and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SpoolStats {
    /// `fdatasync` calls on segments since open.
    pub fsyncs: u64,
    /// Group commits since open.
    pub batches: u64,
    /// Records written since open (messages, state changes, compaction copies).
    pub records: u64,
    pub segments: u64,
    /// Bytes of all segment files.
    pub disk_bytes: u64,
    pub live_messages: u64,
    /// Bytes of live records.
    pub live_bytes: u64,
    /// Completions acknowledged to the delivery engine, not yet written and synced.
    pub unsynced_completions: u64,
    /// Messages recovered at start after an unclean stop (no clean-stop mark): an upper
    /// bound on the re-deliveries the crash causes (those whose completion was unsynced).
    pub recovered_unclean: u64,
    /// Body cache: bytes held, its budget, entries, and delivery reads it served / missed.
    pub body_cache_bytes: u64,
    pub body_cache_budget: u64,
    pub body_cache_entries: u64,
    pub body_cache_hits: u64,
    pub body_cache_misses: u64,
}

/// Handle to an open spool; cheap to clone and share between sessions.
#[derive(Clone)]
pub struct Spool {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    opts: SpoolOptions,
    index: Arc<Mutex<Index>>,
    tx: mpsc::Sender<Op>,
    next_id: Arc<AtomicU64>,
    tmp_seq: AtomicU64,
    /// `SPOOL/tmp` and our pid, computed once: every message asks for a content writer.
    tmp_dir: Arc<Path>,
    pid: u32,
    counters: Arc<Counters>,
    recovered_unclean: u64,
    cache: Arc<Mutex<cache::BodyCache>>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("root", &self.inner.root)
            .finish()
    }
}

impl Spool {
    /// Opens (creating if needed) the spool at `dir`, recovering every live message first.
    /// Blocking: call it at start-up, before the listener opens.
    pub fn open(
        dir: impl AsRef<Path>,
        opts: SpoolOptions,
    ) -> Result<(Spool, Vec<RecoveredMessage>), SpoolError> {
        let root = dir.as_ref().to_path_buf();
        let lock = lock::acquire(&root)?;
        let clean = segment::take_clean(&root);
        let rec = recover::recover(&root)?;
        let recovered_unclean = if clean { 0 } else { rec.messages.len() as u64 };
        if recovered_unclean > 0 {
            tracing::warn!(
                messages = recovered_unclean,
                "spool: the last run did not stop cleanly; of the messages recovered, those \
                 delivered after their last completion sync are delivered again (at-least-once)"
            );
        }
        let index = Arc::new(Mutex::new(rec.index));
        let next_id = Arc::new(AtomicU64::new(rec.next_id));
        let counters = Arc::new(Counters::default());
        let (tx, rx) = mpsc::channel();
        let cache = Arc::new(Mutex::new(cache::BodyCache::new(opts.body_cache_bytes)));
        let writer = Writer {
            root: root.clone(),
            opts: opts.clone(),
            index: index.clone(),
            active: rec.active,
            next_id: next_id.clone(),
            counters: counters.clone(),
            buf: Vec::new(),
            hint_threads: Vec::new(),
            lock: Some(lock),
            lazy: writer::Lazy::default(),
            cache: cache.clone(),
        };
        std::thread::Builder::new()
            .name("spool-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| SpoolError::io("starting writer thread", &root, e))?;
        let tmp_dir = Arc::from(segment::tmp_dir(&root));
        let inner = Inner {
            root,
            opts,
            index,
            tx,
            next_id,
            tmp_seq: AtomicU64::new(0),
            tmp_dir,
            pid: std::process::id(),
            counters,
            recovered_unclean,
            cache,
        };
        let spool = Spool {
            inner: Arc::new(inner),
        };
        Ok((spool, rec.messages))
    }

    /// The spool directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// A buffer for one message's content that spills to disk past the threshold.
    pub fn content_writer(&self) -> ContentWriter {
        let n = self.inner.tmp_seq.fetch_add(1, Ordering::Relaxed);
        let tmp = self.inner.tmp_dir.clone();
        ContentWriter::new(self.inner.opts.spill_threshold, tmp, self.inner.pid, n)
    }

    /// Stores a message durably and returns its id once data and envelope are fsynced.
    /// The stored `size` is the content length. Recipients already final are kept final.
    pub async fn store(
        &self,
        envelope: &Envelope,
        content: Content,
    ) -> Result<MessageId, SpoolError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::SeqCst);
        let states: Box<[RcptState]> = envelope.recipients.iter().map(|r| r.state).collect();
        let (rec, header_len, external) = match content {
            Content::Inline(data) => {
                let (rec, h) = writer::build_put(id, envelope, Some(&data), data.len() as u64);
                (rec, h, false)
            }
            Content::Spilled { spill, len } => {
                self.persist_spill(id, spill).await?;
                let (rec, h) = writer::build_put(id, envelope, None, len);
                (rec, h, true)
            }
        };
        let kind = OpKind::Put {
            id,
            header_len,
            states,
            external,
            fresh_external: external,
        };
        if let Err(e) = self.submit(rec, kind).await {
            if external && matches!(e, SpoolError::Closed) {
                let _ = std::fs::remove_file(segment::big_path(&self.inner.root, id));
            }
            return Err(e);
        }
        Ok(MessageId(id))
    }

    /// Fsyncs a spilled content file and moves it to `big/<id>` (the writer fsyncs `big/`).
    async fn persist_spill(&self, id: u64, mut spill: content::Spill) -> Result<(), SpoolError> {
        let dest = segment::big_path(&self.inner.root, id);
        let job = move || {
            spill
                .file
                .sync_data()
                .map_err(|e| SpoolError::io("syncing spilled content", &spill.path, e))?;
            std::fs::rename(&spill.path, &dest)
                .map_err(|e| SpoolError::io("moving spilled content", &dest, e))?;
            spill.keep = true;
            Ok(())
        };
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|_| SpoolError::Closed)?
    }

    async fn submit(&self, rec: Vec<u8>, kind: OpKind) -> Result<(), SpoolError> {
        let (tx, rx) = oneshot::channel();
        let op = Op::Append {
            rec,
            kind,
            reply: Some(tx),
        };
        self.inner.tx.send(op).map_err(|_| SpoolError::Closed)?;
        rx.await.map_err(|_| SpoolError::Closed)?
    }

    /// Durably records final states (delivered / failed) of some recipients of a message.
    /// `Pending` entries are ignored. When no recipient is left pending the message leaves
    /// the spool (its space is reclaimed by compaction).
    pub async fn set_states(
        &self,
        id: MessageId,
        updates: &[(u32, RcptState)],
    ) -> Result<(), SpoolError> {
        let Some((rec, updates)) = self.state_record(id, updates)? else {
            return Ok(());
        };
        self.submit(rec, OpKind::State { id: id.0, updates }).await
    }

    /// Records final states like [`Spool::set_states`], but without waiting for an fsync:
    /// the index changes at once and the record is written with the next group commit (or
    /// within `completion_sync_delay`). A crash before then loses the completion and the
    /// message is delivered again, as SMTP's at-least-once delivery allows; nothing
    /// acknowledged is ever lost. For delivery outcomes, not for operator deletions.
    pub async fn complete(
        &self,
        id: MessageId,
        updates: &[(u32, RcptState)],
    ) -> Result<(), SpoolError> {
        let Some((rec, updates)) = self.state_record(id, updates)? else {
            return Ok(());
        };
        let (reply, rx) = oneshot::channel();
        let op = Op::Complete {
            rec,
            id: id.0,
            updates,
            reply,
        };
        self.inner.tx.send(op).map_err(|_| SpoolError::Closed)?;
        rx.await.map_err(|_| SpoolError::Closed)?
    }

    /// The STATE record of the final entries of `updates`; `None` when there are none.
    #[allow(clippy::type_complexity)]
    fn state_record(
        &self,
        id: MessageId,
        updates: &[(u32, RcptState)],
    ) -> Result<Option<(Vec<u8>, Vec<(u32, RcptState)>)>, SpoolError> {
        let updates: Vec<(u32, RcptState)> = updates
            .iter()
            .copied()
            .filter(|(_, s)| *s != RcptState::Pending)
            .collect();
        if !self.contains(id) {
            return Err(SpoolError::NotFound(id));
        }
        if updates.is_empty() {
            return Ok(None);
        }
        let mut rec = Vec::with_capacity(24 + 5 * updates.len());
        codec::frame(&mut rec, |o| codec::state_body(o, id.0, &updates));
        Ok(Some((rec, updates)))
    }

    /// True while the message has a pending recipient.
    pub fn contains(&self, id: MessageId) -> bool {
        let index = crate::locks::lock(&self.inner.index);
        index.msgs.contains_key(&id.0)
    }

    /// Current recipient states of a live message.
    pub fn states(&self, id: MessageId) -> Option<Vec<RcptState>> {
        let index = crate::locks::lock(&self.inner.index);
        index.msgs.get(&id.0).map(|e| e.states.to_vec())
    }

    /// Reads a message's content (checksum verified). Blocking `pread`; use
    /// [`Spool::read_content`] from async code.
    pub fn read_content_blocking(&self, id: MessageId) -> Result<Vec<u8>, SpoolError> {
        let loc = {
            let index = crate::locks::lock(&self.inner.index);
            index.locate(id.0).ok_or(SpoolError::NotFound(id))?
        };
        if loc.external {
            let path = segment::big_path(&self.inner.root, id.0);
            return std::fs::read(&path).map_err(|e| SpoolError::io("reading content", path, e));
        }
        let mut buf = vec![0u8; loc.len as usize];
        loc.file
            .read_exact_at(&mut buf, loc.off)
            .map_err(|e| SpoolError::io("reading content", &self.inner.root, e))?;
        self.content_of(id, loc.off, &buf)
    }

    fn content_of(&self, id: MessageId, off: u64, rec: &[u8]) -> Result<Vec<u8>, SpoolError> {
        let corrupt = |what: &str| SpoolError::Corrupt {
            path: self.inner.root.clone(),
            offset: off,
            what: format!("message {id}: {what}"),
        };
        let Frame::Ok { body, .. } = codec::read_frame(rec, 0) else {
            return Err(corrupt("record checksum mismatch"));
        };
        let mut r = Reader::new(&body[1..]);
        let h = codec::read_put_header(&mut r).map_err(corrupt)?;
        if h.id != id.0 {
            return Err(corrupt("record belongs to another message"));
        }
        Ok(r.rest().to_vec())
    }

    /// Reads a message's content for a delivery attempt.
    pub async fn read_content(&self, id: MessageId) -> Result<Vec<u8>, SpoolError> {
        let spool = self.clone();
        tokio::task::spawn_blocking(move || spool.read_content_blocking(id))
            .await
            .map_err(|_| SpoolError::Closed)?
    }

    /// Current counters.
    pub fn stats(&self) -> SpoolStats {
        let cache = crate::locks::lock(&self.inner.cache);
        let index = crate::locks::lock(&self.inner.index);
        let c = &self.inner.counters;
        SpoolStats {
            fsyncs: c.fsyncs.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            records: c.records.load(Ordering::Relaxed),
            segments: index.segs.len() as u64,
            disk_bytes: index.total_bytes(),
            live_messages: index.msgs.len() as u64,
            live_bytes: index.live_bytes(),
            unsynced_completions: c.unsynced.load(Ordering::Relaxed),
            recovered_unclean: self.inner.recovered_unclean,
            body_cache_bytes: cache.bytes(),
            body_cache_budget: cache.budget(),
            body_cache_entries: cache.entries() as u64,
            body_cache_hits: c.cache_hits.load(Ordering::Relaxed),
            body_cache_misses: c.cache_misses.load(Ordering::Relaxed),
        }
    }

    /// The fsync latency histogram so far.
    pub fn fsync_latency(&self) -> crate::metrics::HistogramSnapshot {
        self.inner.counters.fsync_latency.snapshot()
    }

    /// Runs reclamation until nothing more can be reclaimed (it also runs on its own between
    /// batches and when idle; this is for tests and operators).
    pub async fn compact(&self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.tx.send(Op::Compact(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    /// Finishes in-flight appends and stops the writer. Later calls on clones fail with
    /// [`SpoolError::Closed`].
    pub async fn close(self) {
        let (tx, rx) = oneshot::channel();
        if self.inner.tx.send(Op::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}
