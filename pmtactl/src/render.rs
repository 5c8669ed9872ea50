//! Output: comfy-table tables on a terminal, plain aligned columns when piped, JSON on demand.
//!
//! Everything goes through [`Out`], which writes to a locked stdout and returns `io::Result`,
//! so a closed pipe (`pmtactl tail logs -f | head`) surfaces as `BrokenPipe` (exit 0)
//! instead of a panic in `println!`.

use std::fmt::Display;
use std::io::{self, BufWriter, IsTerminal, StdoutLock, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::{Attribute, Cell as TableCell, CellAlignment, Color, ContentArrangement, Table};
use serde::Serialize;

use crate::cli::Format;

/// How this run prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Box-drawn table; `color` only on a terminal without NO_COLOR.
    Table { color: bool },
    /// Whitespace-aligned columns, nothing else (for awk, grep, cut).
    Plain,
    /// Indented for a person on a terminal; one compact line for a program reading a pipe
    /// (half the bytes and the time for 10,000 domains).
    Json { pretty: bool },
}

impl Mode {
    /// `--json` wins; `auto` is a table on a terminal and plain otherwise.
    pub fn choose(format: Format, json: bool) -> Self {
        let tty = io::stdout().is_terminal();
        let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        match (format, json) {
            (_, true) | (Format::Json, _) => Self::Json { pretty: tty },
            (Format::Table, _) => Self::Table { color },
            (Format::Plain, _) => Self::Plain,
            (Format::Auto, _) if tty => Self::Table { color },
            (Format::Auto, _) => Self::Plain,
        }
    }
}

/// How a cell should stand out (only in colour tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Good,
    Warn,
    Bad,
}

/// One cell: text and tone.
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl<T: Display> From<T> for Cell {
    fn from(v: T) -> Self {
        Cell {
            text: v.to_string(),
            tone: Tone::Normal,
        }
    }
}

/// A cell with a tone.
pub fn toned(text: impl Display, tone: Tone) -> Cell {
    Cell {
        text: text.to_string(),
        tone,
    }
}

