//! DATA transparency (RFC 5321 §4.5.2): dot-unstuffing and end-of-data detection on a byte
//! stream, across arbitrary read boundaries.
//!
//! Only `CRLF . CRLF` ends the data: a bare `LF . LF` does not, which closes the "SMTP
//! smuggling" hole where servers disagree about where a message ends.

/// Where the decoder stands relative to the line structure of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line (after CRLF, or at the very start of the data).
    LineStart,
    /// Inside a line.
    InLine,
    /// Inside a line, the previous byte was CR.
    SawCr,
    /// The line began with a dot, not yet emitted.
    Dot,
    /// The line began with dot then CR.
    DotCr,
}

/// Streaming dot-unstuffer. One per session; [`DotDecoder::reset`] between messages.
#[derive(Debug)]
pub(crate) struct DotDecoder {
    state: State,
}

impl Default for DotDecoder {
    fn default() -> Self {
        DotDecoder {
            state: State::LineStart,
        }
    }
}

impl DotDecoder {
    pub(crate) fn reset(&mut self) {
        self.state = State::LineStart;
    }

    /// Decodes `input`, appending the message bytes to `out`. Returns `Some(n)` when the
    /// end-of-data line was found, `n` being the bytes of `input` consumed up to and
    /// including it (the rest belongs to the next command); `None` when all were consumed.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::InLine {
                // Fast path: copy the run up to the next CR in one go.
                match input[i..].iter().position(|&b| b == b'\r') {
                    Some(p) => {
                        out.extend_from_slice(&input[i..=i + p]);
                        i += p + 1;
                        self.state = State::SawCr;
                    }
                    None => {
                        out.extend_from_slice(&input[i..]);
                        return None;
                    }
                }
                continue;
            }
            let b = input[i];
            i += 1;
            if self.step(b, out) {
                return Some(i);
            }
        }
        None
    }

    /// One byte outside the fast path; true when it completes the end-of-data line.
    fn step(&mut self, b: u8, out: &mut Vec<u8>) -> bool {
        match self.state {
            State::LineStart if b == b'.' => self.state = State::Dot,
            State::DotCr if b == b'\n' => return true,
            State::DotCr => {
                // ".\r" followed by something else: the dot was stuffing.
                out.push(b'\r');
                self.state = State::SawCr;
                self.plain(b, out);
            }
            State::Dot if b == b'\r' => self.state = State::DotCr,
            // A leading dot followed by other text is removed (transparency).
            State::Dot | State::LineStart | State::InLine | State::SawCr => self.plain(b, out),
        }
        false
    }

    /// An ordinary message byte.
    fn plain(&mut self, b: u8, out: &mut Vec<u8>) {
        out.push(b);
        self.state = match (self.state, b) {
            (State::SawCr, b'\n') => State::LineStart,
            (_, b'\r') => State::SawCr,
            _ => State::InLine,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` split at every possible pair of points, checking the result is the same.
    fn decode_all_splits(input: &[u8]) -> (Vec<u8>, Option<usize>) {
        let whole = {
            let mut d = DotDecoder::default();
            let mut out = Vec::new();
            let end = d.feed(input, &mut out);
            (out, end)
        };
        for cut in 0..=input.len() {
            let mut d = DotDecoder::default();
            let mut out = Vec::new();
            let end = match d.feed(&input[..cut], &mut out) {
                Some(n) => Some(n),
                None => d.feed(&input[cut..], &mut out).map(|n| n + cut),
            };
            assert_eq!((out, end), whole, "split at {cut}");
        }
        whole
    }

    #[test]
    fn finds_end_and_leaves_rest() {
        let (out, end) = decode_all_splits(b"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assert_eq!(out, b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(end, Some(b"Subject: x\r\n\r\nbody\r\n.\r\n".len()));
    }

    #[test]
    fn unstuffs_leading_dots() {
        let (out, end) = decode_all_splits(b"..hidden\r\n.x\r\n...\r\na.b\r\n.\r\n");
        assert_eq!(out, b".hidden\r\nx\r\n..\r\na.b\r\n");
        assert!(end.is_some());
    }

    #[test]
    fn empty_message() {
        assert_eq!(decode_all_splits(b".\r\n"), (Vec::new(), Some(3)));
    }

    #[test]
    fn bare_lf_dot_does_not_end_data() {
        let (out, end) = decode_all_splits(b"a\n.\nb\r\n.\rc\r\n.\r\n");
        assert_eq!(out, b"a\n.\nb\r\n\rc\r\n");
        assert_eq!(end, Some(b"a\n.\nb\r\n.\rc\r\n.\r\n".len()));
    }

    #[test]
    fn unterminated_data_is_all_consumed() {
        assert_eq!(
            decode_all_splits(b"abc\r\n.\r"),
            (b"abc\r\n".to_vec(), None)
        );
    }
}
