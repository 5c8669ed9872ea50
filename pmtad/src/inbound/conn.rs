//! The byte side of a session: one read buffer and one reply buffer per connection, reused
//! for every command and message, over a plain or TLS stream.
//!
//! Replies are collected and written only when the session would otherwise wait for input:
//! a pipelining client gets its replies in one batch, and a non-pipelining one is never kept
//! waiting (RFC 2920 §3).

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
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

/// Read buffers of sessions waiting for a command, kept for the next session with input.
/// Bounded: beyond `keep` buffers a returned one is freed.
#[derive(Debug)]
pub(crate) struct BufPool {
    bufs: Mutex<Vec<Vec<u8>>>,
    /// Capacity of every buffer (the largest chunk read at once).
    size: usize,
    keep: usize,
}

impl BufPool {
    pub(crate) fn new(size: usize, keep: usize) -> Self {
        BufPool {
            bufs: Mutex::new(Vec::new()),
            size,
            keep,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        crate::locks::lock(&self.bufs)
    }

    /// An empty buffer of `size` bytes' capacity.
    fn take(&self) -> Vec<u8> {
        let pooled = self.lock().pop();
        pooled.unwrap_or_else(|| Vec::with_capacity(self.size))
    }

    /// Keeps `buf` for reuse (unless the pool is full or `buf` was grown or is none).
    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() != self.size {
            return;
        }
        buf.clear();
        let mut bufs = self.lock();
        if bufs.len() < self.keep {
            bufs.push(buf);
        }
    }
}

impl<IO> Drop for Conn<IO> {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.rbuf));
    }
}

/// Awaits a timed read, interrupted by `shutdown` when given.
async fn wait(
    read: impl std::future::Future<Output = Result<io::Result<usize>, tokio::time::error::Elapsed>>,
    shutdown: Option<&CancellationToken>,
) -> Result<usize, ReadError> {
    let r = match shutdown {
        Some(token) => tokio::select! {
            r = read => r,
            () = token.cancelled() => return Err(ReadError::Shutdown),
        },
        None => read.await,
    };
    match r {
        Err(_) => Err(ReadError::Timeout),
        Ok(r) => Ok(r?),
    }
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

/// Bytes read into the future of an idle wait (a session waiting for its next command
/// holds no read buffer): most commands fit, a longer input continues in the real buffer.
const IDLE_READ: usize = 256;

/// Buffered connection: lines and data chunks in, batched replies out.
///
/// The read buffer is held only while input is being handled: a session that consumed
/// everything and waits for a command gives it back to the listener's [`BufPool`] and
/// waits with a small array of its own (an idle connection costs its task and a few small
/// buffers, not a read buffer); the next input takes a buffer from the pool again. The pool
/// keeps the pages of recently used buffers, so a busy session pays no allocation, zeroing
/// or page faults per message.
pub(crate) struct Conn<IO> {
    stream: Stream<IO>,
    /// `rbuf[start..]` is unconsumed input; its length is the end of what was read.
    rbuf: Vec<u8>,
    start: usize,
    /// Bytes of `rbuf[start..]` already searched for a line end.
    scanned: usize,
    pool: Arc<BufPool>,
    wbuf: Vec<u8>,
    max_line: usize,
    shutdown: CancellationToken,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Conn<IO> {
    pub(crate) fn new(
        io: IO,
        pool: Arc<BufPool>,
        max_line: usize,
        shutdown: CancellationToken,
    ) -> Self {
        Conn {
            stream: Stream::Plain(io),
            rbuf: Vec::new(),
            start: 0,
            scanned: 0,
            pool,
            wbuf: Vec::new(),
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
            if self.rbuf.len() - self.start > self.max_line {
                // Keep nothing of an overlong line; skip to its end, then say so.
                discarding = true;
                self.start = self.rbuf.len();
                self.scanned = 0;
            }
            self.fill(timeout, true).await?;
        }
    }

    fn take_line(&mut self) -> Option<Range<usize>> {
        let from = self.start + self.scanned;
        match self.rbuf[from..].iter().position(|&b| b == b'\n') {
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
                self.scanned = self.rbuf.len() - self.start;
                None
            }
        }
    }

    pub(crate) fn line(&self, range: Range<usize>) -> &[u8] {
        &self.rbuf[range]
    }

    /// Bytes received and not consumed yet.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.rbuf[self.start..]
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        self.scanned = 0;
    }

    /// Forgets input received so far (after STARTTLS: nothing sent in clear may be obeyed).
    pub(crate) fn discard_input(&mut self) {
        self.start = self.rbuf.len();
        self.scanned = 0;
    }

    /// Reads more input, flushing queued replies first. `idle`: the session waits for a
    /// command (the server's shutdown interrupts the wait); otherwise for message data.
    pub(crate) async fn fill(&mut self, timeout: Duration, idle: bool) -> Result<(), ReadError> {
        self.flush(timeout).await?;
        self.make_room(idle);
        let n = if self.rbuf.capacity() == 0 {
            self.read_idle(timeout).await?
        } else {
            let read = tokio::time::timeout(timeout, self.stream.read_buf(&mut self.rbuf));
            wait(read, idle.then_some(&self.shutdown)).await?
        };
        match n {
            0 => Err(ReadError::Closed),
            _ => Ok(()),
        }
    }

    /// Before a read: drops consumed input and, when nothing is pending and the session
    /// waits for a command, gives the buffer back to the pool; else makes room to read into.
    fn make_room(&mut self, idle: bool) {
        if self.start == self.rbuf.len() {
            self.start = 0;
            self.rbuf.clear();
            if idle {
                self.pool.give(std::mem::take(&mut self.rbuf));
                return;
            }
        } else if self.start > 0 && self.rbuf.len() == self.rbuf.capacity() {
            self.rbuf.drain(..self.start);
            self.start = 0;
        }
        if self.rbuf.capacity() == 0 {
            self.rbuf = self.pool.take();
        } else if self.rbuf.len() == self.rbuf.capacity() {
            self.rbuf.reserve(self.max_line); // full of one chunk: never read into nothing
        }
    }

    /// The read of a session waiting for a command with nothing buffered: into a small
    /// array of this future, moved to a pooled buffer once something arrived.
    async fn read_idle(&mut self, timeout: Duration) -> Result<usize, ReadError> {
        let mut first = [0u8; IDLE_READ];
        let read = tokio::time::timeout(timeout, self.stream.read(&mut first));
        let n = wait(read, Some(&self.shutdown)).await?;
        if n > 0 {
            self.rbuf = self.pool.take();
            self.rbuf.extend_from_slice(&first[..n]);
        }
        Ok(n)
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

    /// Flushes what is queued and closes the connection, ignoring errors (the client may be
    /// gone already). TLS sends its close_notify first; a plain stream is simply dropped:
    /// close(2) sends the FIN itself, so a shutdown(2) before it would be one more syscall per
    /// connection for nothing.
    pub(crate) async fn close(&mut self, timeout: Duration) {
        let _ = self.flush(timeout).await;
        if let Stream::Tls(tls) = &mut self.stream {
            let _ = tokio::time::timeout(timeout, tls.shutdown()).await;
        }
        self.stream = Stream::Gone;
    }
}
