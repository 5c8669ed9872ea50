//! `show domains` / `show topdomains`, `show queues` / `show topqueues`, `show vmtas`.

use proto::{
    DomainList, DomainSummary, DomainsRequest, Event, QueueList, QueueMode, QueuePattern,
    QueueSummary, QueuesRequest, Sort, VmtaList, VmtasRequest,
};

use crate::cli::{DomainsArgs, ListingArgs, QueuesArgs};
use crate::client::Session;
use crate::error::CliError;
use crate::render::{Cell, Grid, Out, Tone, opt_age, some_of, toned, until, yes_no};

/// `show domains`; `top` sorts by recipients unless `--sort` says otherwise.
pub async fn domains(
    s: &Session,
    out: &mut Out,
    a: &DomainsArgs,
    top: bool,
) -> Result<(), CliError> {
    let req = DomainsRequest {
        names: a.names.clone(),
        vmta: a.vmta.clone(),
        sort: sort(&a.listing, top),
        max_items: a.listing.max_items,
    };
    let list = s.answer(s.client.domains(s.ctx(), req).await)?;
    if out.is_json() {
        return Ok(out.json(&list)?);
    }
    out.grid(&domain_grid(&list))?;
    Ok(out.line(format_args!(
        "{} of {} domains shown.",
        list.domains.len(),
        list.total_matching
    ))?)
}

fn domain_grid(list: &DomainList) -> Grid {
    let mut g = Grid::new(
        &[
            "DOMAIN",
            "RCPTS",
            "KBYTES",
            "CONN",
            "QUEUES",
            "PAUSED",
            "BACKOFF",
            "OLDEST",
            "LAST ERROR",
        ],
        &[1, 2, 3, 4],
    );
    for d in &list.domains {
        g.row(domain_row(d));
    }
    g
}

fn domain_row(d: &DomainSummary) -> Vec<Cell> {
    vec![
        d.domain.as_str().into(),
        d.rcpts.into(),
        d.kbytes.into(),
        d.connections.into(),
        d.queues.into(),
        some_of(d.paused_queues, d.queues),
        some_of(d.backoff_queues, d.queues),
        opt_age(d.oldest_age_secs).into(),
        last_error(d.last_error.as_ref()),
    ]
}

/// An event as one table cell: `421 4.7.0 try later (mx1.test 127.0.0.2)`.
pub fn last_error(e: Option<&Event>) -> Cell {
    let Some(e) = e else { return "-".into() };
    let remote = match (&e.remote_host, &e.remote_ip) {
        (Some(h), Some(ip)) => format!(" ({h} {ip})"),
        (Some(x), None) | (None, Some(x)) => format!(" ({x})"),
        (None, None) => String::new(),
    };
    toned(format!("{}{remote}", e.diag), Tone::Bad)
}

/// `show queues [PATTERN]`.
pub async fn queues(s: &Session, out: &mut Out, a: &QueuesArgs, top: bool) -> Result<(), CliError> {
    let pattern = match &a.pattern {
        Some(p) => QueuePattern::parse(p).map_err(|e| CliError::Usage(e.to_string()))?,
        None => QueuePattern::all(),
    };
    let req = QueuesRequest {
        pattern,
        paused: a.paused,
        mode: a.mode.map(|m| m.to_proto()),
        sort: sort(&a.listing, top),
        max_items: a.listing.max_items,
    };
    let list = s.answer(s.client.queues(s.ctx(), req).await)?;
    if out.is_json() {
        return Ok(out.json(&list)?);
    }
    out.grid(&queue_grid(&list))?;
    Ok(out.line(format_args!(
        "{} of {} matching queues.",
        list.queues.len(),
        list.total_matching
    ))?)
}

fn queue_grid(list: &QueueList) -> Grid {
    let mut g = Grid::new(
        &[
            "QUEUE",
            "RCPTS",
            "KBYTES",
            "CONN",
            "MODE",
            "PAUSED",
            "OLDEST",
            "NEXT RETRY",
            "LAST ERROR",
        ],
        &[1, 2, 3],
    );
    for q in &list.queues {
        g.row(queue_row(q));
    }
    g
}

fn queue_row(q: &QueueSummary) -> Vec<Cell> {
    vec![
        format!("{}/{}", q.domain, q.vmta).into(),
        q.rcpts.into(),
        q.kbytes.into(),
        q.connections.into(),
        mode_cell(q.mode),
        paused_cell(q.paused),
        opt_age(q.oldest_age_secs).into(),
        until(q.next_retry.as_deref()).into(),
        last_error(q.last_error.as_ref()),
    ]
}

pub fn mode_cell(mode: QueueMode) -> Cell {
    let tone = if mode == QueueMode::Backoff {
        Tone::Warn
    } else {
        Tone::Normal
    };
    toned(mode.as_str(), tone)
}

pub fn paused_cell(paused: bool) -> Cell {
    toned(
        yes_no(paused),
        if paused { Tone::Warn } else { Tone::Normal },
    )
}

/// `show vmtas`.
pub async fn vmtas(s: &Session, out: &mut Out, a: &ListingArgs) -> Result<(), CliError> {
    let req = VmtasRequest {
        sort: sort(a, false),
        max_items: a.max_items,
    };
    let list = s.answer(s.client.vmtas(s.ctx(), req).await)?;
    if out.is_json() {
        return Ok(out.json(&list)?);
    }
    out.grid(&vmta_grid(&list))?;
    Ok(out.line(format_args!(
        "{} of {} virtual MTAs.",
        list.vmtas.len(),
        list.total_matching
    ))?)
}

fn vmta_grid(list: &VmtaList) -> Grid {
    let total: u64 = list.vmtas.iter().map(|v| v.rcpts).sum();
    let mut g = Grid::new(
        &[
            "VMTA",
            "DOMAINS",
            "RCPTS",
            "% TOTAL",
            "KBYTES",
            "CONN",
            "SOURCE IP",
            "HOST NAME",
            "WARM-UP",
        ],
        &[1, 2, 3, 4, 5],
    );
    for v in &list.vmtas {
        let pct = if total == 0 {
            0.0
        } else {
            v.rcpts as f64 * 100.0 / total as f64
        };
        g.row(vec![
            v.name.as_str().into(),
            v.domains.into(),
            v.rcpts.into(),
            format!("{pct:.1}").into(),
            v.kbytes.into(),
            v.connections.into(),
            v.source_ip.as_deref().unwrap_or("-").into(),
            v.host_name.as_deref().unwrap_or("-").into(),
            match &v.warmup {
                Some(w) => format!("day {}, {} today", w.day_of_use, w.used_today).into(),
                None => "-".into(),
            },
        ]);
    }
    g
}

/// `--sort`, or the verb's default (by name; by recipients for the `top*` verbs).
fn sort(a: &ListingArgs, top: bool) -> Sort {
    match a.sort {
        Some(s) => s.to_proto(),
        None if top => Sort::Rcpts,
        None => Sort::Name,
    }
}
