//! All accounting files of one configuration, written together (used by the writer task).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::AcctError;
use super::file::AcctFile;
use super::options::{AcctConfig, AcctFileOptions};
use super::pipe::AcctPipe;
use super::record::AcctRecord;
use crate::bouncecat::BounceCategories;

/// One `<acct-file>` block: a file, or a program reading the records. (A handful per
/// configuration, so the size difference between the variants does not matter.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Output {
    File(AcctFile),
    Pipe(AcctPipe),
}

impl Output {
    fn open(opts: &AcctFileOptions, now: u64) -> Result<Output, AcctError> {
        Ok(match &opts.pipe {
            Some(p) => Output::Pipe(AcctPipe::open(opts, p)?),
            None => Output::File(AcctFile::open(opts, now)?),
        })
    }

    fn write(&mut self, recs: &[&AcctRecord], bounce: &BounceCategories) -> Result<(), AcctError> {
        match self {
            Output::File(f) => f.append(recs, bounce).and_then(|()| f.flush()),
            Output::Pipe(p) => p.append(recs, bounce),
        }
    }

    fn file(&mut self) -> Option<&mut AcctFile> {
        match self {
            Output::File(f) => Some(f),
            Output::Pipe(_) => None,
        }
    }
}

/// The `<acct-file>` outputs plus the per-domain files opened so far.
#[derive(Debug)]
pub struct AcctSet {
    outputs: Vec<Output>,
    domain_opts: HashMap<PathBuf, AcctFileOptions>,
    domain: HashMap<Arc<Path>, AcctFile>,
    bounce: Arc<BounceCategories>,
}

impl AcctSet {
    /// Opens every `<acct-file>` now; per-domain files open on their first record.
    pub fn open(cfg: &AcctConfig, now: u64) -> Result<AcctSet, AcctError> {
        let outputs = cfg
            .files
            .iter()
            .map(|o| Output::open(o, now))
            .collect::<Result<Vec<_>, _>>()?;
        let domain_opts = cfg
            .domain_files
            .iter()
            .map(|o| (o.path.clone(), o.clone()))
            .collect();
        Ok(AcctSet {
            outputs,
            domain_opts,
            domain: HashMap::new(),
            bounce: cfg.bounce.clone(),
        })
    }

    /// Formats and writes one batch to every file that takes it. Every file is attempted
    /// even if one fails; failed bytes stay pending in that file for [`Self::retry`].
    pub fn write(&mut self, recs: &[AcctRecord], now: u64) -> Result<(), AcctError> {
        let mut first_err = None;
        let all: Vec<&AcctRecord> = recs.iter().collect();
        for out in &mut self.outputs {
            keep_first(&mut first_err, out.write(&all, &self.bounce));
        }
        for (path, group) in group_by_domain_file(recs) {
            let res = domain_file(&mut self.domain, &self.domain_opts, &path, now)
                .and_then(|f| f.append(&group, &self.bounce).and_then(|()| f.flush()));
            keep_first(&mut first_err, res);
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Retries the bytes of failed writes.
    pub fn retry(&mut self) -> Result<(), AcctError> {
        let mut first_err = None;
        for f in self.all_files() {
            keep_first(&mut first_err, f.flush());
        }
        first_err.map_or(Ok(()), Err)
    }

    /// True while some file still holds bytes a write failed to store. (A pipe never
    /// counts: a slow program must not hold back the daemon.)
    pub fn has_pending(&self) -> bool {
        let mut files = self.outputs.iter().filter_map(|o| match o {
            Output::File(f) => Some(f),
            Output::Pipe(_) => None,
        });
        files.any(AcctFile::has_pending) || self.domain.values().any(AcctFile::has_pending)
    }

    /// Rotates the files that are due (midnight, size, move-interval).
    pub fn rotate_due(&mut self, now: u64) -> Result<(), AcctError> {
        let mut first_err = None;
        for f in self.all_files().filter(|f| f.rotation_due(now)) {
            keep_first(&mut first_err, f.rotate(now));
        }
        first_err.map_or(Ok(()), Err)
    }

    /// `pmta rotate acct [FILE]`: rotates every file, or the one configured as `only`.
    pub fn rotate(&mut self, now: u64, only: Option<&Path>) -> Result<(), AcctError> {
        let mut first_err = None;
        for f in self.all_files() {
            if only.is_none_or(|p| p == f.configured_path()) {
                keep_first(&mut first_err, f.rotate(now));
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Flushes and fsyncs everything (shutdown, `flush` requests); pipes get a moment to
    /// take what is queued for them.
    pub fn sync(&mut self) -> Result<(), AcctError> {
        let mut first_err = None;
        for out in &mut self.outputs {
            if let Output::Pipe(p) = out {
                keep_first(&mut first_err, p.sync());
            }
        }
        for f in self.all_files() {
            keep_first(&mut first_err, f.sync());
        }
        first_err.map_or(Ok(()), Err)
    }

    /// The earliest time a file rotates by time alone.
    pub fn next_deadline(&self) -> Option<u64> {
        let files = self.outputs.iter().filter_map(|o| match o {
            Output::File(f) => Some(f.next_deadline()),
            Output::Pipe(_) => None,
        });
        files
            .chain(self.domain.values().map(AcctFile::next_deadline))
            .min()
    }

    fn all_files(&mut self) -> impl Iterator<Item = &mut AcctFile> {
        let files = self.outputs.iter_mut().filter_map(Output::file);
        files.chain(self.domain.values_mut())
    }
}

/// The open per-domain file for `path`, opened on first use.
fn domain_file<'a>(
    open: &'a mut HashMap<Arc<Path>, AcctFile>,
    opts: &HashMap<PathBuf, AcctFileOptions>,
    path: &Arc<Path>,
    now: u64,
) -> Result<&'a mut AcctFile, AcctError> {
    if !open.contains_key(path) {
        let o = opts
            .get(path.as_ref())
            .cloned()
            .unwrap_or_else(|| AcctFileOptions::per_domain(path.as_ref()));
        open.insert(path.clone(), AcctFile::open(&o, now)?);
    }
    Ok(open.get_mut(path).expect("inserted above"))
}

fn keep_first(slot: &mut Option<AcctError>, r: Result<(), AcctError>) {
    if let Err(e) = r {
        tracing::error!("accounting: {e}");
        slot.get_or_insert(e);
    }
}

/// Records grouped by their per-domain file, in arrival order within each group.
fn group_by_domain_file(recs: &[AcctRecord]) -> Vec<(Arc<Path>, Vec<&AcctRecord>)> {
    let mut groups: Vec<(Arc<Path>, Vec<&AcctRecord>)> = Vec::new();
    for r in recs {
        let Some(p) = r.domain_file() else { continue };
        match groups.iter_mut().find(|(g, _)| g == p) {
            Some((_, v)) => v.push(r),
            None => groups.push((p.clone(), vec![r])),
        }
    }
    groups
}
