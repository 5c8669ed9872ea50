//! The listener: bind, rebind on reload, accept with a bound on connections, and serve each
//! connection with hyper's HTTP/1 server under timeouts, over HTTPS when
//! `http-tls-certificate` is set.
//!
//! Why these limits: the interface shares the daemon with SMTP intake, so a flood of idle
//! or slow clients must cost only a bounded number of tasks and file descriptors. At most
//! [`MAX_CONNECTIONS`] are open at once; a new client is accepted at once and, past the cap,
//! the oldest connection with no request being answered is closed for it (see [`conns`],
//! so idle clients can neither starve a new one nor make it wait for their timeouts); a
//! client that does not finish its request head within [`HEADER_TIMEOUT`] is dropped;
//! request bodies (only `/command` takes one) are capped at [`MAX_BODY`] and must arrive
//! within [`BODY_TIMEOUT`].
//!
//! HTTPS shares the port with plain HTTP as PowerMTA v5's does: a connection whose first
//! byte starts a TLS handshake is served over TLS; a plain request is answered with a
//! redirect to `https://` (`http-redirect-to-https`, the default) or served as it is.
//!
//! [`conns`]: super::conns

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::access::{self, API_KEY_HEADER};
use super::conns::{self, Admitted, Conns};
use super::page::History;
use super::params::{Format, Params};
use super::routes::{self, Call, Reply};
use super::{HttpError, HttpHost, xml};
use crate::inbound::tls::{TlsConfigError, TlsPolicy, TlsSlot, TlsVersions};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 512;
/// Time a client has to send a complete request head (also between keep-alive requests).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// Time a client has to send its request body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a replaced listener's connections may finish what they are doing.
const DRAIN: Duration = Duration::from_secs(10);

/// A bound HTTP listener, not yet serving.
#[derive(Debug)]
pub struct HttpListener {
    listener: TcpListener,
    /// What the config asked for (the bound address differs for port 0).
    wanted: SocketAddr,
    /// HTTPS as configured at start (see [`tls_config`]).
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// The HTTPS server configuration `settings` ask for: `None` without
/// `http-tls-certificate`.
pub fn tls_config(
    settings: &config::HttpMgmt,
) -> Result<Option<Arc<rustls::ServerConfig>>, TlsConfigError> {
    let t = &settings.tls;
    let Some(pem) = &t.certificate else {
        return Ok(None);
    };
    let policy = TlsPolicy {
        versions: TlsVersions {
            tls12: t.tls12,
            tls13: t.tls13,
        },
        tls12_suites: t.ciphers.clone(),
        tls13_suites: t.tls13_suites.clone(),
    };
    crate::inbound::tls::server_config_from_files(pem, pem, &policy).map(Some)
}

impl HttpListener {
    /// Binds `addr` (from `http-mgmt-port`), to serve HTTPS with `tls` when given.
    pub async fn bind(
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            wanted: addr,
            tls,
        })
    }

    /// The address as bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Serves `first` (the listener bound at start, if the interface is on; the caller announces
/// it) and follows `changes`: after each reload the `http-mgmt-port` of the running config
/// is compared with the served one; a different address is bound first and only then
/// replaces the old listener, so a reload whose address cannot be bound keeps the old one.
/// `announce` is told each address bound after a reload. Runs until dropped.
pub async fn serve<H: HttpHost>(
    host: Arc<H>,
    first: Option<HttpListener>,
    mut changes: watch::Receiver<u64>,
    announce: impl Fn(SocketAddr),
) {
    let history = Arc::new(History::default());
    let app = Arc::new(App {
        host: host.clone(),
        history: history.clone(),
        tls: TlsSlot::new(first.as_ref().and_then(|l| l.tls.clone())),
        conns: Arc::new(Conns::default()),
    });
    let mut loops = JoinSet::new();
    loops.spawn(super::page::sample(host.clone(), history));
    let mut current = first.map(|l| start(&app, l, &mut loops, &|_| {}));
    let mut reloaded = false;
    loop {
        if std::mem::replace(&mut reloaded, true) {
            reload_tls(&app);
        }
        let want = host.http_settings().listen;
        if want != current.as_ref().map(|c| c.wanted) {
            current = switch(&app, current, want, &mut loops, &announce).await;
        }
        if changes.changed().await.is_err() {
            break;
        }
    }
}

