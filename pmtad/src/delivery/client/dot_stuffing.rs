//! The DATA phase encoding: dot-stuffing (RFC 5321 §4.5.2) and CRLF line ends, streamed in
//! bounded pieces so a large message never needs a second full copy in memory.

/// Input bytes encoded per write (the data-send timeout applies to each).
pub(super) const PIECE: usize = 64 * 1024;

/// Streaming encoder state across pieces and chunks.
#[derive(Debug)]
pub(super) struct DotStuffer {
    at_line_start: bool,
    prev_cr: bool,
}

impl DotStuffer {
    pub fn new() -> Self {
        DotStuffer {
            at_line_start: true,
            prev_cr: false,
        }
    }

    /// Appends the encoding of `input` to `out`: a leading dot on a line is doubled, a bare LF
    /// becomes CRLF.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 64);
        let mut start = 0;
        for (i, &b) in input.iter().enumerate() {
            if self.at_line_start && b == b'.' {
                out.extend_from_slice(&input[start..i]);
                out.push(b'.');
                start = i;
            } else if b == b'\n' && !self.prev_cr {
                out.extend_from_slice(&input[start..i]);
                out.push(b'\r');
                start = i;
            }
            self.at_line_start = b == b'\n';
            self.prev_cr = b == b'\r';
        }
        out.extend_from_slice(&input[start..]);
    }

    /// The end of data: a CRLF if the message did not end with one, then `.CRLF`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        *self = DotStuffer::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(chunks: &[&[u8]]) -> Vec<u8> {
        let mut d = DotStuffer::new();
        let mut out = Vec::new();
        for c in chunks {
            d.encode(c, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn stuffs_leading_dots_across_chunks() {
        assert_eq!(
            encode(&[b".a\r\nb.\r\n", b".", b"c\r\n"]),
            b"..a\r\nb.\r\n..c\r\n.\r\n"
        );
        assert_eq!(encode(&[b"a\r\n.\r\n"]), b"a\r\n..\r\n.\r\n");
    }

    #[test]
    fn normalises_line_ends() {
        assert_eq!(encode(&[b"a\nb"]), b"a\r\nb\r\n.\r\n");
        assert_eq!(encode(&[b"a\r", b"\nb\r\n"]), b"a\r\nb\r\n.\r\n");
        assert_eq!(encode(&[b""]), b".\r\n");
    }
}
