//! `show status`: the daemon at a glance.

use proto::{ConnectionCount, Counts, DaemonState, Status};

use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, age, limit, toned};

pub async fn run(s: &Session, out: &mut Out) -> Result<(), CliError> {
    let status = s.answer(s.client.status(s.ctx()).await)?;
    if out.is_json() {
        return Ok(out.json(&status)?);
    }
    print(&status, out)
}

fn print(st: &Status, out: &mut Out) -> Result<(), CliError> {
    out.line(format_args!(
        "pmtad {} status on {} at {}",
        st.daemon_version, st.host_name, st.time_now
    ))?;
    out.grid(&traffic(st))?;
    out.grid(&connections(st))?;
    out.grid(&summary(st))?;
    Ok(())
}

fn traffic(st: &Status) -> Grid {
    let mut g = Grid::new(
        &[
            "TRAFFIC",
            "IN RCPTS",
            "IN MSGS",
            "IN KBYTES",
            "OUT RCPTS",
            "OUT MSGS",
            "OUT KBYTES",
        ],
        &[1, 2, 3, 4, 5, 6],
    );
    let t = &st.traffic;
    for (name, w) in [
        ("total", &t.total),
        ("last hour", &t.last_hour),
        ("last minute", &t.last_minute),
    ] {
        let mut row = vec![name.into()];
        row.extend(counts(&w.inbound));
        row.extend(counts(&w.outbound));
        g.row(row);
    }
    g
}

fn counts(c: &Counts) -> [crate::render::Cell; 3] {
    [c.rcpts.into(), c.msgs.into(), c.kbytes.into()]
}

/// Both directions, then each `<source-group>` under inbound; RESERVED and REFUSED are
/// inbound only (`-` for outbound).
fn connections(st: &Status) -> Grid {
    let mut g = Grid::new(
        &[
            "CONNECTIONS",
            "ACTIVE",
            "TOP",
            "MAXIMUM",
            "RESERVED",
            "REFUSED",
        ],
        &[1, 2, 3, 4, 5],
    );
    let row = |name: &str, c: &ConnectionCount, reserved: &str, refused: String| {
        vec![
            name.into(),
            c.active.into(),
            c.top.into(),
            limit(c.maximum).into(),
            reserved.to_string().into(),
            refused.into(),
        ]
    };
    let inbound = &st.connections.inbound;
    g.row(row("inbound", inbound, "-", st.inbound_refused.to_string()));
    for sg in &st.source_groups {
        let c = ConnectionCount {
            active: sg.active,
            top: sg.top,
            maximum: sg.maximum,
        };
        let name = format!("  group {}", sg.name);
        g.row(row(
            &name,
            &c,
            &sg.reserved.to_string(),
            sg.refused.to_string(),
        ));
    }
    g.row(row("outbound", &st.connections.outbound, "-", "-".into()));
    g
}

fn summary(st: &Status) -> Grid {
    let q = &st.queues;
    let mut g = Grid::pairs();
    g.row(vec![
        "queued".into(),
        format!("{} rcpts, {} msgs, {} kbytes", q.rcpts, q.msgs, q.kbytes).into(),
    ]);
    g.row(vec![
        "queues".into(),
        format!(
            "{} queues, {} domains, {} paused, {} in backoff",
            q.queues, q.domains, q.paused_queues, q.backoff_queues
        )
        .into(),
    ]);
    let sp = &st.spool;
    let recovery = if sp.recovered {
        "recovered"
    } else {
        "recovering"
    };
    g.row(vec![
        "spool".into(),
        format!(
            "{}: {} msgs, {} kbytes used, {} kbytes free (min-free-space {} kbytes), {recovery}",
            sp.path, sp.messages, sp.kbytes_used, sp.kbytes_free, sp.kbytes_min_free
        )
        .into(),
    ]);
    let bc = &sp.body_cache;
    g.row(vec![
        "body cache".into(),
        format!(
            "{} of {} kbytes, {} msgs, hit rate {:.1}% ({} hits, {} misses)",
            bc.kbytes,
            bc.kbytes_budget,
            bc.messages,
            bc.hit_rate() * 100.0,
            bc.hits,
            bc.misses
        )
        .into(),
    ]);
    if let Some(since) = &sp.intake_refused_since {
        let text = format!("intake refused: spool full since {since}");
        g.row(vec!["intake".into(), toned(text, Tone::Bad)]);
    }
    let state = match st.state {
        DaemonState::Running => toned("running", Tone::Good),
        DaemonState::ShuttingDown => toned("shutting down", Tone::Warn),
    };
    g.row(vec!["state".into(), state]);
    let r = &st.returnpath;
    if r.bounces_matched
        + r.bounces_unmatched
        + r.feedback_matched
        + r.feedback_unmatched
        + r.rejected
        > 0
    {
        let text = format!(
            "bounces {} matched, {} unmatched; complaints {} matched, {} unmatched; {} rejected",
            r.bounces_matched,
            r.bounces_unmatched,
            r.feedback_matched,
            r.feedback_unmatched,
            r.rejected
        );
        g.row(vec!["reports".into(), text.into()]);
    }
    g.row(vec![
        "started".into(),
        format!("{} (up {})", st.started_at, age(st.uptime_secs)).into(),
    ]);
    g
}
