//! `delete` and `list`: recipient-level verbs, driven page by page so memory and each
//! call's duration stay bounded however many recipients match.

use std::time::Duration;

use proto::{
    ControlError, DeletePage, DeleteRequest, ListPage, ListRequest, QueuePattern, QueuedRcpt,
};
use tarpc::client::RpcError;

use crate::cli::{DeleteArgs, ListArgs};
use crate::client::Session;
use crate::error::CliError;
use crate::render::{Grid, Out, age, until};

/// Recipients per page; small enough that one page is fast even on a busy spool.
const PAGE: u32 = 1000;

fn pattern(text: &str) -> Result<QueuePattern, CliError> {
    QueuePattern::parse(text).map_err(|e| CliError::Usage(e.to_string()))
}

fn secs(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_secs())
}

/// Runs a deletion page by page (`page(cursor, batch)` asks for one) until the daemon
/// says none is left; the pages' counts summed.
pub(crate) async fn delete_pages<F, Fut>(s: &Session, mut page: F) -> Result<DeletePage, CliError>
where
    F: FnMut(u64, u32) -> Fut,
    Fut: std::future::Future<Output = Result<Result<DeletePage, ControlError>, RpcError>>,
{
    let mut total = DeletePage::default();
    let mut cursor = 0;
    loop {
        let one = s.answer(page(cursor, PAGE).await)?;
        total.deleted += one.deleted;
        match one.next_cursor {
            Some(next) => cursor = next,
            None => return Ok(total),
        }
    }
}

/// `delete --queue=PATTERN [--older-than=T]`.
pub async fn delete(s: &Session, out: &mut Out, a: &DeleteArgs) -> Result<(), CliError> {
    let p = pattern(a.queue.as_deref().unwrap_or_default())?;
    let total = delete_pages(s, |cursor, max_batch| {
        let req = DeleteRequest {
            pattern: p.clone(),
            older_than_secs: secs(a.older_than),
            cursor,
            max_batch,
        };
        s.client.delete(s.ctx(), req)
    })
    .await?;
    if out.is_json() {
        return Ok(out.json(&total)?);
    }
    Ok(out.line(format_args!(
        "{} recipient(s) deleted from {p}.",
        total.deleted
    ))?)
}

/// `list --queue=PATTERN [--maxitems=N]`.
pub async fn list(s: &Session, out: &mut Out, a: &ListArgs) -> Result<(), CliError> {
    let p = pattern(&a.queue)?;
    let mut all = ListPage::default();
    let mut cursor = 0;
    let want = if a.max_items == 0 {
        usize::MAX
    } else {
        a.max_items as usize
    };
    while all.items.len() < want {
        let limit = PAGE.min(u32::try_from(want - all.items.len()).unwrap_or(PAGE));
        let req = ListRequest {
            pattern: p.clone(),
            older_than_secs: secs(a.older_than),
            cursor,
            limit,
        };
        let page = s.answer(s.client.list(s.ctx(), req).await)?;
        all.items.extend(page.items);
        all.next_cursor = page.next_cursor;
        match page.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    all.items.truncate(want);
    if out.is_json() {
        return Ok(out.json(&all)?);
    }
    out.grid(&grid(&all.items))?;
    let more = if all.next_cursor.is_some() {
        " (more match; raise --maxitems)"
    } else {
        ""
    };
    Ok(out.line(format_args!(
        "{} recipient(s) listed{more}.",
        all.items.len()
    ))?)
}

fn grid(items: &[QueuedRcpt]) -> Grid {
    let mut g = Grid::new(
        &[
            "MESSAGE",
            "RCPT",
            "SENDER",
            "QUEUE",
            "AGE",
            "KBYTES",
            "ATTEMPTS",
            "NEXT RETRY",
            "LAST ERROR",
        ],
        &[5, 6],
    );
    for r in items {
        g.row(vec![
            r.message_id.as_str().into(),
            r.rcpt.as_str().into(),
            if r.sender.is_empty() {
                "<>".into()
            } else {
                r.sender.as_str().into()
            },
            format!("{}/{}", r.domain, r.vmta).into(),
            age(r.age_secs).into(),
            r.kbytes.into(),
            r.attempts.into(),
            until(r.next_retry.as_deref()).into(),
            r.last_error.as_deref().unwrap_or("-").into(),
        ]);
    }
    g
}
