//! Header processing on streamed message data: finds `X-Virtual-MTA:` in the header section
//! and removes it, passing everything else through untouched.
//!
//! Only the header section is inspected and only a field's name is held back until it is
//! known (at most [`MAX_NAME`] bytes), plus the captured value (at most [`MAX_VALUE`]): the
//! body streams straight through, so memory stays bounded whatever the client sends.

/// Longer field names cannot be the one we look for; they are passed on as they are.
const MAX_NAME: usize = 64;
/// Longest captured `X-Virtual-MTA` value; longer values are truncated (and will not name a
/// virtual MTA, so the message is refused with that name).
const MAX_VALUE: usize = 256;
const FIELD: &[u8] = b"x-virtual-mta";

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
    /// Dropping the rest of a line of the removed field, capturing its value.
    Capture,
    /// Past the header section: everything passes.
    Body,
}

/// Streaming filter for the header section of one message.
#[derive(Debug)]
pub(crate) struct HeaderFilter {
    state: State,
    /// The current field is the removed one (its continuation lines go too).
    dropping: bool,
    /// The current field is the first removed one: its value is being captured.
    capturing: bool,
    name: Vec<u8>,
    value: Vec<u8>,
    found: bool,
}

impl Default for HeaderFilter {
    fn default() -> Self {
        HeaderFilter {
            state: State::LineStart,
            dropping: false,
            capturing: false,
            name: Vec::with_capacity(MAX_NAME + 1),
            value: Vec::with_capacity(MAX_VALUE),
            found: false,
        }
    }
}

impl HeaderFilter {
    pub(crate) fn reset(&mut self) {
        self.state = State::LineStart;
        self.dropping = false;
        self.capturing = false;
        self.name.clear();
        self.value.clear();
        self.found = false;
    }

    /// True once the empty line ending the header section has been passed.
    pub(crate) fn in_body(&self) -> bool {
        self.state == State::Body
    }

    /// The value of the first `X-Virtual-MTA:` field, unfolded and trimmed; `None` when the
    /// message had none (or an empty one).
    pub(crate) fn virtual_mta(&self) -> Option<String> {
        if !self.found {
            return None;
        }
        let unfolded: String = String::from_utf8_lossy(&self.value)
            .split(['\r', '\n'])
            .collect();
        let v = unfolded.trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Filters `input`, appending what is kept to `out`.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Body => {
                    out.extend_from_slice(&input[i..]);
                    return;
                }
                State::Pass | State::Capture => i += self.rest_of_line(&input[i..], out),
                _ => {
                    self.step(input[i], out);
                    i += 1;
                }
            }
        }
    }

    /// At the end of the data: whatever is held back was not a removed field.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            State::Name => out.extend_from_slice(&self.name),
            State::LineStartCr => out.push(b'\r'),
            _ => {}
        }
        self.name.clear();
        self.state = State::Body;
    }

    /// Passes or captures up to the end of the line; returns the bytes consumed.
    fn rest_of_line(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let (n, eol) = match input.iter().position(|&b| b == b'\n') {
            Some(p) => (p + 1, true),
            None => (input.len(), false),
        };
        if self.state == State::Pass {
            out.extend_from_slice(&input[..n]);
        } else if self.capturing {
            let room = MAX_VALUE - self.value.len();
            self.value.extend_from_slice(&input[..n.min(room)]);
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
                self.dropping = false;
                self.state = State::Pass;
            }
            State::Name => self.name_byte(b, out),
            State::Pass | State::Capture | State::Body => unreachable!("handled by feed"),
        }
    }

    fn line_start(&mut self, b: u8, out: &mut Vec<u8>) {
        match b {
            b' ' | b'\t' if self.dropping => {
                self.state = State::Capture;
                self.rest_of_line(&[b], out);
            }
            b' ' | b'\t' => {
                out.push(b);
                self.state = State::Pass;
            }
            b'\r' => self.state = State::LineStartCr,
            b'\n' => {
                out.push(b);
                self.state = State::Body;
            }
            _ => {
                self.name.clear();
                self.name.push(b);
                self.state = State::Name;
            }
        }
    }

    fn name_byte(&mut self, b: u8, out: &mut Vec<u8>) {
        self.name.push(b);
        if b == b':' {
            let name = self.name[..self.name.len() - 1].trim_ascii_end();
            self.dropping = name.eq_ignore_ascii_case(FIELD);
            if self.dropping {
                // Only the first occurrence counts; later ones are removed all the same.
                self.capturing = !self.found;
                self.found = true;
                self.state = State::Capture;
            } else {
                out.extend_from_slice(&self.name);
                self.state = State::Pass;
            }
        } else if b == b'\n' || self.name.len() > MAX_NAME {
            out.extend_from_slice(&self.name);
            self.dropping = false;
            self.capturing = false;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter_all_splits(input: &[u8]) -> (Vec<u8>, Option<String>) {
        let run = |parts: &[&[u8]]| {
            let mut f = HeaderFilter::default();
            let mut out = Vec::new();
            for p in parts {
                f.feed(p, &mut out);
            }
            f.finish(&mut out);
            (out, f.virtual_mta())
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
    fn removes_header_and_reports_value() {
        let msg = b"From: a@b\r\nX-Virtual-MTA: mta2 \r\nSubject: s\r\n\r\nX-Virtual-MTA: body\r\n";
        let (out, vmta) = filter_all_splits(msg);
        assert_eq!(
            out,
            b"From: a@b\r\nSubject: s\r\n\r\nX-Virtual-MTA: body\r\n"
        );
        assert_eq!(vmta.as_deref(), Some("mta2"));
    }

    #[test]
    fn folded_and_repeated_fields_go_entirely() {
        let msg =
            b"x-virtual-mta:\r\n\tpool1\r\nA: 1\r\n continued\r\nX-VIRTUAL-MTA : other\r\n\r\nb";
        let (out, vmta) = filter_all_splits(msg);
        assert_eq!(out, b"A: 1\r\n continued\r\n\r\nb");
        assert_eq!(vmta.as_deref(), Some("pool1"));
    }

    #[test]
    fn without_the_header_everything_passes() {
        let msg = b"Subject: hi\r\nno colon line\r\n\rodd\r\n\r\n.body\r\n";
        let (out, vmta) = filter_all_splits(msg);
        assert_eq!(out, msg);
        assert_eq!(vmta, None);
    }

    #[test]
    fn long_names_pass_and_values_are_bounded() {
        let mut msg = vec![b'N'; 200];
        msg.extend_from_slice(b": v\r\nX-Virtual-MTA: ");
        msg.extend(std::iter::repeat_n(b'z', 10_000));
        msg.extend_from_slice(b"\r\n\r\n");
        let mut f = HeaderFilter::default();
        let mut out = Vec::new();
        f.feed(&msg, &mut out);
        assert!(f.in_body());
        assert_eq!(&out[..200], &msg[..200]);
        assert_eq!(out.len(), 200 + 5 + 2);
        assert_eq!(f.virtual_mta().map(|v| v.len()), Some(MAX_VALUE - 1));
    }

    #[test]
    fn headers_only_message_is_flushed() {
        let (out, _) = filter_all_splits(b"Subject: x\r\nTrailing");
        assert_eq!(out, b"Subject: x\r\nTrailing");
    }
}