/// After a reload: HTTPS with the certificate (read again) and TLS settings of the running
/// config; one that cannot be used keeps the current one.
fn reload_tls<H: HttpHost>(app: &App<H>) {
    match tls_config(&app.host.http_settings()) {
        Ok(tls) => app.tls.set(tls),
        Err(e) => app.host.log_event(format!(
            "reload: HTTPS certificate not usable, keeping the current one: {e}"
        )),
    }
}

/// One serving listener: what it was bound for and how to stop it.
struct Serving {
    wanted: SocketAddr,
    stop: CancellationToken,
}

fn start<H: HttpHost>(
    app: &Arc<App<H>>,
    l: HttpListener,
    loops: &mut JoinSet<()>,
    announce: &impl Fn(SocketAddr),
) -> Serving {
    let stop = CancellationToken::new();
    if let Ok(addr) = l.local_addr() {
        announce(addr);
        app.host
            .log_event(format!("listening for HTTP management on {addr}"));
    }
    let wanted = l.wanted;
    loops.spawn(accept_loop(app.clone(), l.listener, stop.clone()));
    Serving { wanted, stop }
}

/// Moves to the address `want` after a reload (or turns the interface off).
async fn switch<H: HttpHost>(
    app: &Arc<App<H>>,
    current: Option<Serving>,
    want: Option<SocketAddr>,
    loops: &mut JoinSet<()>,
    announce: &impl Fn(SocketAddr),
) -> Option<Serving> {
    let Some(addr) = want else {
        if let Some(old) = current {
            old.stop.cancel();
            app.host
                .log_event("HTTP management interface turned off".into());
        }
        return None;
    };
    match HttpListener::bind(addr, None).await {
        Ok(l) => {
            if let Some(old) = current {
                old.stop.cancel();
            }
            Some(start(app, l, loops, announce))
        }
        Err(e) => {
            let keep = current
                .as_ref()
                .map_or("none".into(), |c| c.wanted.to_string());
            app.host.log_event(format!(
                "reload: cannot bind the HTTP management interface to {addr}: {e}; keeping {keep}"
            ));
            // The old listener stays; the next reload tries the new address again.
            current
        }
    }
}

/// What every request handler shares.
struct App<H> {
    host: Arc<H>,
    history: Arc<History>,
    /// HTTPS as configured now (a reload replaces it for new connections).
    tls: TlsSlot,
    /// The open connections, shared by every listener (one but while rebinding).
    conns: Arc<Conns>,
}

async fn accept_loop<H: HttpHost>(
    app: Arc<App<H>>,
    listener: TcpListener,
    stop: CancellationToken,
) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stop.cancelled() => break,
        };
        while conns.try_join_next().is_some() {}
        match accepted {
            // All connections answering a request: this one is closed unserved.
            Ok((stream, peer)) => match app.conns.admit(MAX_CONNECTIONS) {
                Some(slot) => {
                    conns.spawn(connection(app.clone(), stream, peer, slot, stop.clone()));
                }
                None => drop(stream),
            },
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
}

/// Serves one connection until it ends, the listener stops, or it must give way.
async fn connection<H: HttpHost>(
    app: Arc<App<H>>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: Admitted,
    stop: CancellationToken,
) {
    let close = slot.close.clone();
    tokio::select! {
        () = serve_tcp(app, stream, peer, &slot, &stop) => {}
        // Shed for a newer client: it had no request under way.
        () = close.cancelled() => {}
    }
}

/// Plain HTTP, or TLS when a certificate is configured and the client starts a handshake.
async fn serve_tcp<H: HttpHost>(
    app: Arc<App<H>>,
    stream: TcpStream,
    peer: SocketAddr,
    slot: &Admitted,
    stop: &CancellationToken,
) {
    let Some(tls) = app.tls.get() else {
        return serve_http(app, TokioIo::new(stream), peer, slot, stop, Plain::Serve).await;
    };
    let mut first = [0u8; 1];
    match tokio::time::timeout(HEADER_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {}
        Ok(Ok(1)) => {
            let plain = match app.host.http_settings().tls.redirect_to_https {
                true => Plain::Redirect,
                false => Plain::Serve,
            };
            return serve_http(app, TokioIo::new(stream), peer, slot, stop, plain).await;
        }
        _ => return,
    }
    let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
    if let Ok(Ok(stream)) = tokio::time::timeout(HEADER_TIMEOUT, accept).await {
        serve_http(app, TokioIo::new(stream), peer, slot, stop, Plain::Serve).await;
    }
}

