//! A minimal HTTP/1.1 client for the tests of pmtad's management interface: one request per
//! connection (`Connection: close`), the answer read to the end. The server side is
//! hyper; this only has to speak the plain subset a test needs, from any loopback source
//! address (`http-access` decides by it), in plain HTTP or over TLS.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// An answer: status code, headers (names lower case) and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request to build and send.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Connect from this local address (a 127.0.0.x) instead of the default.
    pub from: Option<IpAddr>,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<String>,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Self {
        Self {
            method: "GET",
            path,
            from: None,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A form POST (`application/x-www-form-urlencoded`) of `body`, already encoded.
    pub fn post_form(path: &'a str, body: &str) -> Self {
        Self {
            method: "POST",
            path,
            from: None,
            headers: vec![(
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            )],
            body: Some(body.to_string()),
        }
    }

    pub fn from(mut self, ip: &str) -> Self {
        self.from = Some(ip.parse().expect("an IP address"));
        self
    }

    pub fn header(mut self, name: &'a str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub async fn send(&self, addr: SocketAddr) -> std::io::Result<Response> {
        let mut stream = connect(addr, self.from).await?;
        stream.write_all(self.head(addr).as_bytes()).await?;
        if let Some(b) = &self.body {
            stream.write_all(b.as_bytes()).await?;
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse(&raw)
    }

    /// Sends the request over TLS (HTTPS) with `client`, checking the certificate for
    /// `name`; gives the answer and the server's certificate.
    pub async fn send_tls(
        &self,
        addr: SocketAddr,
        client: std::sync::Arc<rustls::ClientConfig>,
        name: &str,
    ) -> std::io::Result<(Response, rustls_pki_types::CertificateDer<'static>)> {
        let stream = connect(addr, self.from).await?;
        let name = rustls_pki_types::ServerName::try_from(name.to_string())
            .map_err(std::io::Error::other)?;
        let mut tls = tokio_rustls::TlsConnector::from(client)
            .connect(name, stream)
            .await?;
        let leaf = tls.get_ref().1.peer_certificates().unwrap_or_default()[0].clone();
        tls.write_all(self.head(addr).as_bytes()).await?;
        if let Some(b) = &self.body {
            tls.write_all(b.as_bytes()).await?;
        }
        let mut raw = Vec::new();
        // A server may close without close_notify after Connection: close.
        match tls.read_to_end(&mut raw).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
            Err(e) => return Err(e),
        }
        Ok((parse(&raw)?, leaf))
    }

    fn head(&self, addr: SocketAddr) -> String {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = &self.body {
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        head
    }
}

/// `GET path` from the default address.
pub async fn get(addr: SocketAddr, path: &str) -> Response {
    Request::get(path)
        .send(addr)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// A TCP connection to `addr`, from `from` when given.
pub async fn connect(addr: SocketAddr, from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(ip) = from else {
        return TcpStream::connect(addr).await;
    };
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(ip, 0))?;
    socket.connect(addr).await
}

fn parse(raw: &[u8]) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let mut lines = head.lines();
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(status_line))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_string(),
    })
}
