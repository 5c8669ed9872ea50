//! The byte side of a session: one read buffer and one reply buffer per connection, reused
//! for every command and message, over a plain or TLS stream.
//!
//! Replies are collected and written only when the session would otherwise wait for input:
//! a pipelining client gets its replies in one batch, and a non-pipelining one is never kept
//! waiting (RFC 2920 §3).

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// Why no input could be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("timed out waiting for the client")]
    Timeout,
    #[error("connection closed by the client")]
    Closed,
    #[error("line too long")]
    TooLong,
    #[error("server shutting down")]
    Shutdown,
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// A client connection before or after STARTTLS.
pub(crate) enum Stream<IO> {
    Plain(IO),
    Tls(Box<TlsStream<IO>>),
    /// Only while the handshake owns the stream, or after it failed.
    Gone,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, b),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, b),
            Stream::Gone => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// Buffered connection: lines and data chunks in, batched replies out.
pub(crate) struct Conn<IO> {
    stream: Stream<IO>,
    rbuf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes of `rbuf[start..]` already searched for a line end.
    scanned: usize,
    wbuf: Vec<u8>,
    max_line: usize,
    shutdown: CancellationToken,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Conn<IO> {
    pub(crate) fn new(io: IO, buffer: usize, max_line: usize, shutdown: CancellationToken) -> Self {
        Conn {
            stream: Stream::Plain(io),
            rbuf: vec![0; buffer.max(2 * max_line)].into_boxed_slice(),
            start: 0,
            end: 0,
            scanned: 0,
            wbuf: Vec::with_capacity(1024),
            max_line,
            shutdown,
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Queues one reply line (CRLF added).
    pub(crate) fn reply(&mut self, line: &str) {
        self.wbuf.extend_from_slice(line.as_bytes());
        self.wbuf.extend_from_slice(b"\r\n");
    }

    /// Writes the queued replies.
    pub(crate) async fn flush(&mut self, timeout: Duration) -> Result<(), ReadError> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.wbuf).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(timeout, write).await {
            Ok(r) => r?,
            Err(_) => return Err(ReadError::Timeout),
        }
        self.wbuf.clear();
        Ok(())
    }

    /// The next command line, without its line ending. While waiting for the client, the
    /// server's shutdown interrupts the wait.
    pub(crate) async fn read_line(&mut self, timeout: Duration) -> Result<Range<usize>, ReadError> {
        let mut discarding = false;
        loop {
            if let Some(line) = self.take_line() {
                return if discarding {
                    Err(ReadError::TooLong)
                } else {
                    Ok(line)
                };
            }
            if self.end - self.start > self.max_line {
                // Keep nothing of an overlong line; skip to its end, then say so.
                discarding = true;
                self.start = self.end;
                self.scanned = 0;
            }
            self.fill(timeout, true).await?;
        }
    }

    fn take_line(&mut self) -> Option<Range<usize>> {
        let from = self.start + self.scanned;
        match self.rbuf[from..self.end].iter().position(|&b| b == b'\n') {
            Some(p) => {
                let lf = from + p;
                let mut line = self.start..lf;
                if lf > line.start && self.rbuf[lf - 1] == b'\r' {
                    line.end -= 1;
                }
                self.start = lf + 1;
                self.scanned = 0;
                Some(line)
            }
            None => {
                self.scanned = self.end - self.start;
                None
            }
        }
    }

    pub(crate) fn line(&self, range: Range<usize>) -> &[u8] {
        &self.rbuf[range]
    }

    /// Bytes received and not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.rbuf[self.start..self.end]
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        self.scanned = 0;
    }

    /// Forgets input received so far (after STARTTLS: nothing sent in clear may be obeyed).
    pub(crate) fn discard_input(&mut self) {
        self.start = self.end;
        self.scanned = 0;
    }

    /// Reads more input, flushing queued replies first.
    pub(crate) async fn fill(&mut self, timeout: Duration, idle: bool) -> Result<(), ReadError> {
        self.flush(timeout).await?;
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == self.rbuf.len() {
            self.rbuf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        let read = tokio::time::timeout(timeout, self.stream.read(&mut self.rbuf[self.end..]));
        let n = if idle {
            tokio::select! {
                r = read => r,
                () = self.shutdown.cancelled() => return Err(ReadError::Shutdown),
            }
        } else {
            read.await
        };
        match n {
            Err(_) => Err(ReadError::Timeout),
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(0)) => Err(ReadError::Closed),
            Ok(Ok(n)) => {
                self.end += n;
                Ok(())
            }
        }
    }

    /// Performs the TLS handshake on the underlying stream (after our 220 was flushed).
    pub(crate) async fn start_tls(
        &mut self,
        acceptor: &TlsAcceptor,
        timeout: Duration,
    ) -> Result<(), ReadError> {
        self.flush(timeout).await?;
        self.discard_input();
        let Stream::Plain(io) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(io::Error::other("STARTTLS on a TLS stream").into());
        };
        match tokio::time::timeout(timeout, acceptor.accept(io)).await {
            Err(_) => Err(ReadError::Timeout),
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(tls)) => {
                self.stream = Stream::Tls(Box::new(tls));
                Ok(())
            }
        }
    }

    /// Flushes what is queued and closes the write side, ignoring errors (the client may be
    /// gone already).
    pub(crate) async fn close(&mut self, timeout: Duration) {
        let _ = self.flush(timeout).await;
        let _ = tokio::time::timeout(timeout, self.stream.shutdown()).await;
    }
}
