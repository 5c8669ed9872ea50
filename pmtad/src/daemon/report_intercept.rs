//! The daemon side of the return path ([`crate::returnpath`]): a message accepted for one or
//! more processor addresses is processed before it is spooled, and each such recipient is
//! then dropped, kept, or readdressed. Here, with the rest of the wiring, because it needs the
//! daemon's shared state (policies, accounting, the report list) and `returnpath` does not.
//!
//! | report    | processor says                       | recipient                        |
//! |-----------|--------------------------------------|----------------------------------|
//! | matched   | `deliver-matched-email yes`          | kept (delivered like any mail)   |
//! | matched   | otherwise                            | dropped                          |
//! | unmatched | `forward-unmatched-to ADDR`          | becomes ADDR                     |
//! | unmatched | `deliver-unmatched-email yes` (dflt) | kept                             |
//! | unmatched | otherwise                            | dropped                          |
//! | rejected  | `forward-errors-to ADDR`             | becomes ADDR                     |
//! | rejected  | otherwise                            | as unmatched                     |
//!
//! Kept and forwarded recipients get NOTIFY=NEVER: a report is never answered by a DSN.

use std::net::IpAddr;

use config::ReturnProcessor;

use super::Shared;
use crate::acct::AcctRecord;
use crate::envelope::{Envelope, Notify, Recipient};
use crate::spool::Content;

use crate::returnpath::process::{Processed, Source, Verdict, process};
use crate::returnpath::{Entry, MAX_REPORT_SIZE};

/// Processes `env` if it is for processor addresses; the envelope left to spool (other
/// recipients, and the kept or forwarded reports), or `None` when nothing is left.
pub async fn intake(shared: &Shared, mut env: Envelope, content: &Content) -> Option<Envelope> {
    let policies = shared.policies();
    let cfg = &policies.config;
    if !cfg.has_processor()
        || !env
            .recipients
            .iter()
            .any(|r| cfg.processor_for(&r.address).is_some())
    {
        return Some(env);
    }
    let raw = read(content);
    let src = Source {
        ip: env.source_ip,
        helo: env.helo.as_deref(),
        feedback_processor: false,
        now: crate::logs::clock::now_secs(),
    };
    let mut kept = Vec::with_capacity(env.recipients.len());
    let mut done: Option<Processed> = None;
    for rcpt in std::mem::take(&mut env.recipients) {
        let Some(proc) = cfg.processor_for(&rcpt.address) else {
            kept.push(rcpt);
            continue;
        };
        let feedback = proc.kind == config::ProcessorKind::FeedbackLoop;
        // One report, one processing, even when addressed to several processor mailboxes.
        let p = done.get_or_insert_with(|| {
            let src = Source {
                feedback_processor: feedback,
                ..src
            };
            run(shared, &policies, &raw, src)
        });
        kept.extend(dispose(proc, rcpt, p.verdict));
    }
    let mut processed = done.expect("one processor recipient");
    record(shared, &policies, &processed).await;
    let disposition = describe(&kept);
    for e in &mut processed.entries {
        e.disposition = disposition.clone();
    }
    log(shared, env.source_ip, &processed);
    shared.returnpath.note(processed.entries);
    env.recipients = kept;
    (!env.recipients.is_empty()).then_some(env)
}

fn run(
    shared: &Shared,
    policies: &super::Policies,
    raw: &Result<Vec<u8>, usize>,
    src: Source<'_>,
) -> Processed {
    let key = shared.returnpath.key();
    match raw {
        Ok(bytes) => process(bytes, key, &policies.acct.bounce, src),
        Err(len) => {
            crate::returnpath::process::rejected(&crate::returnpath::Rejected::TooLarge(*len), src)
        }
    }
}

/// The content, unless it is over the cap (then its length, unread).
fn read(content: &Content) -> Result<Vec<u8>, usize> {
    let len = content.len() as usize;
    if len > MAX_REPORT_SIZE {
        return Err(len);
    }
    match content {
        Content::Inline(v) => Ok(v.clone()),
        Content::Spilled { spill, .. } => std::fs::read(&spill.path).map_err(|_| len),
    }
}

