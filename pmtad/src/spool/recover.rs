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

struct Replayer<'a> {
    root: &'a Path,
    mutate: bool,
    out: Replayed,
}

/// Replays the spool at `root`. With `mutate`, a torn tail is truncated, hints missing for
/// sealed segments are written, and a broken empty last segment is removed.
pub fn replay(root: &Path, mutate: bool) -> Result<Replayed, SpoolError> {
    let mut r = Replayer {
        root,
        mutate,
        out: Replayed {
            msgs: HashMap::new(),
            segs: Vec::new(),
            last_hint: Vec::new(),
            last_hint_for: None,
            next_id: 1,
        },
    };
    let segs = segment::list_segments(root)?;
    for (i, &n) in segs.iter().enumerate() {
        r.segment(n, i + 1 == segs.len())?;
    }
    Ok(r.out)
}

impl Replayer<'_> {
    fn segment(&mut self, n: u64, last: bool) -> Result<(), SpoolError> {
        let path = segment::seg_path(self.root, n);
        let file_len = fs::metadata(&path)
            .map_err(|e| SpoolError::io("reading segment", &path, e))?
            .len();
        if !last && let Some(h) = hint::load_hint(self.root, n, file_len) {
            let floor = self.read_floor(n)?;
            self.bump_floor(floor);
            self.replay_hint(n, &h);
            self.out.segs.push((n, file_len));
            return Ok(());
        }
        let buf = fs::read(&path).map_err(|e| SpoolError::io("reading segment", &path, e))?;
        let floor = match segment::parse_header(&buf, n) {
            Ok(f) => f,
            Err(what) => return self.bad_header(n, last, buf.len() as u64, what),
        };
        self.bump_floor(floor);
        let mut hint = Vec::new();
        let valid = self.scan(n, &buf, &mut hint);
        if valid < buf.len() as u64 {
            self.torn(n, last, valid, buf.len() as u64)?;
        }
        let len = if last { valid } else { buf.len() as u64 };
        if last {
            self.out.last_hint = hint;
            self.out.last_hint_for = Some(n);
        } else if self.mutate {
            hint::write_hint(self.root, n, len, hint);
        }
        self.out.segs.push((n, len));
        Ok(())
    }

    fn read_floor(&self, n: u64) -> Result<u64, SpoolError> {
        use std::io::Read;
        let path = segment::seg_path(self.root, n);
        let mut h = [0u8; HEADER_LEN as usize];
        fs::File::open(&path)
            .and_then(|mut f| f.read_exact(&mut h))
            .map_err(|e| SpoolError::io("reading segment header", &path, e))?;
        segment::parse_header(&h, n).map_err(|what| SpoolError::Corrupt {
            path,
            offset: 0,
            what: what.into(),
        })
    }

    fn bump_floor(&mut self, floor: u64) {
        self.out.next_id = self.out.next_id.max(floor);
    }

    fn bad_header(&mut self, n: u64, last: bool, len: u64, what: &str) -> Result<(), SpoolError> {
        let path = segment::seg_path(self.root, n);
        if last && len <= HEADER_LEN {
            tracing::warn!(path = %path.display(), what, "spool: removing a segment torn at creation");
            if self.mutate {
                fs::remove_file(&path).map_err(|e| SpoolError::io("removing segment", &path, e))?;
            }
        } else {
            tracing::warn!(path = %path.display(), what, "spool: skipping segment with a bad header");
        }
        Ok(())
    }

    fn torn(&self, n: u64, last: bool, valid: u64, len: u64) -> Result<(), SpoolError> {
        let path = segment::seg_path(self.root, n);
        if !last {
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
    fn scan(&mut self, n: u64, buf: &[u8], hint: &mut Vec<u8>) -> u64 {
        let mut pos = HEADER_LEN as usize;
        while let Frame::Ok { body, next } = codec::read_frame(buf, pos) {
            let rec = &buf[pos..next];
            match body[0] {
                KIND_PUT => {
                    let mut r = Reader::new(&body[1..]);
                    if let Ok(h) = codec::read_put_header(&mut r) {
                        push_hint_put(hint, rec, pos as u64, r.pos());
                        self.on_put(n, pos as u64, rec.len() as u32, h);
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

    fn replay_hint(&mut self, n: u64, buf: &[u8]) {
        let mut pos = 0;
        while let Frame::Ok { body, next } = codec::read_frame(buf, pos) {
            match body[0] {
                KIND_HINT_PUT => {
                    let mut r = Reader::new(&body[1..]);
                    let loc = r.u64().and_then(|off| Ok((off, r.u32()?)));
                    if let (Ok((off, len)), Ok(h)) = (loc, codec::read_put_header(&mut r)) {
                        self.on_put(n, off, len, h);
                    }
                }
                KIND_STATE => self.on_state(&body[1..]),
                _ => {}
            }
            pos = next;
        }
    }

    fn on_put(&mut self, seg: u64, off: u64, len: u32, h: codec::PutHeader<'_>) {
        self.out.next_id = self.out.next_id.max(h.id + 1);
        let mut env = match codec::decode_envelope(h.env) {
            Ok(env) => env,
            Err(what) => {
                tracing::warn!(id = h.id, what, "spool: undecodable envelope; skipped");
                return;
            }
        };
        if let Some(old) = self.out.msgs.remove(&h.id) {
            let mut st: Vec<RcptState> = env.recipients.iter().map(|r| r.state).collect();
            let old_st: Vec<RcptState> = old.env.recipients.iter().map(|r| r.state).collect();
            merge_states(&mut st, &old_st);
            for (r, s) in env.recipients.iter_mut().zip(st) {
                r.state = s;
            }
        }
        let external = h.flags & FLAG_EXTERNAL != 0;
        let msg = RecMsg {
            seg,
            off,
            len,
            external,
            env,
        };
        self.out.msgs.insert(h.id, msg);
    }

    fn on_state(&mut self, body: &[u8]) {
        let Ok((id, updates)) = codec::read_state(&mut Reader::new(body)) else {
            return;
        };
        self.out.next_id = self.out.next_id.max(id + 1);
        let Some(m) = self.out.msgs.get_mut(&id) else {
            return;
        };
        for (idx, st) in updates {
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
