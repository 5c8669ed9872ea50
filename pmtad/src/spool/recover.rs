//! Start-up recovery: replays hints (or scans segments that have none) in log order and
//! rebuilds the live set, detecting and cutting off a torn tail.
//!
//! Replay rules: a PUT defines a message (a later PUT of the same id is a compaction copy and
//! replaces the location; final recipient states from either copy win); a STATE record marks
//! recipients final. A message with no pending recipient left is dead.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::sync::Arc;

use super::RecoveredMessage;
use super::codec::{self, FLAG_EXTERNAL, Frame, KIND_HINT_PUT, KIND_PUT, KIND_STATE, Reader};
use super::error::SpoolError;
use super::hint;
use super::index::{Index, MsgEntry, merge_states};
use super::segment::{self, HEADER_LEN};
use super::writer::{Active, push_hint_put};
use crate::envelope::{Envelope, MessageId, RcptState};

/// A message as replay sees it.
struct RecMsg {
    seg: u64,
    off: u64,
    len: u32,
    external: bool,
    env: Envelope,
}

/// What a replay found.
pub struct Replayed {
    msgs: HashMap<u64, RecMsg>,
    /// (segment number, valid length) of every usable segment, ascending.
    segs: Vec<(u64, u64)>,
    /// Hint frames rebuilt for the last segment (it becomes the active one).
    last_hint: Vec<u8>,
    /// The segment `last_hint` belongs to (the last one, when it was scanned).
    last_hint_for: Option<u64>,
    pub next_id: u64,
}

/// The outcome of [`recover`]: the index for a writable spool and the live messages.
pub struct Recovery {
    pub index: Index,
    pub active: Active,
    pub messages: Vec<RecoveredMessage>,
    pub next_id: u64,
}

/// Everything one segment contributes; segments are loaded and decoded in parallel.
struct SegLoad {
    n: u64,
    /// Usable length (`None`: the segment is skipped).
    len: Option<u64>,
    floor: u64,
    /// PUT records in log order.
    puts: Vec<(u64, RecMsg)>,
    /// STATE records in log order. Applying a segment's PUTs before its STATEs gives the
    /// same result as log order: states only move from pending to final, and a PUT's merge
    /// keeps the finals of the copy it replaces.
    states: Vec<(u64, Vec<(u32, RcptState)>)>,
    /// Hint frames rebuilt by a scan of the last segment.
    hint: Option<Vec<u8>>,
}

/// Loads one segment: from its hint when it has a valid one, else by scanning it.
struct Loader<'a> {
    root: &'a Path,
    mutate: bool,
    n: u64,
    last: bool,
    out: SegLoad,
}

/// Replays the spool at `root`. With `mutate`, a torn tail is truncated, hints missing for
/// sealed segments are written, and a broken empty last segment is removed.
pub fn replay(root: &Path, mutate: bool) -> Result<Replayed, SpoolError> {
    let segs = segment::list_segments(root)?;
    let mut out = Replayed {
        msgs: HashMap::new(),
        segs: Vec::new(),
        last_hint: Vec::new(),
        last_hint_for: None,
        next_id: 1,
    };
    for load in load_all(root, &segs, mutate)? {
        out.absorb(load);
    }
    Ok(out)
}

/// Loads every segment on all cores, returning the loads in segment order.
fn load_all(root: &Path, segs: &[u64], mutate: bool) -> Result<Vec<SegLoad>, SpoolError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&n) = segs.get(i) else {
                return done;
            };
            done.push((i, load(root, n, i + 1 == segs.len(), mutate)));
        }
    };
    let mut results: Vec<(usize, Result<SegLoad, SpoolError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(segs.len()).max(1))
            .map(|_| s.spawn(work))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("segment loader panicked"))
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn load(root: &Path, n: u64, last: bool, mutate: bool) -> Result<SegLoad, SpoolError> {
    let mut l = Loader {
        root,
        mutate,
        n,
        last,
        out: SegLoad {
            n,
            len: None,
            floor: 0,
            puts: Vec::new(),
            states: Vec::new(),
            hint: None,
        },
    };
    l.load()?;
    Ok(l.out)
}