/// What becomes of processor recipient `rcpt` (see the module table).
fn dispose(proc: &ReturnProcessor, mut rcpt: Recipient, verdict: Verdict) -> Option<Recipient> {
    let forward = match verdict {
        Verdict::Matched => None,
        Verdict::Unmatched => proc.forward_unmatched_to.as_deref(),
        Verdict::Rejected => proc
            .forward_errors_to
            .as_deref()
            .or(proc.forward_unmatched_to.as_deref()),
    };
    let keep = match verdict {
        Verdict::Matched => proc.deliver_matched,
        _ => forward.is_some() || proc.deliver_unmatched,
    };
    if !keep {
        return None;
    }
    if let Some(to) = forward {
        rcpt.address = to.to_string();
        rcpt.orcpt = None;
    }
    rcpt.notify = Notify::parse("NEVER").unwrap_or_default();
    Some(rcpt)
}

/// `discarded`, or where the report mail went.
fn describe(kept: &[Recipient]) -> String {
    let never = |r: &&Recipient| !r.notify.wants_failure();
    let to: Vec<&str> = kept
        .iter()
        .filter(never)
        .map(|r| r.address.as_str())
        .collect();
    match to.is_empty() {
        true => "discarded".into(),
        false => format!("delivered to {}", to.join(",")),
    }
}

async fn record(shared: &Shared, policies: &super::Policies, p: &Processed) {
    for (facts, t) in &p.records {
        if policies.wants_record(*t, false) {
            let rec = AcctRecord::report(facts.clone(), *t, crate::logs::clock::now_secs());
            let _ = shared.acct.record(rec).await;
        }
    }
}

fn log(shared: &Shared, ip: Option<IpAddr>, p: &Processed) {
    let from = ip.map(|ip| ip.to_string()).unwrap_or_default();
    for e in &p.entries {
        shared.logs.event(format_args!(
            "returnpath: {} from [{from}]: {}",
            kind(e),
            summary(e)
        ));
    }
}

fn kind(e: &Entry) -> &'static str {
    match e.feedback {
        true => "complaint",
        false => "bounce",
    }
}

fn summary(e: &Entry) -> String {
    if let Some(why) = &e.rejected {
        return format!("rejected ({why}): {}; {}", e.diag, e.disposition);
    }
    let m = match e.matched {
        true => "matched",
        false => "unmatched",
    };
    let rcpt = crate::inbound::printable(&e.rcpt);
    format!(
        "{m} {} {rcpt} {} {}; {}",
        e.format, e.status, e.category, e.disposition
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(text: &str) -> ReturnProcessor {
        let conf = format!(
            "<bounce-processor>\n{text}<address-list>\naddress b@x.example\n</address-list>\n</bounce-processor>\n"
        );
        let loaded = config::load_str(&conf, "t.conf").unwrap();
        loaded.config.bounce_processor.clone().unwrap()
    }

    fn rcpt() -> Recipient {
        Recipient {
            address: "b@x.example".into(),
            orcpt: Some("rfc822;b@x.example".into()),
            state: crate::envelope::RcptState::Pending,
            notify: Notify::default(),
        }
    }

    fn to(p: &ReturnProcessor, v: Verdict) -> Option<String> {
        let kept = dispose(p, rcpt(), v)?;
        assert!(
            !kept.notify.wants_failure(),
            "a kept report never gets a DSN"
        );
        Some(kept.address)
    }

    #[test]
    fn each_verdict_follows_the_processor_settings() {
        let defaults = proc("");
        assert_eq!(to(&defaults, Verdict::Matched), None);
        assert_eq!(
            to(&defaults, Verdict::Unmatched).as_deref(),
            Some("b@x.example")
        );
        assert_eq!(
            to(&defaults, Verdict::Rejected).as_deref(),
            Some("b@x.example")
        );
        let p = proc(
            "deliver-unmatched-email no\ndeliver-matched-email yes\nforward-errors-to err@y.example\n",
        );
        assert_eq!(to(&p, Verdict::Matched).as_deref(), Some("b@x.example"));
        assert_eq!(to(&p, Verdict::Unmatched), None);
        assert_eq!(to(&p, Verdict::Rejected).as_deref(), Some("err@y.example"));
        let f = proc("deliver-unmatched-email no\nforward-unmatched-to ops@y.example\n");
        assert_eq!(to(&f, Verdict::Unmatched).as_deref(), Some("ops@y.example"));
        assert_eq!(to(&f, Verdict::Rejected).as_deref(), Some("ops@y.example"));
    }
}
