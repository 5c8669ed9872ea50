//! `show bounces` / `show feedback`: the last reports the return path processed, and the
//! counters `show status` prints.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use proto::{ReportCount, ReportEntry, ReportList, ReportsRequest, ReturnPathCounts};

use crate::daemon::Shared;
use crate::returnpath::Entry;

/// The reports `req` selects, newest first, and their counts by domain and category.
pub fn list(shared: &Shared, req: &ReportsRequest) -> ReportList {
    let domain = req.domain.as_deref().map(str::to_ascii_lowercase);
    let keep = |e: &Entry| {
        e.feedback == req.feedback
            && domain.as_deref().is_none_or(|d| e.domain == d)
            && req
                .category
                .as_deref()
                .is_none_or(|c| e.category.eq_ignore_ascii_case(c))
    };
    let entries = shared.returnpath.recent(req.last.max(1) as usize, keep);
    let reports: Vec<ReportEntry> = entries.iter().map(entry).collect();
    ReportList {
        by_domain: counts(&reports),
        reports,
    }
}

fn entry(e: &Entry) -> ReportEntry {
    ReportEntry {
        at: proto::time::rfc3339_from_unix(e.time),
        rcpt: e.rcpt.clone(),
        domain: e.domain.clone(),
        category: e.category.clone(),
        status: e.status.clone(),
        diag: e.diag.clone(),
        format: e.format.clone(),
        matched: e.matched,
        job_id: e.job_id.clone(),
        vmta: e.vmta.clone(),
        message_id: e.message_id.clone(),
        reporter: e.reporter.clone(),
        rejected: e.rejected.clone(),
        disposition: e.disposition.clone(),
        action: e.action.clone(),
    }
}

/// Counts by (domain, category), most first, then by name.
fn counts(reports: &[ReportEntry]) -> Vec<ReportCount> {
    let mut map: HashMap<(&str, &str), u64> = HashMap::new();
    for r in reports {
        *map.entry((&r.domain, &r.category)).or_default() += 1;
    }
    let mut out: Vec<ReportCount> = map
        .into_iter()
        .map(|((d, c), n)| ReportCount {
            domain: d.to_string(),
            category: c.to_string(),
            reports: n,
        })
        .collect();
    out.sort_by(|a, b| {
        b.reports
            .cmp(&a.reports)
            .then_with(|| (&a.domain, &a.category).cmp(&(&b.domain, &b.category)))
    });
    out
}

/// The return-path counters of `show status`.
pub fn counters(shared: &Shared) -> ReturnPathCounts {
    let c = &shared.returnpath.counters;
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    ReturnPathCounts {
        bounces_matched: get(&c.bounces_matched),
        bounces_unmatched: get(&c.bounces_unmatched),
        feedback_matched: get(&c.feedback_matched),
        feedback_unmatched: get(&c.feedback_unmatched),
        rejected: get(&c.rejected),
    }
}