/// A table to print: headers (empty = key/value block), numeric columns right-aligned.
#[derive(Debug, Default)]
pub struct Grid {
    headers: Vec<&'static str>,
    numeric: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn new(headers: &[&'static str], numeric: &[usize]) -> Self {
        Self {
            headers: headers.to_vec(),
            numeric: numeric.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A two-column `name value` block without a header line.
    pub fn pairs() -> Self {
        Self::default()
    }

    pub fn row(&mut self, cells: Vec<Cell>) -> &mut Self {
        self.rows.push(cells);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders for `mode` (never JSON; callers print JSON themselves).
    pub fn render(&self, mode: Mode) -> String {
        let color = matches!(mode, Mode::Table { color: true });
        let mut t = Table::new();
        match mode {
            Mode::Table { .. } => {
                t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.set_content_arrangement(ContentArrangement::Dynamic);
            }
            _ => {
                t.load_style(comfy_table::presets::NOTHING);
                t.force_no_tty();
            }
        }
        if !color {
            t.force_no_tty();
        }
        if !self.headers.is_empty() {
            t.set_header(self.headers.iter().map(|h| header_cell(h, color)));
        }
        for row in &self.rows {
            t.add_row(row.iter().map(|c| styled(c, color)));
        }
        for &i in &self.numeric {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        match mode {
            Mode::Plain => unindent(&t.trim_fmt()),
            _ => t.to_string(),
        }
    }
}

fn header_cell(text: &str, color: bool) -> TableCell {
    let cell = TableCell::new(text);
    if color {
        cell.add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

fn styled(c: &Cell, color: bool) -> TableCell {
    let cell = TableCell::new(&c.text);
    match (color, c.tone) {
        (false, _) | (_, Tone::Normal) => cell,
        (true, Tone::Good) => cell.fg(Color::Green),
        (true, Tone::Warn) => cell.fg(Color::Yellow),
        (true, Tone::Bad) => cell.fg(Color::Red),
    }
}

/// comfy-table's NOTHING style still pads every line with one leading space; drop it.
fn unindent(text: &str) -> String {
    text.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The run's output stream, block-buffered: Rust's stdout is line-buffered, which costs a
/// write(2) per line (200,000 of them for `show domains --json` over 10,000 domains).
/// [`Out::flush`] runs at the end of every run and after every `tail` batch.
pub struct Out {
    w: BufWriter<StdoutLock<'static>>,
    pub mode: Mode,
    /// Whether a JSON document was printed (a failure after it adds no second document).
    wrote_json: bool,
}

impl Out {
    pub fn new(mode: Mode) -> Self {
        Self {
            w: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
            mode,
            wrote_json: false,
        }
    }

    /// Whether a JSON document was already printed.
    pub fn wrote_json(&self) -> bool {
        self.wrote_json
    }

    pub fn is_json(&self) -> bool {
        matches!(self.mode, Mode::Json { .. })
    }

    /// One JSON document followed by a newline.
    pub fn json<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.wrote_json = true;
        if self.mode == (Mode::Json { pretty: true }) {
            serde_json::to_writer_pretty(&mut self.w, value)?;
        } else {
            serde_json::to_writer(&mut self.w, value)?;
        }
        writeln!(self.w)
    }

    /// One compact JSON object per line, flushed (for `tail logs --json -f`).
    pub fn json_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        self.wrote_json = true;
        serde_json::to_writer(&mut self.w, value)?;
        writeln!(self.w)?;
        self.w.flush()
    }

    pub fn line(&mut self, text: impl Display) -> io::Result<()> {
        writeln!(self.w, "{text}")
    }

    pub fn grid(&mut self, grid: &Grid) -> io::Result<()> {
        let text = grid.render(self.mode);
        if !text.is_empty() {
            writeln!(self.w, "{text}")?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Seconds as the largest two units: `45s`, `5m12s`, `1h05m`, `4d12h`.
pub fn age(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match () {
        _ if d > 0 => format!("{d}d{h}h"),
        _ if h > 0 => format!("{h}h{m:02}m"),
        _ if m > 0 => format!("{m}m{s:02}s"),
        _ => format!("{s}s"),
    }
}

/// An optional age, `-` when absent.
pub fn opt_age(secs: Option<u64>) -> String {
    secs.map_or_else(|| "-".into(), age)
}

/// A future RFC 3339 time as `in 4m`, `now` when due, the raw text if unparsable.
pub fn until(at: Option<&str>) -> String {
    let Some(at) = at else { return "-".into() };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match proto::time::parse_rfc3339(at) {
        Some(t) if t > now => format!("in {}", age(t - now)),
        Some(_) => "now".into(),
        None => at.to_string(),
    }
}

/// A past RFC 3339 time as `5m ago`.
pub fn ago(at: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match proto::time::parse_rfc3339(at) {
        Some(t) => format!("{} ago", age(now.saturating_sub(t))),
        None => at.to_string(),
    }
}

/// A connection limit: the number, or `unlimited`.
pub fn limit(max: Option<u32>) -> String {
    max.map_or_else(|| "unlimited".into(), |n| n.to_string())
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `paused`/`backoff` columns of aggregated rows: `no`, `yes`, or `1/3` when only some.
pub fn some_of(part: u32, whole: u32) -> Cell {
    match part {
        0 => toned("no", Tone::Normal),
        p if p == whole => toned("yes", Tone::Warn),
        p => toned(format!("{p}/{whole}"), Tone::Warn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Grid {
        let mut g = Grid::new(&["DOMAIN", "RCPTS"], &[1]);
        g.row(vec!["gmail.com".into(), 12.into()]);
        g.row(vec!["a.test".into(), toned(3, Tone::Warn)]);
        g
    }

    #[test]
    fn plain_output_is_aligned_columns_without_boxes_or_escapes() {
        let text = sample().render(Mode::Plain);
        assert_eq!(text, "DOMAIN     RCPTS\ngmail.com     12\na.test         3");
    }

    #[test]
    fn table_output_draws_boxes_and_colours_only_when_asked() {
        let plain_table = sample().render(Mode::Table { color: false });
        assert!(plain_table.contains('┌') && plain_table.contains("gmail.com"));
        assert!(!plain_table.contains('\u{1b}'));
    }

    #[test]
    fn ages_use_the_two_largest_units() {
        assert_eq!(age(45), "45s");
        assert_eq!(age(312), "5m12s");
        assert_eq!(age(3900), "1h05m");
        assert_eq!(age(388_800), "4d12h");
        assert_eq!(opt_age(None), "-");
        assert_eq!(until(Some("2000-01-01T00:00:00Z")), "now");
    }
}
