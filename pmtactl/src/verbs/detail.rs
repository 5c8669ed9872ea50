//! `domain detail NAME`: the answer to "why is this domain not sending?".

use proto::{DomainDetail, Event, QueueDetail};

use super::listings::{last_error, mode_cell, paused_cell};
use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, ago, limit, opt_age, toned, until};
use crate::verbs::settings::settings_grid;

/// What to print besides the verdict and the live state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections {
    /// Every effective setting of each queue (`--settings`).
    pub settings: bool,
    /// Only the recent errors (`show domains NAME --errors`, PowerMTA's spelling).
    pub errors_only: bool,
}

pub async fn run(s: &Session, out: &mut Out, name: &str, want: Sections) -> Result<(), CliError> {
    let detail = s.answer(s.client.domain_detail(s.ctx(), name.to_string()).await)?;
    if out.is_json() {
        return Ok(out.json(&detail)?);
    }
    if want.errors_only {
        return errors_only(&detail, out);
    }
    print(&detail, out, want)
}

/// The verdict first: the one line an operator woken at 3 a.m. needs.
fn print(d: &DomainDetail, out: &mut Out, want: Sections) -> Result<(), CliError> {
    out.line(&d.verdict.line)?;
    out.line(format_args!(
        "Domain {}: {} rcpts, {} kbytes in {} queue(s)",
        d.domain,
        d.rcpts,
        d.kbytes,
        d.queues.len()
    ))?;
    if let Some(r) = &d.rollup {
        out.line(format_args!(
            "MX rollup: queued in {r} with the other domains on the same MX hosts"
        ))?;
    }
    if !d.members.is_empty() {
        out.line(format_args!("Member domains: {}", d.members.join(", ")))?;
    }
    for q in &d.queues {
        out.line("")?;
        queue(q, out, want)?;
    }
    Ok(())
}

/// `show domains NAME --errors`: each queue's recent errors and bounces.
fn errors_only(d: &DomainDetail, out: &mut Out) -> Result<(), CliError> {
    let mut any = false;
    for q in d.queues.iter().filter(|q| !q.recent_errors.is_empty()) {
        any = true;
        out.line(format_args!("Recent errors of {}/{}:", q.domain, q.vmta))?;
        out.grid(&events(&q.recent_errors))?;
    }
    if !any {
        out.line(format_args!("{}: no recent errors.", d.domain))?;
    }
    Ok(())
}

fn queue(q: &QueueDetail, out: &mut Out, want: Sections) -> Result<(), CliError> {
    out.line(format_args!(
        "Queue {}/{}: {}",
        q.domain, q.vmta, q.verdict.line
    ))?;
    out.grid(&overview(q))?;
    section(out, "Held back", &holds(q))?;
    section(out, "Connections per destination IP", &per_ip(q))?;
    destinations(q, out)?;
    section(out, "Recent errors", &events(&q.recent_errors))?;
    section(out, "Recent deliveries", &events(&q.recent_deliveries))?;
    if want.settings {
        section(out, "Settings", &settings_grid(&q.settings))?;
    }
    Ok(())
}

/// A titled block; nothing at all when it has no rows (an empty table says nothing).
fn section(out: &mut Out, title: &str, grid: &Grid) -> Result<(), CliError> {
    if !grid.is_empty() {
        out.line(format_args!("{title}:"))?;
        out.grid(grid)?;
    }
    Ok(())
}

/// Where the mail goes: the hosts, or why there are none; nothing before the first lookup.
fn destinations(q: &QueueDetail, out: &mut Out) -> Result<(), CliError> {
    let d = &q.destinations;
    if d.hosts.is_empty() && d.error.is_none() {
        return Ok(());
    }
    out.line(format_args!("Destinations ({}):", d.source.as_str()))?;
    if let Some(e) = &d.error {
        out.line(format_args!("  lookup failed: {e}"))?;
    }
    if !d.hosts.is_empty() {
        out.grid(&hosts(q))?;
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
    let mut g = Grid::new(
        &["WHEN", "KIND", "FAILURE", "RCPT", "CATEGORY", "DIAG"],
        &[],
    );
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
            e.failure.map_or("-", proto::FailureKind::as_str).into(),
            e.rcpt.as_deref().unwrap_or("-").into(),
            e.category.as_deref().unwrap_or("-").into(),
            diag,
        ]);
    }
    g
}
