//! `domain detail NAME`: the answer to "why is this domain not sending?".

use proto::{DomainDetail, Event, QueueDetail};

use super::listings::{last_error, mode_cell, paused_cell};
use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, ago, limit, opt_age, toned, until};
use crate::verbs::settings::settings_grid;

pub async fn run(s: &Session, out: &mut Out, name: &str) -> Result<(), CliError> {
    let detail = s.answer(s.client.domain_detail(s.ctx(), name.to_string()).await)?;
    if out.is_json() {
        return Ok(out.json(&detail)?);
    }
    print(&detail, out)
}

fn print(d: &DomainDetail, out: &mut Out) -> Result<(), CliError> {
    out.line(format_args!(
        "Domain {}: {} rcpts, {} kbytes in {} queue(s)",
        d.domain,
        d.rcpts,
        d.kbytes,
        d.queues.len()
    ))?;
    for q in &d.queues {
        out.line("")?;
        queue(q, out)?;
    }
    Ok(())
}

fn queue(q: &QueueDetail, out: &mut Out) -> Result<(), CliError> {
    out.line(format_args!("Queue {}/{}", q.domain, q.vmta))?;
    out.grid(&overview(q))?;
    section(out, "Held back", &holds(q), "nothing holds delivery back")?;
    section(
        out,
        "Connections per destination IP",
        &per_ip(q),
        "no open connections",
    )?;
    out.line(format_args!(
        "Destinations ({}):",
        q.destinations.source.as_str()
    ))?;
    if let Some(e) = &q.destinations.error {
        out.line(format_args!("  lookup failed: {e}"))?;
    }
    out.grid(&hosts(q))?;
    section(out, "Recent errors", &events(&q.recent_errors), "none")?;
    section(
        out,
        "Recent deliveries",
        &events(&q.recent_deliveries),
        "none",
    )?;
    section(out, "Settings", &settings_grid(&q.settings), "none")
}

/// A titled block, or the title with a note when it has no rows.
fn section(out: &mut Out, title: &str, grid: &Grid, empty: &str) -> Result<(), CliError> {
    if grid.is_empty() {
        out.line(format_args!("{title}: {empty}"))?;
    } else {
        out.line(format_args!("{title}:"))?;
        out.grid(grid)?;
    }
    Ok(())
}

fn overview(q: &QueueDetail) -> Grid {
    let c = &q.connections;
    let mut g = Grid::pairs();
    g.row(vec!["rcpts".into(), q.rcpts.into()]);
    g.row(vec!["kbytes".into(), q.kbytes.into()]);
    g.row(vec!["oldest".into(), opt_age(q.oldest_age_secs).into()]);
    g.row(vec![
        "next retry".into(),
        until(q.next_retry.as_deref()).into(),
    ]);
    g.row(vec!["paused".into(), paused_cell(q.paused)]);
    g.row(vec!["mode".into(), mode_cell(q.mode)]);
    g.row(vec![
        "connections".into(),
        format!(
            "{} open (max-smtp-out {}, max-smtp-out-per-ip {})",
            c.active,
            limit(c.max_smtp_out),
            limit(c.max_smtp_out_per_ip)
        )
        .into(),
    ]);
    g
}

fn holds(q: &QueueDetail) -> Grid {
    let mut g = Grid::new(&["REASON", "DETAIL", "UNTIL"], &[]);
    for h in &q.held_back {
        g.row(vec![
            toned(h.kind.as_str(), Tone::Warn),
            h.detail.as_str().into(),
            until(h.until.as_deref()).into(),
        ]);
    }
    g
}

fn per_ip(q: &QueueDetail) -> Grid {
    let mut g = Grid::new(&["IP", "HOST", "OPEN", "PER-IP LIMIT"], &[2]);
    for ip in &q.connections.per_ip {
        let full = q
            .connections
            .max_smtp_out_per_ip
            .is_some_and(|m| ip.active >= m);
        g.row(vec![
            ip.ip.as_str().into(),
            ip.host.as_str().into(),
            toned(ip.active, if full { Tone::Warn } else { Tone::Normal }),
            limit(q.connections.max_smtp_out_per_ip).into(),
        ]);
    }
    g
}

fn hosts(q: &QueueDetail) -> Grid {
    let mut g = Grid::new(&["PREF", "HOST", "PORT", "ADDRESSES"], &[0, 2]);
    for h in &q.destinations.hosts {
        g.row(vec![
            h.preference.into(),
            h.host.as_str().into(),
            h.port.into(),
            h.addresses.join(" ").into(),
        ]);
    }
    g
}

fn events(list: &[Event]) -> Grid {
    let mut g = Grid::new(&["WHEN", "KIND", "RCPT", "DIAG"], &[]);
    for e in list {
        let tone = if e.kind == proto::EventKind::Delivered {
            Tone::Good
        } else {
            Tone::Bad
        };
        let diag = match last_error(Some(e)) {
            c if tone == Tone::Good => toned(c.text, Tone::Normal),
            c => c,
        };
        g.row(vec![
            ago(&e.at).into(),
            toned(e.kind.as_str(), tone),
            e.rcpt.as_deref().unwrap_or("-").into(),
            diag,
        ]);
    }
    g
}
