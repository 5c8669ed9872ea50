//! Binary encoding of records, envelopes and frames.
//!
//! Every record on disk is a frame `[len: u32 LE][crc32(body): u32 LE][body]`. A zero length is
//! never valid, so zero-filled or truncated tails are recognised as torn. Bodies start with a
//! kind byte. Hand-written rather than serde-based: the format is small, stable, and decoding
//! a million envelopes at start-up must be fast.

use std::net::IpAddr;

use crate::envelope::{Envelope, RcptState, Recipient};

/// A message with its envelope (and, unless external, its content).
pub const KIND_PUT: u8 = 1;
/// Per-recipient state changes of one message.
pub const KIND_STATE: u8 = 2;
/// Hint file: a PUT without content, with its location in the segment.
pub const KIND_HINT_PUT: u8 = 3;
/// Hint file trailer: how many bytes of the segment the hint covers.
pub const KIND_HINT_END: u8 = 4;

/// PUT flag: the content lives in `big/<id>` rather than in the record.
pub const FLAG_EXTERNAL: u8 = 1;

/// Frame header size: length + CRC.
pub const FRAME_HEADER: usize = 8;
/// Upper bound on one frame body; anything larger is a torn or corrupt length field.
pub const MAX_BODY: usize = 1 << 30;

/// Appends one frame whose body is produced by `body`, patching length and CRC afterwards.
pub fn frame(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEADER]);
    body(out);
    let len = (out.len() - start - FRAME_HEADER) as u32;
    let crc = crc32fast::hash(&out[start + FRAME_HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Result of reading one frame at a position of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A valid frame; `next` is the offset just after it.
    Ok { body: &'a [u8], next: usize },
    /// Clean end of buffer.
    End,
    /// Short, zero, oversized or CRC-failing frame: a torn write (or corruption).
    Bad(&'static str),
}

/// Reads the frame starting at `pos`.
pub fn read_frame(buf: &[u8], pos: usize) -> Frame<'_> {
    if pos == buf.len() {
        return Frame::End;
    }
    let Some(header) = buf.get(pos..pos + FRAME_HEADER) else {
        return Frame::Bad("short frame header");
    };
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    if len == 0 || len > MAX_BODY {
        return Frame::Bad("bad frame length");
    }
    let start = pos + FRAME_HEADER;
    let Some(body) = buf.get(start..start + len) else {
        return Frame::Bad("frame extends past end of file");
    };
    if crc32fast::hash(body) != crc {
        return Frame::Bad("frame checksum mismatch");
    }
    Frame::Ok {
        body,
        next: start + len,
    }
}

pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}
fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => put_u8(out, 0),
        Some(s) => {
            put_u8(out, 1);
            put_str(out, s);
        }
    }
}

pub fn state_code(s: RcptState) -> u8 {
    match s {
        RcptState::Pending => 0,
        RcptState::Delivered => 1,
        RcptState::Failed => 2,
    }
}

pub fn state_from(code: u8) -> Result<RcptState, &'static str> {
    match code {
        0 => Ok(RcptState::Pending),
        1 => Ok(RcptState::Delivered),
        2 => Ok(RcptState::Failed),
        _ => Err("unknown recipient state"),
    }
}

/// Encodes an envelope (every field: a field added to [`Envelope`] must be added here and
/// in [`decode_envelope`], the spool's round-trip test checks it); `size` replaces `env.size` (the stored content length is the truth).
pub fn encode_envelope(out: &mut Vec<u8>, env: &Envelope, size: u64) {
    put_u8(out, 1); // envelope format version
    put_str(out, &env.mail_from);
    put_str(out, &env.vmta);
    put_u64(out, env.received_at);
    match env.source_ip {
        None => put_u8(out, 0),
        Some(IpAddr::V4(ip)) => {
            put_u8(out, 4);
            out.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            put_u8(out, 6);
            out.extend_from_slice(&ip.octets());
        }
    }
    put_u64(out, size);
    put_opt_str(out, env.env_id.as_deref());
    put_opt_str(out, env.job_id.as_deref());
    put_opt_str(out, env.helo.as_deref());
    put_u32(out, env.acct_headers.len() as u32);
    for (name, value) in &env.acct_headers {
        put_str(out, name);
        put_str(out, value);
    }
    put_u32(out, env.recipients.len() as u32);
    for r in &env.recipients {
        put_str(out, &r.address);
        put_opt_str(out, r.orcpt.as_deref());
        put_u8(out, state_code(r.state) | r.notify.bits() << 4);
    }
    // Added after the recipients so that envelopes written before it still decode.
    put_opt_str(out, env.auth_user.as_deref());
}

/// A bounds-checked little-endian reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, &'static str>;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }
    pub fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let s = self.buf.get(self.pos..end).ok_or("truncated field")?;
        self.pos = end;
        Ok(s)
    }
    pub fn u8(&mut self) -> R<u8> {
        Ok(self.bytes(1)?[0])
    }
    pub fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes(self.bytes(2)?.try_into().expect("2")))
    }
    pub fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4")))
    }
    pub fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8")))
    }
    fn string(&mut self) -> R<String> {
        let n = self.u32()? as usize;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in envelope")
    }
    fn opt_string(&mut self) -> R<Option<String>> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err("bad option tag"),
        }
    }
    fn ip(&mut self) -> R<Option<IpAddr>> {
        match self.u8()? {
            0 => Ok(None),
            4 => Ok(Some(IpAddr::from(
                <[u8; 4]>::try_from(self.bytes(4)?).expect("4"),
            ))),
            6 => Ok(Some(IpAddr::from(
                <[u8; 16]>::try_from(self.bytes(16)?).expect("16"),
            ))),
            _ => Err("bad address tag"),
        }
    }
}

