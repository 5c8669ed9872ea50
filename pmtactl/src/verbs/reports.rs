//! `show bounces` / `show feedback`: the last reports pmtad's return path processed.

use proto::{ReportEntry, ReportsRequest};

use crate::cli::ReportsArgs;
use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, Tone, toned};

/// One row per reported recipient (newest first), then the counts by domain and category.
pub async fn run(
    s: &Session,
    out: &mut Out,
    a: &ReportsArgs,
    feedback: bool,
) -> Result<(), CliError> {
    let req = ReportsRequest {
        feedback,
        last: a.last,
        domain: a.domain.clone(),
        category: a.category.clone(),
    };
    let list = s.answer(s.client.reports(s.ctx(), req).await)?;
    if out.is_json() {
        return Ok(out.json(&list)?);
    }
    let word = if feedback { "complaint" } else { "bounce" };
    if list.reports.is_empty() {
        return Ok(out.line(format_args!("No {word} reports."))?);
    }
    out.grid(&grid(&list.reports, feedback))?;
    let mut counts = Grid::new(&["DOMAIN", "CATEGORY", "REPORTS"], &[2]);
    for c in &list.by_domain {
        counts.row(vec![
            dash(&c.domain).into(),
            dash(&c.category).into(),
            c.reports.into(),
        ]);
    }
    out.grid(&counts)?;
    Ok(out.line(format_args!(
        "Total of {} {word} report(s).",
        list.reports.len()
    ))?)
}

fn grid(reports: &[ReportEntry], feedback: bool) -> Grid {
    let what = if feedback { "TYPE" } else { "CATEGORY" };
    let mut g = Grid::new(
        &[
            "AT",
            "RCPT",
            what,
            "ACTION",
            "STATUS",
            "FORMAT",
            "MATCHED",
            "JOB",
            "VMTA",
            "DISPOSITION",
        ],
        &[],
    );
    for r in reports {
        let matched = match (&r.rejected, r.matched) {
            (Some(why), _) => toned(format!("rejected: {why}"), Tone::Bad),
            (None, true) => toned("yes", Tone::Good),
            (None, false) => toned("no", Tone::Warn),
        };
        g.row(vec![
            r.at.as_str().into(),
            dash(&r.rcpt).into(),
            dash(&r.category).into(),
            dash(&r.action).into(),
            dash(&r.status).into(),
            dash(&r.format).into(),
            matched,
            r.job_id.as_deref().unwrap_or("-").into(),
            r.vmta.as_deref().unwrap_or("-").into(),
            dash(&r.disposition).into(),
        ]);
    }
    g
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
