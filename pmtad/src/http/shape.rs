//! The control verbs' answers in PowerMTA's web monitor shape: element names as in
//! `pmta --xml show status` and the web monitor's XML/JSON (`rcp`, `kb`, `conn`,
//! `//domain/name`, `//vmta/rcp`, `status.traffic.lastHr.in.rcp`, …). Only renaming and
//! arrangement happen here; every number comes from the backend's answer as is.

use proto::{
    DomainDetail, DomainList, Event, QueueDetail, QueueList, Status, Verdict, VersionInfo, VmtaList,
};
use serde_json::{Map, Value, json};

/// `/status`: the `mta` and `status` trees of `pmta --xml show status`.
pub fn status(s: &Status, v: &VersionInfo) -> Value {
    let t = &s.traffic;
    let counts = |c: &proto::Counts| json!({"rcp": c.rcpts, "msg": c.msgs, "kb": c.kbytes});
    let window = |w: &proto::InOut| json!({"in": counts(&w.inbound), "out": counts(&w.outbound)});
    let conn =
        |c: &proto::ConnectionCount| json!({"cur": c.active, "top": c.top, "max": c.maximum});
    let q = &s.queues;
    json!({
        "mta": {
            "product": {"name": v.product, "version": v.daemon_version},
            "fullHostName": s.host_name,
        },
        "status": {
            "timeNow": s.time_now,
            "startupTime": s.started_at,
            "uptime": s.uptime_secs,
            "shuttingDown": matches!(s.state, proto::DaemonState::ShuttingDown),
            "status": match s.state {
                proto::DaemonState::Running => "running",
                proto::DaemonState::ShuttingDown => "shutting down",
            },
            "traffic": {
                "total": window(&t.total),
                "lastHr": window(&t.last_hour),
                "lastMin": window(&t.last_minute),
            },
            "conn": {
                "smtpIn": conn(&s.connections.inbound),
                "smtpOut": conn(&s.connections.outbound),
            },
            "queue": {
                "smtp": {"rcp": q.rcpts, "msg": q.msgs, "dom": q.domains, "kb": q.kbytes},
                "queues": q.queues,
                "paused": q.paused_queues,
                "backoff": q.backoff_queues,
            },
            "spool": {
                "path": s.spool.path,
                "initPct": if s.spool.recovered { 100 } else { 0 },
                "files": {"inUse": s.spool.messages},
                "kbUsed": s.spool.kbytes_used,
                "kbFree": s.spool.kbytes_free,
            },
        },
    })
}

/// `/domains`: one `domain` element per row.
pub fn domains(list: &DomainList) -> Value {
    let rows: Vec<Value> = list
        .domains
        .iter()
        .map(|d| {
            json!({
                "name": d.domain,
                "rcp": d.rcpts,
                "kb": d.kbytes,
                "conn": d.connections,
                "queues": d.queues,
                "paused": d.paused_queues,
                "backoff": d.backoff_queues,
                "oldestAge": d.oldest_age_secs,
                "lastError": last_error(d.last_error.as_ref()),
            })
        })
        .collect();
    json!({"domain": rows, "total": list.total_matching})
}

/// `/queues`: one `queue` element per row, named `domain/vmta`.
pub fn queues(list: &QueueList) -> Value {
    let rows: Vec<Value> = list
        .queues
        .iter()
        .map(|q| {
            json!({
                "name": format!("{}/{}", q.domain, q.vmta),
                "domain": q.domain,
                "vmta": q.vmta,
                "rcp": q.rcpts,
                "kb": q.kbytes,
                "conn": q.connections,
                "paused": q.paused,
                "mode": q.mode.as_str(),
                "oldestAge": q.oldest_age_secs,
                "retry": q.next_retry,
                "lastError": last_error(q.last_error.as_ref()),
            })
        })
        .collect();
    json!({"queue": rows, "total": list.total_matching})
}

/// `/vmtas`: name, domains, #rcpt, % of all queued recipients, kbytes, connections.
pub fn vmtas(list: &VmtaList) -> Value {
    let all: u64 = list.vmtas.iter().map(|v| v.rcpts).sum();
    let rows: Vec<Value> = list
        .vmtas
        .iter()
        .map(|v| {
            let pct = (v.rcpts * 100).checked_div(all).unwrap_or(0);
            json!({
                "name": v.name,
                "domains": v.domains,
                "rcp": v.rcpts,
                "pctTotal": pct,
                "kb": v.kbytes,
                "conn": v.connections,
                "sourceIp": v.source_ip,
                "hostName": v.host_name,
            })
        })
        .collect();
    json!({"vmta": rows, "total": list.total_matching})
}

