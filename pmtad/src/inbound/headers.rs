//! Header processing on streamed message data: the fields the source processes
//! (`X-Virtual-MTA:`, `X-Job:` or its `jobid-header`, `X-EnvId:`) have their first value
//! captured and are removed unless retained; the values of the headers accounting wants
//! (`header_NAME` columns) are captured too; everything else passes through untouched.
//!
//! Only the header section is inspected and only a field's name is held back until it is
//! known (at most [`MAX_NAME`] bytes), plus captured values (at most [`MAX_VALUE`] each): the
//! body streams straight through, so memory stays bounded whatever the client sends.
//!
//! When `From:` may be rewritten (`from-domain`), the first `From:` field and the rest of
//! the header section after it are held back (at most [`MAX_HELD`] bytes) until the section
//! is over, when the virtual MTA, and so the rewrite list, is known: the session then takes
//! them with [`HeaderFilter::take_held`]. A longer section is passed on as it is.

use std::sync::Arc;

/// Longer field names cannot be one we look for; they are passed on as they are.
const MAX_NAME: usize = 64;
/// Longest captured value; longer values are truncated (an `X-Virtual-MTA` that long names
/// no virtual MTA, so the message is refused with that name).
const MAX_VALUE: usize = 998;
/// Most header bytes held back from the `From:` field on; beyond, `From:` is not rewritten.
const MAX_HELD: usize = 64 * 1024;

/// A header field the source processes: its first value is captured, and every occurrence
/// is removed from the message unless `remove` is false (`retain-x-job`, `jobid-header`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Processed {
    pub name: String,
    pub remove: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a header line.
    LineStart,
    /// A line began with CR: the empty line ending the header section, or junk.
    LineStartCr,
    /// Reading a field name (held in `name`).
    Name,
    /// Passing the rest of a line through.
    Pass,
    /// Dropping the rest of a line of the removed field.
    Drop,
    /// Past the header section: everything passes.
    Body,
}

/// Where the value of the current field goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Nowhere,
    Processed(usize),
    Wanted(usize),
}

/// Streaming filter for the header section of one message.
#[derive(Debug)]
pub(crate) struct HeaderFilter {
    state: State,
    /// The current field is removed (its continuation lines go too).
    dropping: bool,
    target: Target,
    processed: Arc<[Processed]>,
    wanted: Arc<[String]>,
    name: Vec<u8>,
    values: Vec<Option<Vec<u8>>>,
    captured: Vec<Option<Vec<u8>>>,
    hold: Hold,
}

/// The `From:` field and what follows it, held back for rewriting.
#[derive(Debug, Default)]
struct Hold {
    /// This message's `From:` may be rewritten.
    wanted: bool,
    /// The first `From:` was met (later ones pass as they are).
    seen: bool,
    /// Output goes to `bytes` instead of the caller's buffer.
    active: bool,
    /// The `From:` name was just read (into the caller's buffer's place: it goes to `bytes`).
    fresh: bool,
    bytes: Vec<u8>,
    /// Where the `From:` field ends in `bytes`, once known.
    from_end: Option<usize>,
}

/// What [`HeaderFilter::take_held`] gives: the `From:` field, then the bytes after it.
#[derive(Debug)]
pub(crate) struct Held {
    pub bytes: Vec<u8>,
    pub from_end: usize,
}

impl Default for HeaderFilter {
    fn default() -> Self {
        HeaderFilter {
            state: State::LineStart,
            dropping: false,
            target: Target::Nowhere,
            processed: Arc::from([]),
            wanted: Arc::from([]),
            name: Vec::with_capacity(MAX_NAME + 1),
            values: Vec::new(),
            captured: Vec::new(),
            hold: Hold::default(),
        }
    }
}

/// The processed fields of one session's rules, and where each one sits in the list.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    pub list: Arc<[Processed]>,
    pub vmta: Option<usize>,
    pub job: Option<usize>,
    /// `jobid-header NAME`: used when there is no (processed) `X-Job`.
    pub job_header: Option<usize>,
    pub env_id: Option<usize>,
    /// Headers a `<pattern-list>` reads: (name, position in the list).
    pub pattern: Vec<(String, usize)>,
}