impl Loader<'_> {
    fn load(&mut self) -> Result<(), SpoolError> {
        let (n, last) = (self.n, self.last);
        let path = segment::seg_path(self.root, n);
        let file_len = fs::metadata(&path)
            .map_err(|e| SpoolError::io("reading segment", &path, e))?
            .len();
        if !last && let Some(h) = hint::load_hint(self.root, n, file_len) {
            self.out.floor = self.read_floor()?;
            self.replay_hint(&h);
            self.out.len = Some(file_len);
            return Ok(());
        }
        let buf = fs::read(&path).map_err(|e| SpoolError::io("reading segment", &path, e))?;
        self.out.floor = match segment::parse_header(&buf, n) {
            Ok(f) => f,
            Err(what) => return self.bad_header(buf.len() as u64, what),
        };
        let mut hint = Vec::new();
        let valid = self.scan(&buf, &mut hint);
        if valid < buf.len() as u64 {
            self.torn(valid, buf.len() as u64)?;
        }
        let len = if last { valid } else { buf.len() as u64 };
        if last {
            self.out.hint = Some(hint);
        } else if self.mutate {
            hint::write_hint(self.root, n, len, hint);
        }
        self.out.len = Some(len);
        Ok(())
    }

    fn read_floor(&self) -> Result<u64, SpoolError> {
        use std::io::Read;
        let path = segment::seg_path(self.root, self.n);
        let mut h = [0u8; HEADER_LEN as usize];
        fs::File::open(&path)
            .and_then(|mut f| f.read_exact(&mut h))
            .map_err(|e| SpoolError::io("reading segment header", &path, e))?;
        segment::parse_header(&h, self.n).map_err(|what| SpoolError::Corrupt {
            path,
            offset: 0,
            what: what.into(),
        })
    }

    fn bad_header(&mut self, len: u64, what: &str) -> Result<(), SpoolError> {
        let path = segment::seg_path(self.root, self.n);
        if self.last && len <= HEADER_LEN {
            tracing::warn!(path = %path.display(), what, "spool: removing a segment torn at creation");
            if self.mutate {
                fs::remove_file(&path).map_err(|e| SpoolError::io("removing segment", &path, e))?;
            }
        } else {
            tracing::warn!(path = %path.display(), what, "spool: skipping segment with a bad header");
        }
        Ok(())
    }

    fn torn(&self, valid: u64, len: u64) -> Result<(), SpoolError> {
        let path = segment::seg_path(self.root, self.n);
        if !self.last {
            tracing::warn!(path = %path.display(), offset = valid, "spool: corrupt record in a sealed segment; skipping the rest of it");
            return Ok(());
        }
        tracing::warn!(path = %path.display(), offset = valid, dropped = len - valid, "spool: torn write at the tail (crash during append); skipping it");
        if self.mutate {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| SpoolError::io("opening segment", &path, e))?;
            f.set_len(valid)
                .and_then(|_| f.sync_data())
                .map_err(|e| SpoolError::io("truncating torn tail", &path, e))?;
        }
        Ok(())
    }

    /// Scans every frame of a segment; returns the end of the last valid frame.
    fn scan(&mut self, buf: &[u8], hint: &mut Vec<u8>) -> u64 {
        let mut pos = HEADER_LEN as usize;
        while let Frame::Ok { body, next } = codec::read_frame(buf, pos) {
            let rec = &buf[pos..next];
            match body[0] {
                KIND_PUT => {
                    let mut r = Reader::new(&body[1..]);
                    if let Ok(h) = codec::read_put_header(&mut r) {
                        push_hint_put(hint, rec, pos as u64, r.pos());
                        self.on_put(pos as u64, rec.len() as u32, h);
                    }
                }
                KIND_STATE => {
                    hint.extend_from_slice(rec);
                    self.on_state(&body[1..]);
                }
                _ => {}
            }
            pos = next;
        }
        pos as u64
    }

    fn replay_hint(&mut self, buf: &[u8]) {
        let mut pos = 0;
        while let Frame::Ok { body, next } = codec::read_frame(buf, pos) {
            match body[0] {
                KIND_HINT_PUT => {
                    let mut r = Reader::new(&body[1..]);
                    let loc = r.u64().and_then(|off| Ok((off, r.u32()?)));
                    if let (Ok((off, len)), Ok(h)) = (loc, codec::read_put_header(&mut r)) {
                        self.on_put(off, len, h);
                    }
                }
                KIND_STATE => self.on_state(&body[1..]),
                _ => {}
            }
            pos = next;
        }
    }

    fn on_put(&mut self, off: u64, len: u32, h: codec::PutHeader<'_>) {
        let env = match codec::decode_envelope(h.env) {
            Ok(env) => env,
            Err(what) => {
                tracing::warn!(id = h.id, what, "spool: undecodable envelope; skipped");
                return;
            }
        };
        let msg = RecMsg {
            seg: self.n,
            off,
            len,
            external: h.flags & FLAG_EXTERNAL != 0,
            env,
        };
        self.out.puts.push((h.id, msg));
    }

    fn on_state(&mut self, body: &[u8]) {
        if let Ok((id, updates)) = codec::read_state(&mut Reader::new(body)) {
            self.out.states.push((id, updates));
        }
    }
}