/// `/domainDetail`: the domain's totals, the backend's one-line verdict, and each of its
/// queues in detail.
pub fn domain_detail(d: &DomainDetail) -> Value {
    let queues: Vec<Value> = d.queues.iter().map(queue_detail).collect();
    json!({"domain": {
        "name": d.domain,
        "rcp": d.rcpts,
        "kb": d.kbytes,
        "verdict": verdict(&d.verdict),
        "queue": queues,
    }})
}

/// "Is it sending, and if not, why": the backend's verdict as is.
fn verdict(v: &Verdict) -> Value {
    json!({
        "state": serde_json::to_value(v.state).unwrap_or(Value::Null),
        "reason": v.reason.map(|r| r.as_str()),
        "line": v.line,
        "nextAttempt": v.next_attempt,
    })
}

/// One queue of a detail page. `heldBack` is the backend's "why is it not sending" list;
/// `detail` carries the backend's whole answer (what `pmtactl --json domain detail`
/// prints) for clients that want every field.
pub fn queue_detail(q: &QueueDetail) -> Value {
    let held: Vec<Value> = q
        .held_back
        .iter()
        .map(|h| json!({"kind": h.kind.as_str(), "detail": h.detail, "until": h.until}))
        .collect();
    let settings: Vec<Value> = q
        .settings
        .iter()
        .map(|s| json!({"name": s.name, "value": s.value, "origin": s.origin}))
        .collect();
    let mut out = Map::new();
    out.insert("name".into(), json!(format!("{}/{}", q.domain, q.vmta)));
    out.insert("domain".into(), json!(q.domain));
    out.insert("vmta".into(), json!(q.vmta));
    out.insert("rcp".into(), json!(q.rcpts));
    out.insert("kb".into(), json!(q.kbytes));
    out.insert("conn".into(), json!(q.connections.active));
    out.insert("paused".into(), json!(q.paused));
    out.insert("mode".into(), json!(q.mode.as_str()));
    out.insert("oldestAge".into(), json!(q.oldest_age_secs));
    out.insert("nextRetry".into(), json!(q.next_retry));
    out.insert("verdict".into(), verdict(&q.verdict));
    out.insert("heldBack".into(), json!({"reason": held}));
    out.insert("errors".into(), json!({"error": events(&q.recent_errors)}));
    out.insert(
        "deliveries".into(),
        json!({"delivery": events(&q.recent_deliveries)}),
    );
    out.insert("settings".into(), json!({"setting": settings}));
    out.insert(
        "detail".into(),
        serde_json::to_value(q).unwrap_or(Value::Null),
    );
    Value::Object(out)
}

fn events(list: &[Event]) -> Vec<Value> {
    list.iter().map(event).collect()
}

fn event(e: &Event) -> Value {
    json!({
        "time": e.at,
        "vmta": e.vmta,
        "rcpt": e.rcpt,
        "remoteHost": e.remote_host,
        "remoteIp": e.remote_ip,
        "diag": e.diag,
    })
}

fn last_error(e: Option<&Event>) -> Value {
    e.map_or(Value::Null, |e| json!(e.diag))
}

/// `/jobs`: one `job` element per job (PowerMTA's `show jobs` columns job-id, #rcpt, kbytes
/// as `id`, `rcp`, `kb`, then what pmtactl's `show jobs` adds), at most `max`.
pub fn jobs(list: &proto::JobList, max: usize) -> Value {
    let rows: Vec<Value> = list.jobs.iter().take(max).map(job).collect();
    json!({"job": rows, "total": list.jobs.len()})
}

/// One job's figures.
pub fn job(j: &proto::JobSummary) -> Value {
    json!({
        "id": j.job,
        "rcp": j.queued,
        "kb": j.kbytes,
        "delivered": j.delivered,
        "bounced": j.bounced,
        "deferred": j.deferred,
        "firstSeen": j.first_seen,
        "lastSeen": j.last_seen,
        "paused": j.paused,
    })
}

/// `/logs`: one `line` element per log line, oldest first, and where to go on from.
pub fn logs(batch: &proto::LogBatch) -> Value {
    let rows: Vec<Value> = batch
        .lines
        .iter()
        .map(|l| json!({"seq": l.seq, "time": l.at, "domain": l.domain, "text": l.text}))
        .collect();
    json!({"line": rows, "nextCursor": batch.next_cursor, "dropped": batch.dropped})
}
