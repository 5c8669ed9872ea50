//! CSV encoding of records for one output (a file or a pipe), shared by both so a pipe
//! program reads exactly the lines a file would hold.

use super::AcctError;
use super::format::{FmtCtx, write_field};
use super::options::{AcctFileOptions, Layout};
use super::record::AcctRecord;
use crate::bouncecat::BounceCategories;

/// The column layout of one output plus reusable field buffers.
#[derive(Debug)]
pub struct Encoder {
    layout: Layout,
    user_string: Option<String>,
    scratch: Vec<String>,
}

impl Encoder {
    pub fn new(opts: &AcctFileOptions) -> Result<Encoder, AcctError> {
        Ok(Encoder {
            layout: Layout::new(opts)?,
            user_string: opts.user_string.clone(),
            scratch: Vec::new(),
        })
    }

    /// The header row, CSV-encoded with its line end.
    pub fn header(&self) -> Result<Vec<u8>, AcctError> {
        let mut w = csv_writer(Vec::new());
        w.write_record(self.layout.columns.iter().map(|c| c.name()))
            .map_err(csv_err)?;
        w.into_inner().map_err(|e| AcctError::Csv(e.to_string()))
    }

    /// Appends the lines of the records this output takes to `buf` (lent and given back,
    /// so the buffer's capacity is reused batch after batch).
    pub fn append(
        &mut self,
        recs: &[&AcctRecord],
        bounce: &BounceCategories,
        buf: Vec<u8>,
    ) -> Result<Vec<u8>, AcctError> {
        let ctx = FmtCtx {
            bounce,
            user_string: self.user_string.as_deref(),
        };
        let mut csv = csv_writer(buf);
        for rec in recs {
            let Some(fills) = self.layout.fills(rec.kind) else {
                continue;
            };
            let cols = self.layout.columns.len();
            self.scratch.resize_with(cols, String::new);
            for ((col, out), fill) in self.layout.columns.iter().zip(&mut self.scratch).zip(fills) {
                out.clear();
                if *fill {
                    write_field(col, rec, &ctx, out);
                }
            }
            csv.write_record(&self.scratch).map_err(csv_err)?;
        }
        csv.into_inner().map_err(|e| AcctError::Csv(e.to_string()))
    }
}

fn csv_writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(16 * 1024)
        .from_writer(buf)
}

fn csv_err(e: csv::Error) -> AcctError {
    AcctError::Csv(e.to_string())
}
