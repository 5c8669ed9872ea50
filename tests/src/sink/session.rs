//! One sink connection: the SMTP dialogue, STARTTLS upgrade, DATA reading.
//!
//! Replies are buffered and flushed only when no further command is already waiting in the
//! input buffer (RFC 2920 server behaviour); the size of each batch tells whether the client
//! pipelined.

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::rules::{Action, Phase};
use super::{ConnInfo, Received, Shared};

/// Registers a new connection; returns its number.
pub(super) fn open(sh: &Shared, local: SocketAddr, peer: SocketAddr) -> u32 {
    sh.update(|s| {
        let conn = s.connections.len() as u32 + 1;
        s.connections.push(ConnInfo {
            conn,
            local,
            peer,
            tls: false,
            open: true,
            at: std::time::Instant::now(),
        });
        let open = s.open.entry(local).or_default();
        *open += 1;
        let now = *open;
        let max = s.max_open.entry(local).or_default();
        *max = (*max).max(now);
        let by_peer = s.open_by_peer.entry(peer.ip()).or_default();
        *by_peer += 1;
        let now = *by_peer;
        let max = s.max_open_by_peer.entry(peer.ip()).or_default();
        *max = (*max).max(now);
        let total = s.connections.iter().filter(|c| c.open).count();
        s.max_open_total = s.max_open_total.max(total);
        conn
    })
}

pub(super) fn close(sh: &Shared, conn: u32, local: SocketAddr) {
    sh.update(|s| {
        let c = &mut s.connections[conn as usize - 1];
        if !c.open {
            return;
        }
        c.open = false;
        let peer = c.peer.ip();
        *s.open.entry(local).or_default() -= 1;
        *s.open_by_peer.entry(peer).or_default() -= 1;
    });
}

/// What ends a dialogue.
enum Next {
    Close,
    StartTls,
}

/// Per-connection state.
struct Conn<'a> {
    sh: &'a Shared,
    conn: u32,
    local: SocketAddr,
    peer: SocketAddr,
    tls: bool,
    helo: String,
    txn: Option<Txn>,
    out: Vec<u8>,
    batch: usize,
}

struct Txn {
    number: u32,
    from: String,
    params: String,
    rcpts: Vec<String>,
}

pub(super) async fn run(
    sh: &Shared,
    tcp: TcpStream,
    conn: u32,
    local: SocketAddr,
    peer: SocketAddr,
) -> std::io::Result<()> {
    let mut c = Conn {
        sh,
        conn,
        local,
        peer,
        tls: false,
        helo: String::new(),
        txn: None,
        out: Vec::new(),
        batch: 0,
    };
    let mut io = BufReader::new(tcp);
    if closed_while_held(&mut io, sh).await {
        return Ok(());
    }
    match c.act(Phase::Greeting, None, conn) {
        Action::Reply(code, text) => c.reply(code, &text),
        Action::Hang => return hang(&mut io).await,
        _ => return Ok(()),
    }
    c.flush(&mut io).await?;
    if let Next::Close = c.dialogue(&mut io).await? {
        return Ok(());
    }
    let Some(cfg) = sh.config.tls.clone() else {
        return Ok(());
    };
    let tls = tokio_rustls::TlsAcceptor::from(cfg)
        .accept(io.into_inner())
        .await?;
    c.tls = true;
    c.helo.clear();
    sh.update(|s| s.connections[conn as usize - 1].tls = true);
    let mut io = BufReader::new(tls);
    c.dialogue(&mut io).await.map(|_| ())
}

