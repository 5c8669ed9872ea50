//! Hint files: a per-segment summary written when a segment is sealed (Bitcask-style), so a
//! restart reads envelopes and state changes, not message bodies.
//!
//! A hint is a sequence of frames: `HINT_PUT` (offset, record length, PUT header without the
//! content) and `STATE` (copied verbatim), ending with `HINT_END` that names how many bytes
//! of the segment it covers. A hint that is torn, or that covers a different length than the
//! segment has, is ignored and the segment is scanned instead.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::codec::{self, Frame, KIND_HINT_END};
use super::segment;

/// Writes the hint of a sealed segment (temp file, fsync, rename). Best effort: a missing hint
/// only makes the next start-up scan that segment.
pub fn write_hint(root: &Path, seg: u64, covered: u64, mut frames: Vec<u8>) {
    codec::frame(&mut frames, |o| {
        codec::put_u8(o, KIND_HINT_END);
        codec::put_u64(o, covered);
    });
    let path = segment::hint_path(root, seg);
    let tmp = path.with_extension("hint-tmp");
    let res = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&frames).and_then(|_| f.sync_data()))
        .and_then(|_| fs::rename(&tmp, &path));
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        tracing::warn!(segment = seg, error = %e, "spool: could not write hint file");
    }
}

/// Reads a hint file and returns its frames (without the trailer) if it is complete and
/// covers exactly `seg_len` bytes of its segment.
pub fn load_hint(root: &Path, seg: u64, seg_len: u64) -> Option<Vec<u8>> {
    let mut buf = fs::read(segment::hint_path(root, seg)).ok()?;
    let mut pos = 0;
    loop {
        match codec::read_frame(&buf, pos) {
            Frame::Ok { body, next } => {
                if body[0] == KIND_HINT_END {
                    let covered = codec::Reader::new(&body[1..]).u64().ok()?;
                    if covered != seg_len || next != buf.len() {
                        return None;
                    }
                    buf.truncate(pos);
                    return Some(buf);
                }
                pos = next;
            }
            Frame::End | Frame::Bad(_) => return None,
        }
    }
}