impl Default for FieldPlan {
    fn default() -> Self {
        FieldPlan {
            list: Arc::from([]),
            vmta: None,
            job: None,
            job_header: None,
            env_id: None,
            pattern: Vec::new(),
        }
    }
}

impl FieldPlan {
    /// `process-x-virtual-mta`, `process-x-job` (+ `retain-x-job`), `jobid-header`,
    /// `process-x-envid`.
    pub(crate) fn new(rules: &super::intake::SourceRules, pattern_headers: &[String]) -> FieldPlan {
        let mut list = Vec::new();
        let mut add = |on: bool, name: &str, remove: bool| {
            on.then(|| {
                list.push(Processed {
                    name: name.to_ascii_lowercase(),
                    remove,
                });
                list.len() - 1
            })
        };
        let vmta = add(rules.policy.process_x_virtual_mta, "x-virtual-mta", true);
        let job = add(
            rules.policy.process_x_job,
            "x-job",
            !rules.policy.retain_x_job,
        );
        let alt = rules
            .policy
            .jobid_header
            .as_deref()
            .filter(|h| !(rules.policy.process_x_job && h.eq_ignore_ascii_case("x-job")));
        let job_header = add(alt.is_some(), alt.unwrap_or(""), false);
        let env_id = add(rules.policy.process_x_envid, "x-envid", true);
        let mut pattern = Vec::new();
        for h in pattern_headers {
            let lower = h.to_ascii_lowercase();
            // A field processed already is read from there (keeping its removal).
            let at = list.iter().position(|p| p.name == lower);
            let k = at.unwrap_or_else(|| {
                list.push(Processed {
                    name: lower,
                    remove: false,
                });
                list.len() - 1
            });
            pattern.push((h.clone(), k));
        }
        FieldPlan {
            list: Arc::from(list),
            vmta,
            job,
            job_header,
            env_id,
            pattern,
        }
    }
}

