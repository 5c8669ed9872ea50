//! `show cluster` and `pause|resume queue PATTERN --cluster`: the fleet sharing one Redis.

use proto::{ClusterStatus, QueuePattern};

use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, toned};

/// `pause queue PATTERN --cluster` (`pause`) or `resume queue PATTERN --cluster`.
pub async fn pause(s: &Session, out: &mut Out, pattern: &str, pause: bool) -> Result<(), CliError> {
    let p = QueuePattern::parse(pattern).map_err(|e| CliError::Usage(e.to_string()))?;
    let report = s.answer(s.client.cluster_pause(s.ctx(), p, pause).await)?;
    if out.is_json() {
        return Ok(out.json(&report)?);
    }
    let (verb, when) = match pause {
        true => (
            "paused",
            "every node takes it up within a second, also after a restart",
        ),
        false => ("resumed", "every node takes it up within a second"),
    };
    let already = if report.changed == 0 && report.matched > 0 {
        " (no change: it already was)"
    } else {
        ""
    };
    Ok(out.line(format!(
        "{} {verb} fleet-wide{already} ({} queues here match); {when}.",
        report.pattern, report.matched
    ))?)
}

/// `show cluster`.
pub async fn show(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let status = s.answer(s.client.cluster(s.ctx()).await)?;
    if out.is_json() {
        return Ok(out.json(&status)?);
    }
    out.line(format!(
        "Fleet on {} as node {} sees it:",
        status.redis, status.node
    ))?;
    out.grid(&nodes_grid(&status))?;
    if !status.limits.is_empty() {
        out.grid(&limits_grid(&status))?;
    }
    match status.paused.is_empty() {
        true => Ok(out.line("No fleet-wide pause.")?),
        false => Ok(out.line(format!("Paused fleet-wide: {}", status.paused.join(", ")))?),
    }
}

fn nodes_grid(status: &ClusterStatus) -> Grid {
    let mut g = Grid::new(
        &["NODE", "HEARTBEAT", "VERSION", "QUEUES", "CONNS"],
        &[2, 3, 4],
    );
    for n in &status.nodes {
        let age = format!("{:.1}s ago", n.heartbeat_age_ms as f64 / 1000.0);
        let tone = if n.alive { Tone::Normal } else { Tone::Warn };
        g.row(vec![
            n.id.as_str().into(),
            toned(age, tone),
            n.version.as_str().into(),
            n.queues.into(),
            n.connections.into(),
        ]);
    }
    g
}

fn limits_grid(status: &ClusterStatus) -> Grid {
    let mut g = Grid::new(
        &["QUEUE", "CLUSTER-MAX-SMTP-OUT", "OPEN", "PER NODE"],
        &[1, 2],
    );
    for l in &status.limits {
        let per: Vec<String> = l
            .per_node
            .iter()
            .map(|u| format!("{}={}", u.node, u.connections))
            .collect();
        g.row(vec![
            l.queue.as_str().into(),
            l.max_smtp_out.into(),
            l.connections.into(),
            per.join(" ").into(),
        ]);
    }
    g
}
