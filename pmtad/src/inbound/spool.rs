//! The spool's content writer as the session's content sink, so the daemon's `Intake` can
//! return `Spool::content_writer()` from `begin` and `Spool::store` it at the end of DATA.

use super::intake::{Content, StoreError};
use crate::spool::{ContentWriter, SpoolError};

impl From<SpoolError> for StoreError {
    fn from(e: SpoolError) -> Self {
        StoreError::Spool(Box::new(e))
    }
}

/// Writes go to memory or the page cache (a spill file past the threshold), never fsync:
/// cheap enough to call per DATA chunk from the session task.
impl Content for ContentWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        ContentWriter::write(self, chunk).map_err(StoreError::from)
    }
}
