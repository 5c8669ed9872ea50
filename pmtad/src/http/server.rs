//! The listener: bind, rebind on reload, accept with a bound on connections, and serve each
//! connection with hyper's HTTP/1 server under timeouts.
//!
//! Why these limits: the interface shares the daemon with SMTP intake, so a flood of idle
//! or slow clients must cost only a bounded number of tasks and file descriptors. At most
//! [`MAX_CONNECTIONS`] are served at once (the rest wait in the kernel's backlog); a client
//! that does not finish its request head within [`HEADER_TIMEOUT`] is dropped; request
//! bodies (only `/command` takes one) are capped at [`MAX_BODY`] and must arrive within
//! [`BODY_TIMEOUT`].

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
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::access::{self, API_KEY_HEADER};
use super::page::History;
use super::params::{Format, Params};
use super::routes::{self, Call, Reply};
use super::{HttpError, HttpHost, xml};

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
}

impl HttpListener {
    /// Binds `addr` (from `http-mgmt-port`).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            wanted: addr,
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
    });
    let mut loops = JoinSet::new();
    loops.spawn(super::page::sample(host.clone(), history));
    let mut current = first.map(|l| start(&app, l, &mut loops, &|_| {}));
    loop {
        let want = host.http_settings().listen;
        if want != current.as_ref().map(|c| c.wanted) {
            current = switch(&app, current, want, &mut loops, &announce).await;
        }
        if changes.changed().await.is_err() {
            break;
        }
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
    match HttpListener::bind(addr).await {
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
}

async fn accept_loop<H: HttpHost>(
    app: Arc<App<H>>,
    listener: TcpListener,
    stop: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut conns = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("semaphore never closed"),
            () = stop.cancelled() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = stop.cancelled() => break,
        };
        while conns.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                conns.spawn(connection(app.clone(), stream, peer, permit, stop.clone()));
            }
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, async { while conns.join_next().await.is_some() {} }).await;
}

async fn connection<H: HttpHost>(
    app: Arc<App<H>>,
    stream: TcpStream,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
    stop: CancellationToken,
) {
    let svc = hyper::service::service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.handle(peer, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(16 * 1024)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
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
        routes::route(&*self.host, &self.history, &call).await
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
