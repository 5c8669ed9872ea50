//! Plain option structs, close to PowerMTA's directives, that the daemon fills from the
//! config model. Defaults are PowerMTA's documented ones.

use std::path::PathBuf;
use std::time::Duration;

use super::AcctError;
use super::fields::{Field, RecordType, extend_unique, select_fields};

/// One `<acct-file PATH>` block (or a domain's `accounting-log PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcctFileOptions {
    /// The configured path; the live file is `STEM-YYYY-MM-DD-NNNN.EXT` beside it.
    pub path: PathBuf,
    /// `records` (default `d,b`).
    pub records: Vec<RecordType>,
    /// `record-fields TYPE SPEC` lines, e.g. `(Delivery, "*,!orcpt,header_Message-Id")`.
    /// A type without a line gets `*`.
    pub record_fields: Vec<(RecordType, String)>,
    /// `max-size` in bytes (default 250M): start the next file once this size is reached.
    pub max_size: u64,
    /// `move-to DIR`: finished files are moved there (same volume: it is a rename).
    pub move_to: Option<PathBuf>,
    /// `move-interval` (default 1d): with `move-to`, also finish a file after this long.
    pub move_interval: Duration,
    /// `delete-after` (default 8d, `None` = never): without `move-to`, old files are removed.
    pub delete_after: Option<Duration>,
    /// `user-string`: the value of the `userString` column.
    pub user_string: Option<String>,
    /// `sync`: fsync after every batch (otherwise at rotation and shutdown).
    pub sync: bool,
    /// `<acct-file |COMMAND>`: the records go to this program instead of a file.
    pub pipe: Option<PipeOptions>,
}

/// The program of an `<acct-file |COMMAND>` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeOptions {
    /// Run with `/bin/sh -c`, so redirections and arguments work as in a shell.
    pub command: String,
    /// `retry-interval` (default 5m): wait before restarting a program that failed.
    pub retry_interval: Duration,
    /// `write-timeout` (default 1m): a program that reads nothing for this long is killed.
    pub write_timeout: Duration,
}

impl AcctFileOptions {
    /// An `<acct-file PATH>` block with every directive at its default.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AcctFileOptions {
            path: path.into(),
            records: vec![RecordType::Delivery, RecordType::Bounce],
            record_fields: Vec::new(),
            max_size: 250 * 1024 * 1024,
            move_to: None,
            move_interval: Duration::from_secs(86_400),
            delete_after: Some(Duration::from_secs(8 * 86_400)),
            user_string: None,
            sync: false,
            pipe: None,
        }
    }

    /// A domain's `accounting-log PATH`: the same format, with the recipient-level records
    /// of that domain (`d`, `b` and `t`, which share one column set).
    pub fn per_domain(path: impl Into<PathBuf>) -> Self {
        let mut o = Self::new(path);
        o.records.push(RecordType::Transient);
        o
    }

    /// Parses a `records` value such as `d,b,tq`.
    pub fn parse_records(list: &str) -> Result<Vec<RecordType>, AcctError> {
        let mut out: Vec<RecordType> = Vec::new();
        for item in list.split(',').filter(|s| !s.trim().is_empty()) {
            let t = RecordType::parse(item)?;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Header names captured at intake for this file's `header_NAME` columns.
    pub fn wanted_headers(&self) -> Result<Vec<String>, AcctError> {
        let layout = Layout::new(self)?;
        Ok(layout
            .columns
            .iter()
            .filter_map(|f| f.header_name().map(str::to_string))
            .collect())
    }
}

/// All accounting settings of one configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcctConfig {
    /// The `<acct-file>` blocks.
    pub files: Vec<AcctFileOptions>,
    /// Every domain's `accounting-log` (with `log-entries yes`), checked at load; records
    /// name theirs through [`super::Attempt::domain_file`].
    pub domain_files: Vec<AcctFileOptions>,
    /// The bounce-category engine of the configuration (`<bounce-category-patterns>` then
    /// the shipped set), shared with DSNs and `domain detail`.
    pub bounce: std::sync::Arc<crate::bouncecat::BounceCategories>,
}

impl AcctConfig {
    /// Every header name some file wants, for intake to capture into
    /// [`crate::envelope::Envelope::acct_headers`].
    pub fn wanted_headers(&self) -> Result<Vec<String>, AcctError> {
        let mut out: Vec<String> = Vec::new();
        for f in self.files.iter().chain(&self.domain_files) {
            for h in f.wanted_headers()? {
                if !out.iter().any(|x| x.eq_ignore_ascii_case(&h)) {
                    out.push(h);
                }
            }
        }
        Ok(out)
    }
}

/// The columns of one file and which of them each record type fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The header row: the union of the configured types' fields.
    pub columns: Vec<Field>,
    /// Per [`RecordType::ALL`] index: `None` if the file does not take that type, else one
    /// flag per column saying whether the type fills it.
    fills: [Option<Vec<bool>>; 8],
}

impl Layout {
    pub fn new(opts: &AcctFileOptions) -> Result<Layout, AcctError> {
        let mut per_type: Vec<(RecordType, Vec<Field>)> = Vec::new();
        for t in RecordType::ALL
            .into_iter()
            .filter(|t| opts.records.contains(t))
        {
            let spec = opts.record_fields.iter().rev().find(|(rt, _)| *rt == t);
            per_type.push((t, select_fields(t, spec.map_or("*", |(_, s)| s.as_str()))?));
        }
        let mut columns = Vec::new();
        for (_, fields) in &per_type {
            extend_unique(&mut columns, fields);
        }
        let mut fills: [Option<Vec<bool>>; 8] = Default::default();
        for (t, fields) in &per_type {
            fills[index(*t)] = Some(columns.iter().map(|c| fields.contains(c)).collect());
        }
        Ok(Layout { columns, fills })
    }

    /// Which columns a record of type `t` fills; `None` when the file does not take it.
    pub fn fills(&self, t: RecordType) -> Option<&[bool]> {
        self.fills[index(t)].as_deref()
    }
}

fn index(t: RecordType) -> usize {
    RecordType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_of_columns() {
        let mut o = AcctFileOptions::new("/tmp/x.csv");
        o.records = AcctFileOptions::parse_records("d,tq").unwrap();
        let l = Layout::new(&o).unwrap();
        assert_eq!(l.columns.len(), 23, "tq's columns are all among d's");
        let tq = l.fills(RecordType::TransientQueue).unwrap();
        assert_eq!(tq.iter().filter(|b| **b).count(), 10);
        assert!(l.fills(RecordType::Bounce).is_none());
        o.records = AcctFileOptions::parse_records("b,r").unwrap();
        let names: Vec<_> = Layout::new(&o)
            .unwrap()
            .columns
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        assert_eq!(&names[23..], ["rcvSourceIp", "rcvDestinationIp"]);
        assert!(AcctFileOptions::parse_records("d,x").is_err());
    }
}
