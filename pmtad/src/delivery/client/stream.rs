//! The byte stream under an SMTP session (plain TCP, or TLS after STARTTLS), reply parsing,
//! and I/O under deadlines.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf,
};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{SessionError, Step};
use crate::logs::SessionLog;

/// Longest reply line we accept (RFC 5321 says 512; servers exceed it, so be generous).
const MAX_LINE: usize = 4096;
/// Most lines in one multi-line reply (EHLO lists are the longest in practice).
const MAX_LINES: usize = 64;

/// Plain TCP or TLS over TCP.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A reply as read: the code and the text of each line.
#[derive(Debug, Clone)]
pub(super) struct RawReply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl RawReply {
    /// The outcome-ready reply: lines joined with a space, enhanced code split off.
    pub fn reply(&self) -> crate::outcome::Reply {
        crate::delivery::classify::reply_from_parts(self.code, &self.lines.join(" "))
    }
}

/// Buffered reads (replies) and direct writes (commands, data) with deadlines; commands
/// and replies go through the connection's dialogue trace (one branch each when it is off).
pub(super) struct Io {
    inner: BufReader<Stream>,
    line: Vec<u8>,
    log: SessionLog,
}

impl Io {
    pub fn new(stream: Stream, log: SessionLog) -> Self {
        Io {
            inner: BufReader::new(stream),
            line: Vec::with_capacity(256),
            log,
        }
    }

    /// The connection's `log-connections` / `log-commands` / `log-data` trace.
    pub fn log(&self) -> &SessionLog {
        &self.log
    }

    /// True when the server sent bytes we have not read yet.
    pub fn has_buffered(&self) -> bool {
        !self.inner.buffer().is_empty()
    }

    /// The stream and the trace, to go on over TLS.
    pub fn into_parts(self) -> (Stream, SessionLog) {
        (self.inner.into_inner(), self.log)
    }

    /// Writes the command line(s) in `bytes` within `limit`, tracing each under
    /// `log-commands`.
    pub async fn write(
        &mut self,
        bytes: &[u8],
        limit: Duration,
        stage: Step,
    ) -> Result<(), SessionError> {
        if self.log.commands_enabled() {
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                self.log.sent(&String::from_utf8_lossy(line));
            }
        }
        self.write_data(bytes, limit, stage).await
    }

    /// Writes all of `bytes` (message content: traced by the caller under `log-data`)
    /// within `limit`.
    pub async fn write_data(
        &mut self,
        bytes: &[u8],
        limit: Duration,
        stage: Step,
    ) -> Result<(), SessionError> {
        let w = self.inner.get_mut();
        match tokio::time::timeout(limit, w.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SessionError::Io { stage, source: e }),
            Err(_) => Err(SessionError::Timeout(stage)),
        }
    }

    /// Reads one (possibly multi-line) reply within `limit`.
    pub async fn read_reply(
        &mut self,
        limit: Duration,
        stage: Step,
    ) -> Result<RawReply, SessionError> {
        match tokio::time::timeout(limit, self.read_reply_inner(stage)).await {
            Ok(r) => r,
            Err(_) => Err(SessionError::Timeout(stage)),
        }
    }

    async fn read_reply_inner(&mut self, stage: Step) -> Result<RawReply, SessionError> {
        let mut lines = Vec::new();
        loop {
            let (code, more, text) = self.read_line(stage).await?;
            lines.push(text);
            if !more {
                return Ok(RawReply { code, lines });
            }
            if lines.len() >= MAX_LINES {
                return Err(SessionError::Protocol {
                    stage,
                    detail: format!("reply to {stage} is too long"),
                });
            }
        }
    }

    /// One reply line: (code, continues, text).
    async fn read_line(&mut self, stage: Step) -> Result<(u16, bool, String), SessionError> {
        self.line.clear();
        let mut limited = (&mut self.inner).take(MAX_LINE as u64);
        let n = limited
            .read_until(b'\n', &mut self.line)
            .await
            .map_err(|e| SessionError::Io { stage, source: e })?;
        if n == 0 {
            return Err(SessionError::Closed(stage));
        }
        if self.log.commands_enabled() {
            self.log.received(&String::from_utf8_lossy(&self.line));
        }
        parse_line(&self.line).ok_or_else(|| SessionError::Protocol {
            stage,
            detail: format!("malformed reply to {stage}"),
        })
    }

    /// Resolves when the server sends something (or closes) while we are not waiting for a
    /// reply: on an idle connection that means a 421 or a close, so it cannot be reused.
    /// Cancel-safe: whatever arrives stays in the buffer.
    pub async fn peer_activity(&mut self) {
        let _ = self.inner.fill_buf().await;
    }

    /// Sends close_notify / FIN; errors do not matter any more.
    pub async fn shutdown(&mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.inner.get_mut().shutdown()).await;
    }
}

/// `250-text` / `250 text` / `250` -> (250, continues, text).
fn parse_line(raw: &[u8]) -> Option<(u16, bool, String)> {
    let text = String::from_utf8_lossy(raw);
    let line = text.trim_end_matches(['\r', '\n']);
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = digits.parse().ok()?;
    let more = match line.as_bytes().get(3) {
        None | Some(b' ') => false,
        Some(b'-') => true,
        Some(_) => return None,
    };
    Some((code, more, line.get(4..).unwrap_or("").to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    #[test]
    fn reply_lines() {
        assert_eq!(
            parse_line(b"250-PIPELINING\r\n"),
            Some((250, true, "PIPELINING".into()))
        );
        assert_eq!(parse_line(b"250 ok\r\n"), Some((250, false, "ok".into())));
        assert_eq!(parse_line(b"354\r\n"), Some((354, false, String::new())));
        assert_eq!(parse_line(b"25x ok\r\n"), None);
        assert_eq!(parse_line(b"250/ok\r\n"), None);
    }
}