/// The first byte of a TLS record carrying a handshake (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// What a request gets: an answer, or (plain HTTP on the HTTPS listener) a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plain {
    Serve,
    Redirect,
}

async fn serve_http<H, IO>(
    app: Arc<App<H>>,
    io: TokioIo<IO>,
    peer: SocketAddr,
    slot: &Admitted,
    stop: &CancellationToken,
    plain: Plain,
) where
    H: HttpHost,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let busy = slot.busy_counter();
    let svc = hyper::service::service_fn(move |req| {
        let (app, busy) = (app.clone(), busy.clone());
        async move {
            let _busy = conns::busy(&busy);
            Ok::<_, Infallible>(match plain {
                Plain::Serve => app.handle(peer, req).await,
                Plain::Redirect => redirect(&req),
            })
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(16 * 1024)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// `301` to the same host and path over `https://`.
fn redirect(req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut resp = Response::new(Full::new(Bytes::from_static(b"use https\n")));
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(to) = HeaderValue::from_str(&format!("https://{host}{path}")) {
        resp.headers_mut().insert(header::LOCATION, to);
    }
    resp
}

impl<H: HttpHost> App<H> {
    async fn handle(&self, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let format = Params::parse(req.uri().query().unwrap_or(""))
            .and_then(|p| p.format())
            .unwrap_or(Format::Json);
        match self.answer(peer, req).await {
            Ok(reply) => render(StatusCode::OK, reply),
            Err(e) => {
                let status = e.status();
                render(status, error_doc(&e, format))
            }
        }
    }

    async fn answer(&self, peer: SocketAddr, req: Request<Incoming>) -> Result<Reply, HttpError> {
        let settings = self.host.http_settings();
        let key = req
            .headers()
            .get(API_KEY_HEADER)
            .map(|v| v.to_str().unwrap_or_default());
        let level = access::level(&settings, peer.ip(), key)?;
        let (parts, body) = req.into_parts();
        let mut params = Params::parse(parts.uri.query().unwrap_or(""))?;
        if parts.method == Method::POST {
            let body = read_body(body).await?;
            let text = std::str::from_utf8(&body)
                .map_err(|_| HttpError::BadRequest("the request body is not UTF-8".into()))?;
            params.extend(Params::parse(text.trim())?);
        }
        let call = Call {
            method: parts.method,
            path: parts.uri.path().to_string(),
            params,
            level,
            peer,
        };
        routes::route(&*self.host, &self.history, &self.conns, &call).await
    }
}

/// The whole body, at most [`MAX_BODY`] bytes, within [`BODY_TIMEOUT`].
async fn read_body(body: Incoming) -> Result<Bytes, HttpError> {
    let collect = Limited::new(body, MAX_BODY).collect();
    match tokio::time::timeout(BODY_TIMEOUT, collect).await {
        Err(_) => Err(HttpError::Timeout),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Err(HttpError::TooLarge(MAX_BODY))
        }
        Ok(Err(e)) => Err(HttpError::BadRequest(format!(
            "reading the request body: {e}"
        ))),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

/// PowerMTA's error envelope in the format asked for.
fn error_doc(e: &HttpError, format: Format) -> Reply {
    let message = e.to_string();
    match format {
        Format::Json => {
            let doc = serde_json::json!({"status": "error", "message": message});
            Reply::Body(
                "application/json",
                serde_json::to_vec(&doc).unwrap_or_default(),
            )
        }
        Format::Xml => Reply::Body(
            "application/xml; charset=utf-8",
            xml::error(&message).into(),
        ),
    }
}

fn render(status: StatusCode, reply: Reply) -> Response<Full<Bytes>> {
    let (content_type, body) = match reply {
        Reply::Doc(data, Format::Json) => ("application/json", envelope(data)),
        Reply::Doc(data, Format::Xml) => {
            ("application/xml; charset=utf-8", xml::success(&data).into())
        }
        Reply::Body(ct, body) => (ct, body),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    resp
}

/// PowerMTA's success envelope: `{"data":…,"status":"success","message":""}`.
fn envelope(data: serde_json::Value) -> Vec<u8> {
    let doc = serde_json::json!({"data": data, "status": "success", "message": ""});
    serde_json::to_vec(&doc).unwrap_or_default()
}
