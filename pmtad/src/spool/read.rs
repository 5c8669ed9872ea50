//! Reading a whole message back (envelope and content) for a delivery attempt.
//!
//! The queue index keeps only ids and recipient indices, so the delivery engine gets the
//! envelope from the same record as the content: one `pread` per attempt, no envelope kept
//! in memory per queued message.

use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;

use super::codec::{self, Frame, Reader};
use super::index::Location;
use super::{Spool, SpoolError, segment};
use crate::envelope::{Envelope, MessageId};

/// Largest record read on the async thread (see [`Spool::read_message`]).
const INLINE_READ_MAX: u32 = 64 * 1024;

impl Spool {
    /// The envelope as stored at intake (every recipient pending; see [`Spool::states`] for
    /// the current states) and the content. Blocking: use [`Spool::read_message`] from async
    /// code.
    pub fn read_message_blocking(&self, id: MessageId) -> Result<(Envelope, Vec<u8>), SpoolError> {
        let loc = self.locate(id)?;
        self.read_at(id, &loc)
    }

    fn locate(&self, id: MessageId) -> Result<Location, SpoolError> {
        let index = crate::locks::lock(&self.inner.index);
        index.locate(id.0).ok_or(SpoolError::NotFound(id))
    }

    fn read_at(&self, id: MessageId, loc: &Location) -> Result<(Envelope, Vec<u8>), SpoolError> {
        let mut rec = vec![0u8; loc.len as usize];
        loc.file
            .read_exact_at(&mut rec, loc.off)
            .map_err(|e| SpoolError::io("reading message", &self.inner.root, e))?;
        self.decode(id, loc.off, &rec, loc.external)
    }

    /// Envelope and content of a PUT record (`off` only names the place in errors).
    fn decode(
        &self,
        id: MessageId,
        off: u64,
        rec: &[u8],
        external: bool,
    ) -> Result<(Envelope, Vec<u8>), SpoolError> {
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
        let envelope = codec::decode_envelope(h.env).map_err(corrupt)?;
        let content = if external {
            let path = segment::big_path(&self.inner.root, id.0);
            std::fs::read(&path).map_err(|e| SpoolError::io("reading content", path, e))?
        } else {
            r.rest().to_vec()
        };
        Ok((envelope, content))
    }

    /// Async form of [`Spool::read_message_blocking`].
    ///
    /// A small record of the newest segment is read right here: it was written moments ago
    /// and sits in the page cache, so the `pread` is a memory copy of a few microseconds,
    /// cheaper than waking a blocking-pool thread and waiting for it (which was most of the
    /// relay's per-message kernel time). Anything else may touch the disk and goes to the
    /// blocking pool.
    ///
    /// A message stored moments ago comes from the body cache instead: no read at all.
    pub async fn read_message(&self, id: MessageId) -> Result<(Envelope, Vec<u8>), SpoolError> {
        let cached = crate::locks::lock(&self.inner.cache).get(id.0);
        let counters = &self.inner.counters;
        if let Some(rec) = cached {
            counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return self.decode(id, 0, &rec, false);
        }
        counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        let loc = self.locate(id)?;
        if loc.newest && !loc.external && loc.len <= INLINE_READ_MAX {
            return self.read_at(id, &loc);
        }
        let spool = self.clone();
        tokio::task::spawn_blocking(move || spool.read_at(id, &loc))
            .await
            .map_err(|_| SpoolError::Closed)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{RcptState, Recipient};
    use crate::spool::SpoolOptions;

    fn envelope() -> Envelope {
        Envelope {
            mail_from: "s@example.org".into(),
            recipients: vec![Recipient {
                address: "r@example.com".into(),
                orcpt: None,
                state: RcptState::Pending,
                notify: Default::default(),
            }],
            vmta: "v1".into(),
            received_at: 1_700_000_000,
            source_ip: None,
            size: 0,
            env_id: Some("e1".into()),
            job_id: None,
            helo: None,
            acct_headers: Vec::new(),
            auth_user: None,
        }
    }

    #[tokio::test]
    async fn small_and_spilled_messages_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SpoolOptions {
            spill_threshold: 64,
            ..SpoolOptions::default()
        };
        let (spool, _) = Spool::open(dir.path(), opts).unwrap();
        for body in [b"Subject: small\r\n\r\nhi\r\n".to_vec(), vec![b'x'; 10_000]] {
            let mut w = spool.content_writer();
            w.write(&body).unwrap();
            let id = spool.store(&envelope(), w.finish()).await.unwrap();
            let (env, content) = spool.read_message(id).await.unwrap();
            assert_eq!(content, body);
            assert_eq!(env.recipients[0].address, "r@example.com");
            assert_eq!(env.env_id.as_deref(), Some("e1"));
            assert_eq!(env.vmta, "v1");
        }
    }
}
