//! Space reclamation, run by the writer thread between batches and when idle.
//!
//! Oldest-first: the oldest sealed segment is unlinked once nothing in it is live. If the log
//! holds more than twice the live bytes plus two segments, the live messages of the oldest
//! segment are copied forward (envelope re-encoded with the current recipient states, so its
//! STATE records become redundant), a bounded amount per step so intake keeps flowing.
//! Oldest-first is what makes dropping STATE records safe: a STATE record always follows the
//! PUT it refers to, so every STATE record in the oldest segment refers to a PUT in that same
//! segment, and the copy carries the states forward.

use std::fs;
use std::os::unix::fs::FileExt;

use super::codec::{self, FLAG_EXTERNAL, Frame, Reader};
use super::segment;
use super::writer::{OpKind, Writer, build_put};
use crate::envelope::RcptState;

/// Bytes of live records copied forward per step.
const COPY_BUDGET: u64 = 8 << 20;

/// One live message to copy: id, location and current states.
type Work = (u64, u64, u32, Box<[RcptState]>);

impl Writer {
    /// Does a bounded amount of reclamation work; returns whether it did any.
    pub fn compact_step(&mut self) -> bool {
        let mut progress = false;
        for _ in 0..4 {
            let Some((oldest, live)) = self.oldest_sealed() else {
                return progress;
            };
            if live == 0 {
                self.drop_segment(oldest);
                progress = true;
                continue;
            }
            if self.worth_copying() {
                return self.copy_forward(oldest) || progress;
            }
            return progress;
        }
        progress
    }

    fn oldest_sealed(&self) -> Option<(u64, u32)> {
        let index = crate::locks::lock(&self.index);
        let (&n, info) = index.segs.first_key_value()?;
        (n != self.active.seg).then_some((n, info.live))
    }

    fn worth_copying(&self) -> bool {
        let index = crate::locks::lock(&self.index);
        index.total_bytes() > 2 * index.live_bytes() + 2 * self.opts.segment_size
    }

    fn drop_segment(&mut self, n: u64) {
        crate::locks::lock(&self.index).segs.remove(&n);
        let path = segment::seg_path(&self.root, n);
        if let Err(e) = fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "spool: could not remove segment");
        }
        let _ = fs::remove_file(segment::hint_path(&self.root, n));
        tracing::debug!(segment = n, "spool: removed a fully delivered segment");
    }

    /// Takes up to [`COPY_BUDGET`] bytes of live messages of segment `n`.
    fn take_work(&mut self, n: u64) -> Option<(std::sync::Arc<fs::File>, Vec<Work>)> {
        let mut index = crate::locks::lock(&self.index);
        let ids = std::mem::take(&mut index.segs.get_mut(&n)?.ids);
        let mut work = Vec::new();
        let mut budget = 0u64;
        let mut rest = Vec::new();
        for id in ids {
            match index.msgs.get(&id) {
                Some(e) if e.seg == n && budget < COPY_BUDGET => {
                    budget += u64::from(e.len);
                    work.push((id, e.off, e.len, e.states.clone()));
                }
                Some(e) if e.seg == n => rest.push(id),
                _ => {}
            }
        }
        let seg = index.segs.get_mut(&n)?;
        seg.ids = rest;
        Some((seg.file.clone(), work))
    }

    fn copy_forward(&mut self, n: u64) -> bool {
        let Some((file, work)) = self.take_work(n) else {
            return false;
        };
        if work.is_empty() {
            return false;
        }
        let mut ops = Vec::with_capacity(work.len());
        for (id, off, len, states) in work {
            match recopy(&file, id, off, len, states) {
                Ok((rec, kind)) => ops.push((rec, kind, None)),
                Err(what) => {
                    tracing::warn!(
                        segment = n,
                        id,
                        what,
                        "spool: cannot copy a live record forward"
                    )
                }
            }
        }
        tracing::debug!(
            segment = n,
            records = ops.len(),
            "spool: copying live messages forward"
        );
        self.process(ops);
        true
    }
}

/// Reads a live PUT record and re-encodes it with the current recipient states.
fn recopy(
    file: &fs::File,
    id: u64,
    off: u64,
    len: u32,
    states: Box<[RcptState]>,
) -> Result<(Vec<u8>, OpKind), &'static str> {
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, off)
        .map_err(|_| "read failed")?;
    let Frame::Ok { body, .. } = codec::read_frame(&buf, 0) else {
        return Err("bad record");
    };
    let mut r = Reader::new(&body[1..]);
    let h = codec::read_put_header(&mut r)?;
    let mut env = codec::decode_envelope(h.env)?;
    for (rcpt, st) in env.recipients.iter_mut().zip(states.iter()) {
        rcpt.state = *st;
    }
    let external = h.flags & FLAG_EXTERNAL != 0;
    let content = (!external).then(|| r.rest());
    let (rec, header_len) = build_put(id, &env, content, h.content_len);
    let kind = OpKind::Put {
        id,
        header_len,
        states,
        external,
        fresh_external: false,
    };
    Ok((rec, kind))
}