impl Conn<'_> {
    fn act(&self, phase: Phase, rcpt: Option<&str>, attempt: u32) -> Action {
        self.sh
            .config
            .rules
            .action(phase, rcpt, attempt, self.peer.ip())
    }

    /// Queues a reply; `text` may hold several lines separated by `\n`.
    fn reply(&mut self, code: u16, text: &str) {
        let lines: Vec<&str> = text.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            self.out
                .extend_from_slice(format!("{code}{sep}{line}\r\n").as_bytes());
        }
    }

    async fn flush<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> std::io::Result<()> {
        let batch = std::mem::take(&mut self.batch);
        self.sh
            .update(|s| s.max_pipelined = s.max_pipelined.max(batch));
        io.get_mut().write_all(&self.out).await?;
        self.out.clear();
        io.get_mut().flush().await
    }

    async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> std::io::Result<Next> {
        let mut line = Vec::new();
        loop {
            line.clear();
            if io.read_until(b'\n', &mut line).await? == 0 {
                return Ok(Next::Close);
            }
            let cmd = String::from_utf8_lossy(&line).trim_end().to_string();
            self.batch += 1;
            if !self.sh.config.count_only {
                let conn = self.conn;
                self.sh.update(|s| s.commands.push((conn, cmd.clone())));
            }
            if let Some(next) = self.command(&cmd, io).await? {
                return Ok(next);
            }
            if io.buffer().is_empty() && !self.out.is_empty() {
                self.flush(io).await?;
            }
        }
    }

    /// Handles one command; `Some` ends the dialogue.
    async fn command<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        cmd: &str,
        io: &mut BufReader<S>,
    ) -> std::io::Result<Option<Next>> {
        let verb = super::verb_of(cmd).to_ascii_uppercase();
        let arg = cmd.get(verb.len()..).unwrap_or("").trim();
        match verb.as_str() {
            "EHLO" => self.ehlo(arg),
            "HELO" => self.helo(arg),
            "STARTTLS" => return self.starttls(io).await.map(Some),
            "MAIL" => self.mail(arg),
            "RCPT" => self.rcpt(arg),
            "DATA" => return self.data(io).await,
            "RSET" => {
                self.txn = None;
                self.reply(250, "2.0.0 reset");
            }
            "NOOP" => self.reply(250, "2.0.0 ok"),
            "QUIT" => {
                // Over once QUIT is answered: stop counting it before the client learns so,
                // or a client that opens its next connection at once is counted twice.
                close(self.sh, self.conn, self.local);
                self.reply(221, "2.0.0 bye");
                self.flush(io).await?;
                return Ok(Some(Next::Close));
            }
            _ => self.reply(500, "5.5.1 unknown command"),
        }
        Ok(self.dropped())
    }

    /// A `Drop` action leaves `out` holding this marker.
    fn dropped(&mut self) -> Option<Next> {
        if self.out.ends_with(DROP) {
            self.out.clear();
            Some(Next::Close)
        } else {
            None
        }
    }

    fn answer(&mut self, action: Action) -> bool {
        match action {
            Action::Reply(code, text) => {
                self.reply(code, &text);
                code / 100 == 2
            }
            Action::Drop | Action::DropMidData | Action::Hang => {
                self.out.extend_from_slice(DROP);
                false
            }
        }
    }

    fn ehlo(&mut self, arg: &str) {
        self.txn = None;
        match self.act(Phase::Ehlo, None, self.conn) {
            Action::Reply(code, text) if code / 100 == 2 => {
                self.helo = arg.to_string();
                let text = format!("{text}{}", self.extensions());
                self.reply(code, &text);
            }
            other => {
                self.answer(other);
            }
        }
    }

    fn extensions(&self) -> String {
        let cfg = &self.sh.config;
        let mut ext = String::from("\nENHANCEDSTATUSCODES");
        if !cfg.no_pipelining {
            ext.push_str("\nPIPELINING");
        }
        if !cfg.no_8bitmime {
            ext.push_str("\n8BITMIME");
        }
        if let Some(size) = cfg.size {
            ext.push_str(&format!("\nSIZE {size}"));
        }
        if !self.tls && (cfg.tls.is_some() || cfg.starttls_garbage) {
            ext.push_str("\nSTARTTLS");
        }
        ext
    }

    fn helo(&mut self, arg: &str) {
        self.txn = None;
        let action = self.act(Phase::Helo, None, self.conn);
        if self.answer(action) {
            self.helo = arg.to_string();
        }
    }

    async fn starttls<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> std::io::Result<Next> {
        let cfg = &self.sh.config;
        if self.tls || (cfg.tls.is_none() && !cfg.starttls_garbage) {
            self.reply(454, "4.7.0 TLS not available");
            self.flush(io).await?;
            return Ok(Next::Close);
        }
        self.reply(220, "2.0.0 ready to start TLS");
        if cfg.starttls_inject {
            self.reply(250, "injected before the handshake");
        }
        if cfg.starttls_garbage {
            self.out
                .extend_from_slice(b"this is not a TLS handshake\r\n");
            self.flush(io).await?;
            return Ok(Next::Close);
        }
        self.flush(io).await?;
        self.txn = None;
        Ok(Next::StartTls)
    }

    fn mail(&mut self, arg: &str) {
        let number = self.sh.update(|s| {
            s.transactions += 1;
            s.transactions
        });
        let (from, params) = split_path(arg, "FROM:");
        let limit = self.sh.config.size.unwrap_or(u64::MAX);
        if declared_size(&params).is_some_and(|size| size > limit) {
            self.reply(552, "5.3.4 message size exceeds fixed limit");
            return;
        }
        let action = self.act(Phase::Mail, None, number);
        if self.answer(action) {
            self.txn = Some(Txn {
                number,
                from,
                params,
                rcpts: Vec::new(),
            });
        }
    }

    fn rcpt(&mut self, arg: &str) {
        if self.txn.is_none() {
            self.reply(503, "5.5.1 MAIL first");
            return;
        }
        let (rcpt, _) = split_path(arg, "TO:");
        let key = rcpt.to_ascii_lowercase();
        let seen = self.sh.update(|s| {
            let n = s.rcpt_seen.entry(key).or_default();
            *n += 1;
            *n
        });
        let action = self.act(Phase::Rcpt, Some(&rcpt), seen);
        if self.answer(action)
            && let Some(t) = self.txn.as_mut()
        {
            t.rcpts.push(rcpt);
        }
    }

    async fn data<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> std::io::Result<Option<Next>> {
        let Some(number) = self.txn.as_ref().map(|t| t.number) else {
            self.reply(503, "5.5.1 MAIL first");
            return Ok(None);
        };
        if self.txn.as_ref().is_some_and(|t| t.rcpts.is_empty()) {
            self.reply(554, "5.5.1 no valid recipients");
            return Ok(None);
        }
        match self.act(Phase::Data, None, number) {
            Action::Reply(354, text) => self.reply(354, &text),
            Action::DropMidData => return self.drop_mid_data(io).await.map(Some),
            other => {
                self.answer(other);
                return Ok(self.dropped());
            }
        }
        self.flush(io).await?;
        if self.sh.config.stall_data {
            // Read nothing more: the client's writes fill the buffers and block. The task
            // ends with the test's runtime.
            std::future::pending::<()>().await;
        }
        let data = read_data(io, self.sh.config.count_only).await?;
        self.data_end(number, data);
        Ok(self.dropped())
    }

    async fn drop_mid_data<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut BufReader<S>,
    ) -> std::io::Result<Next> {
        self.reply(354, "go ahead");
        self.flush(io).await?;
        let mut first = Vec::new();
        io.read_until(b'\n', &mut first).await?;
        Ok(Next::Close)
    }

    fn data_end(&mut self, number: u32, data: Vec<u8>) {
        let action = self.act(Phase::DataEnd, None, number);
        let code = match &action {
            Action::Reply(code, _) => *code,
            _ => 0,
        };
        self.answer(action);
        let Some(txn) = self.txn.take() else { return };
        if code == 0 {
            return;
        }
        let count_only = self.sh.config.count_only;
        let accepted = code / 100 == 2;
        let rcpts = txn.rcpts.len();
        if count_only {
            self.sh.update(|s| {
                s.accepted += usize::from(accepted);
                s.accepted_rcpts += if accepted { rcpts } else { 0 };
            });
            return;
        }
        let rec = Received {
            mail_from: txn.from,
            mail_params: txn.params,
            rcpts: txn.rcpts,
            data,
            local: self.local,
            peer: self.peer,
            tls: self.tls,
            helo: self.helo.clone(),
            conn: self.conn,
            transaction: number,
            reply_code: code,
            at: std::time::Instant::now(),
        };
        self.sh.update(|s| {
            s.accepted += usize::from(accepted);
            s.accepted_rcpts += if accepted { rcpts } else { 0 };
            s.transfers.push(rec);
        });
    }
}