/// Decodes an envelope written by [`encode_envelope`].
pub fn decode_envelope(buf: &[u8]) -> R<Envelope> {
    let mut r = Reader::new(buf);
    if r.u8()? != 1 {
        return Err("unknown envelope version");
    }
    let mail_from = r.string()?;
    let vmta = r.string()?;
    let received_at = r.u64()?;
    let source_ip = r.ip()?;
    let size = r.u64()?;
    let env_id = r.opt_string()?;
    let job_id = r.opt_string()?;
    let helo = r.opt_string()?;
    let nh = r.u32()? as usize;
    let mut acct_headers = Vec::with_capacity(nh.min(r.rest().len() / 8));
    for _ in 0..nh {
        acct_headers.push((r.string()?, r.string()?));
    }
    let n = r.u32()? as usize;
    let mut recipients = Vec::with_capacity(n.min(r.rest().len() / 6));
    for _ in 0..n {
        let address = r.string()?;
        let orcpt = r.opt_string()?;
        // Low nibble: the state; high nibble: the NOTIFY flags (zero in older spools).
        let byte = r.u8()?;
        recipients.push(Recipient {
            address,
            orcpt,
            state: state_from(byte & 0x0f)?,
            notify: crate::envelope::Notify::from_bits(byte >> 4),
        });
    }
    let auth_user = if r.rest().is_empty() {
        None
    } else {
        r.opt_string()?
    };
    Ok(Envelope {
        auth_user,
        mail_from,
        recipients,
        vmta,
        received_at,
        source_ip,
        size,
        env_id,
        job_id,
        helo,
        acct_headers,
    })
}

/// The fixed part of a PUT body after its kind byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutHeader<'a> {
    pub id: u64,
    pub flags: u8,
    pub env: &'a [u8],
    pub content_len: u64,
}

/// Reads the PUT header `id, flags, env_len, env, content_len` (shared by PUT and HINT_PUT).
pub fn read_put_header<'a>(r: &mut Reader<'a>) -> R<PutHeader<'a>> {
    let id = r.u64()?;
    let flags = r.u8()?;
    let n = r.u32()? as usize;
    let env = r.bytes(n)?;
    let content_len = r.u64()?;
    Ok(PutHeader {
        id,
        flags,
        env,
        content_len,
    })
}

/// Encodes a STATE body (without frame).
pub fn state_body(out: &mut Vec<u8>, id: u64, updates: &[(u32, RcptState)]) {
    put_u8(out, KIND_STATE);
    put_u64(out, id);
    put_u16(out, updates.len() as u16);
    for &(idx, st) in updates {
        put_u32(out, idx);
        put_u8(out, state_code(st));
    }
}

/// Decodes a STATE body after its kind byte.
pub fn read_state(r: &mut Reader<'_>) -> R<(u64, Vec<(u32, RcptState)>)> {
    let id = r.u64()?;
    let n = r.u16()? as usize;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push((r.u32()?, state_from(r.u8()?)?));
    }
    Ok((id, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope {
            mail_from: "a@b.example".into(),
            recipients: vec![
                Recipient {
                    address: "x@y.example".into(),
                    orcpt: Some("rfc822;x@y.example".into()),
                    state: RcptState::Pending,
                    notify: Default::default(),
                },
                Recipient {
                    address: "z@y.example".into(),
                    orcpt: None,
                    state: RcptState::Delivered,
                    notify: Default::default(),
                },
            ],
            vmta: "{default}".into(),
            received_at: 1_700_000_000,
            source_ip: Some("127.0.0.1".parse().unwrap()),
            size: 0,
            env_id: Some("e1".into()),
            job_id: None,
            helo: Some("feeder.example".into()),
            acct_headers: vec![("X-Campaign".into(), "c1".into())],
            auth_user: Some("alice".into()),
        }
    }

    #[test]
    fn envelope_round_trips_with_stored_size() {
        let mut buf = Vec::new();
        encode_envelope(&mut buf, &sample(), 42);
        let back = decode_envelope(&buf).unwrap();
        assert_eq!(
            back,
            Envelope {
                size: 42,
                ..sample()
            }
        );
    }

    #[test]
    fn truncated_envelope_is_an_error_not_a_panic() {
        let mut buf = Vec::new();
        encode_envelope(&mut buf, &sample(), 1);
        // Where an envelope written before `auth_user` existed ends: that one decodes.
        let legacy = buf.len() - (1 + 4 + "alice".len());
        for cut in (0..buf.len()).filter(|&c| c != legacy) {
            assert!(decode_envelope(&buf[..cut]).is_err(), "cut at {cut}");
        }
        let old = decode_envelope(&buf[..legacy]).unwrap();
        assert_eq!(old.auth_user, None);
    }

    #[test]
    fn frames_detect_torn_and_zeroed_tails() {
        let mut buf = Vec::new();
        frame(&mut buf, |o| o.extend_from_slice(b"hello"));
        let whole = buf.len();
        assert!(matches!(read_frame(&buf, 0), Frame::Ok { next, .. } if next == whole));
        assert_eq!(read_frame(&buf, whole), Frame::End);
        assert!(matches!(read_frame(&buf[..whole - 1], 0), Frame::Bad(_)));
        let zeros = [0u8; 16];
        assert!(matches!(read_frame(&zeros, 0), Frame::Bad(_)));
        buf[whole - 1] ^= 1;
        assert!(matches!(read_frame(&buf, 0), Frame::Bad(_)));
    }
}
