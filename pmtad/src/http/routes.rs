//! Which path does what. A fixed table: anything not named here is a 404, so there is no
//! file system behind the server and nothing to traverse.

use config::HttpLevel;
use hyper::Method;
use proto::{DomainsRequest, QueuePattern, QueuesRequest, Sort, VmtasRequest};
use serde_json::{Value, json};

use super::access::require;
use super::command_line::{self, Action, Query, Verb};
use super::params::{Format, Params};
use super::{HttpError, HttpHost, page, shape};
use crate::control::{Backend, domain_list, queue_list, vmta_list};

/// A request as the routes see it: access already decided.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub params: Params,
    pub level: HttpLevel,
    /// Who asked, for the audit line of a change.
    pub peer: std::net::SocketAddr,
}

/// What to send back.
#[derive(Debug)]
pub enum Reply {
    /// A document in PowerMTA's envelope, as JSON or XML.
    Doc(Value, Format),
    /// A fixed or rendered body with its content type.
    Body(&'static str, Vec<u8>),
}

/// Answers one call.
pub async fn route<H: HttpHost>(
    host: &H,
    history: &page::History,
    conns: &super::conns::Conns,
    call: &Call,
) -> Result<Reply, HttpError> {
    let p = &call.params;
    let get = || only(call, &Method::GET);
    match call.path.as_str() {
        "/" | "/ui" if p.get("format").is_none() => {
            get()?;
            Ok(Reply::Body("text/html; charset=utf-8", page::INDEX.into()))
        }
        "/assets/app.js" => {
            get().map(|_| Reply::Body("text/javascript; charset=utf-8", page::APP_JS.into()))
        }
        "/assets/style.css" => {
            get().map(|_| Reply::Body("text/css; charset=utf-8", page::STYLE_CSS.into()))
        }
        "/" | "/status" => doc(call, ask(host, &Query::Status).await?),
        "/domains" => doc(
            call,
            ask(host, &Query::Domains(domains_request(host, p)?)).await?,
        ),
        "/queues" => doc(
            call,
            ask(host, &Query::Queues(queues_request(host, p)?)).await?,
        ),
        "/vmtas" => doc(
            call,
            ask(
                host,
                &Query::Vmtas(VmtasRequest {
                    sort: p.sort(Sort::Name)?,
                    max_items: p.max_items(0)?,
                }),
            )
            .await?,
        ),
        "/domainDetail" => doc(
            call,
            ask(host, &Query::DomainDetail(p.required("domain")?.into())).await?,
        ),
        "/queueDetail" => doc(call, queue_detail(host, p.required("queue")?).await?),
        "/history" => doc(call, history.document()),
        "/jobs" => {
            let max = usize::try_from(p.max_items(host.http_settings().default_max_items)?);
            doc(
                call,
                shape::jobs(&host.jobs().await?, max.unwrap_or(usize::MAX)),
            )
        }
        "/jobDetail" => doc(call, job_detail(host, p.required("jobid")?).await?),
        "/logs" => doc(call, logs(host, p).await?),
        "/metrics" => {
            get()?;
            let mut snap = host.metrics();
            snap.http_connections = conns.open();
            snap.http_connections_shed = conns.shed();
            let text = super::prom::encode(&snap, host.http_settings().metrics_top_queues);
            Ok(Reply::Body(
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                text.into_bytes(),
            ))
        }
        "/command" => {
            only(call, &Method::POST)?;
            let data = run_command(host, call).await?;
            Ok(Reply::Doc(data, p.format()?))
        }
        other => Err(HttpError::NotFound(other.to_string())),
    }
}

/// Each path answers one method; any other is a 405.
fn only(call: &Call, method: &Method) -> Result<(), HttpError> {
    if call.method == method {
        return Ok(());
    }
    Err(HttpError::MethodNotAllowed(format!(
        "{} {}",
        call.method, call.path
    )))
}

fn doc(call: &Call, data: Value) -> Result<Reply, HttpError> {
    only(call, &Method::GET)?;
    Ok(Reply::Doc(data, call.params.format()?))
}

/// `/domains?domain=a.test,b.test&vmta=V&maxitems=N&sort=rcpt`.
fn domains_request<H: HttpHost>(host: &H, p: &Params) -> Result<DomainsRequest, HttpError> {
    let names = p
        .get("domain")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Ok(DomainsRequest {
        names,
        vmta: p.get("vmta").filter(|v| !v.is_empty()).map(String::from),
        sort: p.sort(Sort::Rcpts)?,
        max_items: p.max_items(host.http_settings().default_max_items)?,
    })
}

/// `/queues?queue=PATTERN&paused=yes&mode=backoff&maxitems=N&sort=rcpt`.
fn queues_request<H: HttpHost>(host: &H, p: &Params) -> Result<QueuesRequest, HttpError> {
    let pattern = match p.get("queue").filter(|q| !q.is_empty()) {
        Some(q) => QueuePattern::parse(q).map_err(|e| HttpError::BadRequest(e.to_string()))?,
        None => QueuePattern::all(),
    };
    let mode = p
        .get("mode")
        .filter(|m| !m.is_empty())
        .map(command_line::mode)
        .transpose()?;
    Ok(QueuesRequest {
        pattern,
        paused: p.yes_no("paused")?,
        mode,
        sort: p.sort(Sort::Rcpts)?,
        max_items: p.max_items(host.http_settings().default_max_items)?,
    })
}

/// `/queueDetail?queue=DOMAIN/VMTA` (`DOMAIN/*` or `DOMAIN`: every queue of the domain).
async fn queue_detail<H: HttpHost>(host: &H, queue: &str) -> Result<Value, HttpError> {
    let (domain, vmta) = match queue.split_once('/') {
        Some((d, v)) => (d, Some(v)),
        None => (queue, None),
    };
    if domain.is_empty() || domain.contains('*') || vmta == Some("") {
        return Err(HttpError::BadRequest(format!(
            "queue={queue}: expected DOMAIN/VMTA (or DOMAIN/* for every queue of a domain)"
        )));
    }
    let detail = host.domain_detail(domain.to_string()).await?;
    let queues: Vec<Value> = detail
        .queues
        .iter()
        .filter(|q| vmta.is_none_or(|v| v == "*" || v.eq_ignore_ascii_case(&q.vmta)))
        .map(shape::queue_detail)
        .collect();
    match queues.len() {
        0 => Err(HttpError::Backend(proto::ControlError::NoSuchQueue(
            queue.into(),
        ))),
        1 => Ok(json!({"queue": queues[0]})),
        _ => Ok(json!({"queue": queues})),
    }
}

/// A read-only question, answered in PowerMTA's shape.
async fn ask<H: Backend>(host: &H, q: &Query) -> Result<Value, HttpError> {
    Ok(match q.clone() {
        Query::Status => shape::status(&host.status().await?, &host.version()),
        Query::Version => serde_json::to_value(host.version()).unwrap_or_default(),
        Query::Queues(req) => shape::queues(&queue_list(host, req).await?),
        Query::Domains(req) => shape::domains(&domain_list(host, req).await?),
        Query::Vmtas(req) => shape::vmtas(&vmta_list(host, req).await?),
        Query::Settings(name) => {
            serde_json::to_value(host.settings(name).await?).unwrap_or_default()
        }
        Query::DomainDetail(d) => shape::domain_detail(&host.domain_detail(d).await?),
    })
}

/// `/jobDetail?jobid=ID`: one job; an unknown one is 404.
async fn job_detail<H: Backend>(host: &H, id: &str) -> Result<Value, HttpError> {
    match host.job(id.to_string()).await {
        Ok(j) => Ok(json!({"job": shape::job(&j)})),
        Err(proto::ControlError::InvalidRequest(m)) => Err(HttpError::NotFound(m)),
        Err(e) => Err(e.into()),
    }
}

/// Most lines `/logs` gives in one answer.
const MAX_LOG_LINES: u32 = 1000;

/// `/logs`: the most recent main-log lines (`maxitems`, default 100), or those after
/// `cursor=` (the `nextCursor` of a previous answer), optionally about one `domain=`;
/// read from the same ring as `pmtactl tail logs`.
async fn logs<H: Backend>(host: &H, p: &Params) -> Result<Value, HttpError> {
    let max = p.max_items(100)?.clamp(1, MAX_LOG_LINES);
    let cursor = match p.get("cursor") {
        None => None,
        Some(c) => Some(
            c.trim()
                .parse::<u64>()
                .map_err(|_| HttpError::BadRequest(format!("cursor={c} is not a line number")))?,
        ),
    };
    let req = proto::TailRequest {
        cursor,
        backlog: max,
        max_lines: max,
        domain: p.get("domain").map(str::to_ascii_lowercase),
        wait_ms: 0,
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
    Ok(shape::logs(&host.tail_logs(req, until).await?))
}

/// `POST /command` with `command=TEXT`: read-only verbs need operator access, changes admin.
async fn run_command<H: Backend>(host: &H, call: &Call) -> Result<Value, HttpError> {
    let text = call.params.required("command")?;
    match command_line::parse(text)? {
        Verb::Read(q) => {
            require(call.level, HttpLevel::Operator, "a /command")?;
            ask(host, &q).await
        }
        Verb::Change(a) => {
            require(call.level, HttpLevel::Admin, &format!("'{text}'"))?;
            tracing::info!(peer = %call.peer, "http: {text}");
            act(host, a).await
        }
    }
}

/// A change, run by the backend exactly as for pmtactl.
async fn act<H: Backend>(host: &H, a: Action) -> Result<Value, HttpError> {
    match a {
        Action::Pause(p) => to_value(host.pause(p).await),
        Action::Resume(p) => to_value(host.resume(p).await),
        Action::Schedule(p) => to_value(host.schedule(p).await),
        Action::SetMode(p, m) => to_value(host.set_mode(p, m).await),
        Action::Reload => to_value(host.reload().await),
        Action::Delete {
            pattern,
            older_than_secs,
        } => delete_all(host, pattern, older_than_secs).await,
    }
}

fn to_value<T: serde::Serialize>(v: Result<T, proto::ControlError>) -> Result<Value, HttpError> {
    Ok(serde_json::to_value(v?).unwrap_or_default())
}

/// Recipients deleted per backend call, as pmtactl pages them.
const DELETE_PAGE: u32 = 10_000;

/// `delete` pages through the backend until it says it is done, as pmtactl does.
async fn delete_all<H: Backend>(
    host: &H,
    pattern: QueuePattern,
    older_than_secs: Option<u64>,
) -> Result<Value, HttpError> {
    let (mut cursor, mut deleted) = (0, 0);
    loop {
        let page = host
            .delete(proto::DeleteRequest {
                pattern: pattern.clone(),
                older_than_secs,
                cursor,
                max_batch: DELETE_PAGE,
            })
            .await?;
        deleted += page.deleted;
        match page.next_cursor {
            Some(next) => cursor = next,
            None => return Ok(json!({"pattern": pattern.to_string(), "deleted": deleted})),
        }
    }
}