/// Unfolds a captured value: lines trimmed and joined with one space.
fn unfold(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::with_capacity(text.len());
    for part in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

impl HeaderFilter {
    /// Starts a message: which fields are processed, which headers are captured, whether
    /// `From:` is held back for rewriting.
    pub(crate) fn reset(
        &mut self,
        processed: &Arc<[Processed]>,
        wanted: &Arc<[String]>,
        hold_from: bool,
    ) {
        self.hold.bytes.clear();
        self.hold = Hold {
            wanted: hold_from,
            bytes: std::mem::take(&mut self.hold.bytes),
            ..Hold::default()
        };
        self.state = State::LineStart;
        self.dropping = false;
        self.target = Target::Nowhere;
        if !Arc::ptr_eq(&self.processed, processed) {
            self.processed = processed.clone();
        }
        if !Arc::ptr_eq(&self.wanted, wanted) {
            self.wanted = wanted.clone();
        }
        self.name.clear();
        self.values.clear();
        self.values.resize(self.processed.len(), None);
        self.captured.clear();
        self.captured.resize(self.wanted.len(), None);
    }

    /// True when the filter has nothing to do for this message.
    pub(crate) fn idle(&self) -> bool {
        self.processed.is_empty() && self.wanted.is_empty() && !self.hold.wanted
    }

    /// The held-back `From:` field and the header bytes after it (up to what was fed), if
    /// a `From:` was held; what the filter gives afterwards follows them.
    pub(crate) fn take_held(&mut self) -> Option<Held> {
        if !std::mem::take(&mut self.hold.active) {
            return None;
        }
        let bytes = std::mem::take(&mut self.hold.bytes);
        let from_end = self.hold.from_end.unwrap_or(bytes.len());
        Some(Held { bytes, from_end })
    }

    /// True once the empty line ending the header section has been passed.
    pub(crate) fn in_body(&self) -> bool {
        self.state == State::Body
    }

    /// The value of the first field of processed field `k`, unfolded and trimmed; `None`
    /// when the message had none (or an empty one).
    pub(crate) fn value(&self, k: usize) -> Option<String> {
        let v = unfold(self.values.get(k)?.as_deref()?);
        (!v.is_empty()).then_some(v)
    }

    /// `(configured name, unfolded value)` of each wanted header the message had.
    pub(crate) fn captured(&self) -> Vec<(String, String)> {
        self.wanted
            .iter()
            .zip(&self.captured)
            .filter_map(|(name, v)| Some((name.clone(), unfold(v.as_deref()?))))
            .collect()
    }

    /// Filters `input`, appending what is kept to `out` (or to the held bytes, from a held
    /// `From:` on).
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() {
            if !self.hold.active {
                i += self.advance(&input[i..], out);
                continue;
            }
            let mut held = std::mem::take(&mut self.hold.bytes);
            i += self.advance(&input[i..], &mut held);
            self.hold.bytes = held;
            if self.hold.bytes.len() > MAX_HELD && !self.in_body() {
                // Too long a header section to hold: pass it on unrewritten.
                out.append(&mut self.hold.bytes);
                self.hold.active = false;
            }
        }
    }

    /// One step of [`Self::feed`]; returns the bytes consumed.
    fn advance(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        match self.state {
            State::Body => {
                out.extend_from_slice(input);
                input.len()
            }
            State::Pass | State::Drop => self.rest_of_line(input, out),
            _ => {
                self.step(input[0], out);
                1
            }
        }
    }

    /// At the end of the data: whatever is held back was not a removed field.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        let out = if self.hold.active {
            self.hold.from_end.get_or_insert(self.hold.bytes.len());
            &mut self.hold.bytes
        } else {
            out
        };
        match self.state {
            State::Name => out.extend_from_slice(&self.name),
            State::LineStartCr => out.push(b'\r'),
            _ => {}
        }
        self.name.clear();
        self.state = State::Body;
    }

    /// Passes or drops up to the end of the line, capturing it when wanted; returns the
    /// bytes consumed.
    fn rest_of_line(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let (n, eol) = match input.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (input.len(), false),
        };
        if self.state == State::Pass {
            out.extend_from_slice(&input[..n]);
        }
        let slot = match self.target {
            Target::Nowhere => None,
            Target::Processed(k) => self.values[k].as_mut(),
            Target::Wanted(k) => self.captured[k].as_mut(),
        };
        if let Some(value) = slot {
            let room = MAX_VALUE.saturating_sub(value.len());
            value.extend_from_slice(&input[..n.min(room)]);
        }
        if eol {
            self.state = State::LineStart;
        }
        n
    }

    fn step(&mut self, b: u8, out: &mut Vec<u8>) {
        match self.state {
            State::LineStart => self.line_start(b, out),
            State::LineStartCr if b == b'\n' => {
                out.extend_from_slice(b"\r\n");
                self.state = State::Body;
            }
            State::LineStartCr => {
                // A line starting with a lone CR: not a header, pass it on.
                out.extend_from_slice(&[b'\r', b]);
                self.end_field();
                self.state = State::Pass;
            }
            State::Name => self.name_byte(b, out),
            State::Pass | State::Drop | State::Body => unreachable!("handled by feed"),
        }
    }

    fn end_field(&mut self) {
        self.dropping = false;
        self.target = Target::Nowhere;
    }

    fn line_start(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.hold.active && !matches!(b, b' ' | b'\t') {
            // `out` is the held bytes: the `From:` field ends here.
            self.hold.from_end.get_or_insert(out.len());
        }
        match b {
            // A continuation line belongs to the current field.
            b' ' | b'\t' => {
                self.state = if self.dropping {
                    State::Drop
                } else {
                    State::Pass
                };
                self.rest_of_line(&[b], out);
            }
            b'\r' => self.state = State::LineStartCr,
            b'\n' => {
                out.push(b);
                self.state = State::Body;
            }
            _ => {
                self.end_field();
                self.name.clear();
                self.name.push(b);
                self.state = State::Name;
            }
        }
    }

    fn name_byte(&mut self, b: u8, out: &mut Vec<u8>) {
        self.name.push(b);
        if b == b':' {
            self.field_named();
            if self.dropping {
            } else if std::mem::take(&mut self.hold.fresh) {
                // The `From:` just met: held from its name on.
                self.hold.bytes.extend_from_slice(&self.name);
            } else {
                out.extend_from_slice(&self.name);
            }
        } else if b == b'\n' || self.name.len() > MAX_NAME {
            out.extend_from_slice(&self.name);
            self.state = if b == b'\n' {
                State::LineStart
            } else {
                State::Pass
            };
        }
        if self.state != State::Name {
            self.name.clear();
        }
    }

    /// The current field's name is complete: decide its fate. Only the first occurrence of
    /// a field is captured; later occurrences of a removed field are removed all the same.
    fn field_named(&mut self) {
        let name = self.name[..self.name.len() - 1].trim_ascii_end();
        self.state = State::Pass;
        if self.hold.wanted && !self.hold.seen && name.eq_ignore_ascii_case(b"from") {
            self.hold.seen = true;
            self.hold.active = true;
            self.hold.fresh = true;
        }
        let processed = self
            .processed
            .iter()
            .position(|p| p.name.as_bytes().eq_ignore_ascii_case(name));
        if let Some(k) = processed {
            if self.processed[k].remove {
                self.dropping = true;
                self.state = State::Drop;
            }
            if self.values[k].is_none() {
                self.values[k] = Some(Vec::new());
                self.target = Target::Processed(k);
            }
            return;
        }
        let wanted = self
            .wanted
            .iter()
            .position(|w| w.as_bytes().eq_ignore_ascii_case(name));
        if let Some(k) = wanted.filter(|&k| self.captured[k].is_none()) {
            self.captured[k] = Some(Vec::new());
            self.target = Target::Wanted(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Filtered = (Vec<u8>, Option<String>, Vec<(String, String)>);

    fn vmta_only() -> Arc<[Processed]> {
        Arc::from([Processed {
            name: "x-virtual-mta".into(),
            remove: true,
        }])
    }

    #[test]
    fn processed_fields_are_captured_and_removed_unless_retained() {
        let fields: Arc<[Processed]> = Arc::from([
            Processed {
                name: "x-job".into(),
                remove: false,
            },
            Processed {
                name: "x-envid".into(),
                remove: true,
            },
        ]);
        let mut f = HeaderFilter::default();
        f.reset(&fields, &Arc::from([]), false);
        let mut out = Vec::new();
        f.feed(
            b"X-Job: c42\r\nX-EnvId: e-1\r\nX-EnvId: e-2\r\nSubject: s\r\n\r\nb",
            &mut out,
        );
        assert_eq!(out, b"X-Job: c42\r\nSubject: s\r\n\r\nb");
        assert_eq!(f.value(0).as_deref(), Some("c42"));
        assert_eq!(f.value(1).as_deref(), Some("e-1"));
        assert_eq!(f.value(2), None);
    }

    fn filter_all_splits(input: &[u8]) -> Filtered {
        let run = |parts: &[&[u8]]| {
            let mut f = HeaderFilter::default();
            f.reset(
                &vmta_only(),
                &Arc::from(["Subject".to_string(), "message-id".to_string()]),
                false,
            );
            let mut out = Vec::new();
            for p in parts {
                f.feed(p, &mut out);
            }
            f.finish(&mut out);
            (out, f.value(0), f.captured())
        };
        let whole = run(&[input]);
        for cut in 0..=input.len() {
            assert_eq!(
                run(&[&input[..cut], &input[cut..]]),
                whole,
                "split at {cut}"
            );
        }
        whole
    }

    /// Runs the filter with `From:` held, as the session does (the held bytes written once
    /// the header section is over), cut at every place; gives (stream, the From: field).
    fn hold_all_splits(input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let run = |parts: &[&[u8]]| {
            let mut f = HeaderFilter::default();
            f.reset(&vmta_only(), &Arc::from(["from".to_string()]), true);
            let (mut out, mut from) = (Vec::new(), Vec::new());
            let mut take = |f: &mut HeaderFilter, out: &mut Vec<u8>| {
                if let Some(h) = f.take_held() {
                    from = h.bytes[..h.from_end].to_vec();
                    out.extend_from_slice(&h.bytes);
                }
            };
            for p in parts {
                if f.in_body() {
                    out.extend_from_slice(p);
                    continue;
                }
                f.feed(p, &mut out);
                if f.in_body() {
                    take(&mut f, &mut out);
                }
            }
            if !f.in_body() {
                f.finish(&mut out);
                take(&mut f, &mut out);
            }
            (out, from)
        };
        let whole = run(&[input]);
        for cut in 0..=input.len() {
            assert_eq!(
                run(&[&input[..cut], &input[cut..]]),
                whole,
                "split at {cut}"
            );
        }
        whole
    }

    #[test]
    fn from_and_what_follows_is_held_until_the_header_ends() {
        let msg = b"Subject: s\r\nX-Virtual-MTA: v\r\nFrom: A\r\n <a@b>\r\nTo: t\r\n\r\nbody";
        let (out, from) = hold_all_splits(msg);
        assert_eq!(out, b"Subject: s\r\nFrom: A\r\n <a@b>\r\nTo: t\r\n\r\nbody");
        assert_eq!(from, b"From: A\r\n <a@b>\r\n");
        let (out, from) = hold_all_splits(b"From: a@b\r\nX");
        assert_eq!(
            (&out[..], &from[..]),
            (&b"From: a@b\r\nX"[..], &b"From: a@b\r\n"[..])
        );
        let msg = b"Subject: no from\r\n\r\nFrom: body\r\n";
        assert_eq!(hold_all_splits(msg), (msg.to_vec(), Vec::new()));
    }

    #[test]
    fn removes_header_and_reports_value() {
        let msg = b"From: a@b\r\nX-Virtual-MTA: mta2 \r\nSubject: s\r\n\r\nX-Virtual-MTA: body\r\n";
        let (out, vmta, captured) = filter_all_splits(msg);
        assert_eq!(
            out,
            b"From: a@b\r\nSubject: s\r\n\r\nX-Virtual-MTA: body\r\n"
        );
        assert_eq!(vmta.as_deref(), Some("mta2"));
        assert_eq!(captured, [("Subject".to_string(), "s".to_string())]);
    }

    #[test]
    fn folded_and_repeated_fields_go_entirely() {
        let msg =
            b"x-virtual-mta:\r\n\tpool1\r\nA: 1\r\n continued\r\nX-VIRTUAL-MTA : other\r\n\r\nb";
        let (out, vmta, _) = filter_all_splits(msg);
        assert_eq!(out, b"A: 1\r\n continued\r\n\r\nb");
        assert_eq!(vmta.as_deref(), Some("pool1"));
    }

    #[test]
    fn without_the_header_everything_passes() {
        let msg = b"Subject: hi\r\nno colon line\r\n\rodd\r\n\r\n.body\r\n";
        let (out, vmta, captured) = filter_all_splits(msg);
        assert_eq!(out, msg);
        assert_eq!(vmta, None);
        assert_eq!(captured, [("Subject".to_string(), "hi".to_string())]);
    }

    #[test]
    fn long_names_pass_and_values_are_bounded() {
        let mut msg = vec![b'N'; 200];
        msg.extend_from_slice(b": v\r\nX-Virtual-MTA: ");
        msg.extend(std::iter::repeat_n(b'z', 10_000));
        msg.extend_from_slice(b"\r\n\r\n");
        let mut f = HeaderFilter::default();
        f.reset(&vmta_only(), &Arc::from([]), false);
        let mut out = Vec::new();
        f.feed(&msg, &mut out);
        assert!(f.in_body());
        assert_eq!(&out[..200], &msg[..200]);
        assert_eq!(out.len(), 200 + 5 + 2);
        assert_eq!(f.value(0).map(|v| v.len()), Some(MAX_VALUE - 1));
    }

    #[test]
    fn captures_folded_wanted_headers_first_occurrence() {
        let msg = b"Message-ID: <a@b>\r\nsubject: hello\r\n  world\r\nSubject: again\r\n\r\n";
        let (out, _, captured) = filter_all_splits(msg);
        assert_eq!(out, msg);
        assert_eq!(
            captured,
            [
                ("Subject".to_string(), "hello world".to_string()),
                ("message-id".to_string(), "<a@b>".to_string())
            ]
        );
    }

    #[test]
    fn headers_only_message_is_flushed() {
        let (out, ..) = filter_all_splits(b"Subject: x\r\nTrailing");
        assert_eq!(out, b"Subject: x\r\nTrailing");
    }
}