const DROP: &[u8] = b"\0drop\0";

/// [`Action::Hang`]: read and ignore everything until the client closes.
async fn hang<S: AsyncRead + Unpin>(io: &mut BufReader<S>) -> std::io::Result<()> {
    let mut sink = Vec::new();
    while io.read_until(b'\n', &mut sink).await? > 0 {
        sink.clear();
    }
    Ok(())
}

/// `FROM:<a@b> SIZE=1` -> (`a@b`, `SIZE=1`).
fn split_path(arg: &str, prefix: &str) -> (String, String) {
    let rest = match arg.get(..prefix.len()) {
        Some(p) if p.eq_ignore_ascii_case(prefix) => arg[prefix.len()..].trim_start(),
        _ => arg,
    };
    let (path, params) = match rest.find('>') {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    (
        path.trim_start_matches('<').to_string(),
        params.trim().to_string(),
    )
}

fn declared_size(params: &str) -> Option<u64> {
    params.split_whitespace().find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.eq_ignore_ascii_case("SIZE")
            .then(|| v.parse().ok())
            .flatten()
    })
}

/// Reads the message up to the lone dot, removing dot-stuffing (`discard`: keep nothing).
async fn read_data<S: AsyncRead + Unpin>(
    io: &mut BufReader<S>,
    discard: bool,
) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if io.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        if !discard {
            let start = usize::from(line.first() == Some(&b'.'));
            data.extend_from_slice(&line[start..]);
        }
    }
}

/// Waits for greetings to be released; true if the client hung up meanwhile (a killed
/// client's connections must stop counting as open even while greetings are held).
async fn closed_while_held<S: AsyncRead + Unpin>(io: &mut BufReader<S>, sh: &Shared) -> bool {
    let closed = tokio::select! {
        _ = sh.wait_released() => return false,
        r = io.fill_buf() => r.map_or(true, |b| b.is_empty()),
    };
    if !closed {
        sh.wait_released().await;
    }
    closed
}
