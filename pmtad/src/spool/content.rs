//! Message content on its way into the spool, with bounded memory: small messages stay in a
//! buffer, a message that grows past the spill threshold moves to a file under `tmp/`.
//!
//! Writes go to the page cache only (no fsync), so they are cheap enough to call from an
//! async session task per DATA chunk; durability comes at [`super::Spool::store`].

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::SpoolError;

/// Accumulates the content of one message. Get one from [`super::Spool::content_writer`].
#[derive(Debug)]
pub struct ContentWriter {
    buf: Vec<u8>,
    spill: Option<Spill>,
    len: u64,
    threshold: usize,
    /// Where a spill file would go: the spool's `tmp/` and a name unique to this writer.
    /// The path is only built if the message spills, so small messages (nearly all) pay
    /// for no formatting or allocation here.
    tmp: (Arc<Path>, u32, u64),
}

/// A spilled content file; removed on drop unless it was moved into the spool.
#[derive(Debug)]
pub struct Spill {
    pub(crate) file: File,
    pub(crate) path: PathBuf,
    pub(crate) keep: bool,
}

impl Drop for Spill {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Complete message content, ready for [`super::Spool::store`].
#[derive(Debug)]
pub enum Content {
    /// Small message, held in memory.
    Inline(Vec<u8>),
    /// Large message, in a temporary file of the spool.
    Spilled { spill: Spill, len: u64 },
}

impl Content {
    /// Content length in bytes (what the envelope's `size` is set to when stored).
    pub fn len(&self) -> u64 {
        match self {
            Content::Inline(v) => v.len() as u64,
            Content::Spilled { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Vec<u8>> for Content {
    fn from(v: Vec<u8>) -> Self {
        Content::Inline(v)
    }
}

impl ContentWriter {
    /// `tmp_dir`, `pid` and `seq` name the spill file, if one is needed.
    pub(crate) fn new(threshold: usize, tmp_dir: Arc<Path>, pid: u32, seq: u64) -> Self {
        ContentWriter {
            buf: Vec::new(),
            spill: None,
            len: 0,
            threshold,
            tmp: (tmp_dir, pid, seq),
        }
    }

    /// Appends a chunk of content. Memory use stays below the spill threshold.
    pub fn write(&mut self, data: &[u8]) -> Result<(), SpoolError> {
        self.len += data.len() as u64;
        if self.spill.is_none() && self.buf.len() + data.len() <= self.threshold {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        if self.spill.is_none() {
            let (dir, pid, seq) = &self.tmp;
            self.spill = Some(open_spill(&dir.join(format!("{pid}-{seq}")))?);
            let pending = std::mem::take(&mut self.buf);
            self.write_spill(&pending)?;
        }
        self.write_spill(data)
    }

    fn write_spill(&mut self, data: &[u8]) -> Result<(), SpoolError> {
        let spill = self.spill.as_mut().expect("spill file open");
        spill
            .file
            .write_all(data)
            .map_err(|e| SpoolError::io("writing spilled content", &spill.path, e))
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the message.
    pub fn finish(self) -> Content {
        match self.spill {
            None => Content::Inline(self.buf),
            Some(spill) => Content::Spilled {
                spill,
                len: self.len,
            },
        }
    }
}

fn open_spill(path: &Path) -> Result<Spill, SpoolError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| SpoolError::io("creating spill file", path, e))?;
    Ok(Spill {
        file,
        path: path.to_path_buf(),
        keep: false,
    })
}