impl Replayed {
    /// Folds one segment's events into the live set, in log order.
    fn absorb(&mut self, load: SegLoad) {
        let Some(len) = load.len else {
            return;
        };
        self.next_id = self.next_id.max(load.floor);
        for (id, msg) in load.puts {
            self.put(id, msg);
        }
        for (id, updates) in load.states {
            self.state(id, &updates);
        }
        if let Some(hint) = load.hint {
            self.last_hint = hint;
            self.last_hint_for = Some(load.n);
        }
        self.segs.push((load.n, len));
    }

    fn put(&mut self, id: u64, mut msg: RecMsg) {
        self.next_id = self.next_id.max(id + 1);
        if let Some(old) = self.msgs.remove(&id) {
            let mut st: Vec<RcptState> = msg.env.recipients.iter().map(|r| r.state).collect();
            let old_st: Vec<RcptState> = old.env.recipients.iter().map(|r| r.state).collect();
            merge_states(&mut st, &old_st);
            for (r, s) in msg.env.recipients.iter_mut().zip(st) {
                r.state = s;
            }
        }
        self.msgs.insert(id, msg);
    }

    fn state(&mut self, id: u64, updates: &[(u32, RcptState)]) {
        self.next_id = self.next_id.max(id + 1);
        let Some(m) = self.msgs.get_mut(&id) else {
            return;
        };
        for &(idx, st) in updates {
            if let Some(r) = m.env.recipients.get_mut(idx as usize)
                && r.state == RcptState::Pending
            {
                r.state = st;
            }
        }
    }
}

fn is_live(env: &Envelope) -> bool {
    env.recipients.iter().any(|r| r.state == RcptState::Pending)
}

impl Replayed {
    /// The live messages in id order, without building an index (offline listing).
    pub fn into_messages(self) -> Vec<RecoveredMessage> {
        let mut v: Vec<RecoveredMessage> = self
            .msgs
            .into_iter()
            .filter(|(_, m)| is_live(&m.env))
            .map(|(id, m)| RecoveredMessage {
                id: MessageId(id),
                envelope: m.env,
            })
            .collect();
        v.sort_unstable_by_key(|m| m.id);
        v
    }
}

/// Full recovery for a writable spool: replay, open segment files, build the index, make
/// sure there is an active segment, and drop orphaned content files.
pub fn recover(root: &Path) -> Result<Recovery, SpoolError> {
    segment::create_layout(root)?;
    clear_tmp(root);
    let mut rep = replay(root, true)?;
    let mut index = Index::default();
    for &(n, len) in &rep.segs {
        let path = segment::seg_path(root, n);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| SpoolError::io("opening segment", &path, e))?;
        index.add_segment(n, Arc::new(f), len);
    }
    let active = match rep.segs.last() {
        Some(&(seg, len)) => Active {
            seg,
            len,
            hint: std::mem::take(&mut rep.last_hint),
            // Appending to a segment whose hint we do not hold would seal an incomplete hint.
            must_rotate: rep.last_hint_for != Some(seg),
        },
        None => {
            let f = segment::create_segment(root, 1, rep.next_id)?;
            index.add_segment(1, Arc::new(f), HEADER_LEN);
            Active {
                seg: 1,
                len: HEADER_LEN,
                hint: Vec::new(),
                must_rotate: false,
            }
        }
    };
    let next_id = rep.next_id;
    let mut live_external = std::collections::HashSet::new();
    let mut msgs: Vec<(u64, RecMsg)> = rep.msgs.drain().filter(|(_, m)| is_live(&m.env)).collect();
    msgs.sort_unstable_by_key(|(id, _)| *id);
    let mut messages = Vec::with_capacity(msgs.len());
    for (id, m) in msgs {
        if m.external {
            live_external.insert(id);
        }
        let states = m.env.recipients.iter().map(|r| r.state).collect();
        let entry = MsgEntry {
            seg: m.seg,
            off: m.off,
            len: m.len,
            external: m.external,
            states,
        };
        index.put(id, entry);
        messages.push(RecoveredMessage {
            id: MessageId(id),
            envelope: m.env,
        });
    }
    remove_orphan_big(root, &live_external);
    Ok(Recovery {
        index,
        active,
        messages,
        next_id,
    })
}

fn clear_tmp(root: &Path) {
    if let Ok(rd) = fs::read_dir(segment::tmp_dir(root)) {
        for ent in rd.flatten() {
            let _ = fs::remove_file(ent.path());
        }
    }
}

fn remove_orphan_big(root: &Path, live: &std::collections::HashSet<u64>) {
    let Ok(rd) = fs::read_dir(segment::big_dir(root)) else {
        return;
    };
    for ent in rd.flatten() {
        let name = ent.file_name();
        let id = name.to_str().and_then(|s| u64::from_str_radix(s, 16).ok());
        if id.is_none_or(|id| !live.contains(&id)) {
            let _ = fs::remove_file(ent.path());
        }
    }
}
