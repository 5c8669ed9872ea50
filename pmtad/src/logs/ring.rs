//! Recent log events in memory, for `pmtactl tail logs [--follow] [--domain D]`.
//!
//! A bounded ring of lines, each with a sequence number. Readers keep a cursor (the next
//! sequence they want) and long-poll: [`Ring::tail`] returns as soon as matching lines exist,
//! else waits on a [`Notify`] until a push or the deadline. The `Notified` future is enabled
//! *before* the buffer is checked, so a push landing between check and wait is never missed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// One event line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogLine {
    pub seq: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Recipient domain for delivery events; `None` for daemon events.
    pub domain: Option<String>,
    pub text: String,
}

/// The answer to a read: lines in order, the cursor to pass next time, and how many lines
/// (of any domain) the reader missed because they had already left the ring.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TailBatch {
    pub lines: Vec<LogLine>,
    pub next: u64,
    pub dropped: u64,
}

#[derive(Debug)]
struct Inner {
    buf: VecDeque<LogLine>,
    next_seq: u64,
    cap: usize,
}

/// The ring buffer plus its wake-up signal.
#[derive(Debug)]
pub struct Ring {
    inner: Mutex<Inner>,
    notify: Notify,
}

impl Ring {
    /// A ring keeping the last `cap` lines (at least one).
    pub fn new(cap: usize) -> Ring {
        Ring {
            inner: Mutex::new(Inner {
                buf: VecDeque::with_capacity(cap.clamp(1, 4096)),
                next_seq: 0,
                cap: cap.max(1),
            }),
            notify: Notify::new(),
        }
    }

    /// Appends a line and wakes every waiting reader; returns its sequence number.
    pub fn push(&self, time: u64, domain: Option<&str>, text: String) -> u64 {
        let seq = {
            let mut g = self.lock();
            let seq = g.next_seq;
            g.next_seq += 1;
            if g.buf.len() == g.cap {
                g.buf.pop_front();
            }
            let domain = domain.map(str::to_ascii_lowercase);
            g.buf.push_back(LogLine {
                seq,
                time,
                domain,
                text,
            });
            seq
        };
        self.notify.notify_waiters();
        seq
    }

    /// The sequence number the next pushed line will get ("from now on" cursor).
    pub fn head(&self) -> u64 {
        self.lock().next_seq
    }

    /// Up to `max` lines with `seq >= cursor` (of `domain` if given), without waiting.
    pub fn read(&self, cursor: u64, max: usize, domain: Option<&str>) -> TailBatch {
        let g = self.lock();
        let oldest = g.buf.front().map_or(g.next_seq, |l| l.seq);
        let start = cursor.max(oldest);
        let mut batch = TailBatch {
            lines: Vec::new(),
            next: start.min(g.next_seq),
            dropped: oldest.saturating_sub(cursor),
        };
        let skip = (start - oldest) as usize;
        for line in g.buf.iter().skip(skip) {
            if batch.lines.len() >= max {
                break;
            }
            batch.next = line.seq + 1;
            if matches(line, domain) {
                batch.lines.push(line.clone());
            }
        }
        batch
    }

    /// The last `n` lines (of `domain` if given): the start of `tail logs --lines N`.
    pub fn last(&self, n: usize, domain: Option<&str>) -> TailBatch {
        let g = self.lock();
        let mut lines: Vec<LogLine> = g
            .buf
            .iter()
            .rev()
            .filter(|l| matches(l, domain))
            .take(n)
            .cloned()
            .collect();
        lines.reverse();
        TailBatch {
            lines,
            next: g.next_seq,
            dropped: 0,
        }
    }

    /// Long-poll: lines from `cursor` on, waiting up to `wait` for the first matching one.
    pub async fn tail(
        &self,
        cursor: u64,
        max: usize,
        wait: Duration,
        domain: Option<&str>,
    ) -> TailBatch {
        let deadline = tokio::time::Instant::now() + wait;
        self.tail_until(cursor, max, deadline, domain).await
    }

    /// [`Self::tail`] with an absolute deadline (the RPC's, less a margin).
    pub async fn tail_until(
        &self,
        mut cursor: u64,
        max: usize,
        deadline: tokio::time::Instant,
        domain: Option<&str>,
    ) -> TailBatch {
        let mut dropped = 0;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let mut batch = self.read(cursor, max, domain);
            dropped += batch.dropped;
            if !batch.lines.is_empty() || tokio::time::Instant::now() >= deadline {
                batch.dropped = dropped;
                return batch;
            }
            cursor = batch.next;
            let timed_out = tokio::select! {
                () = &mut notified => false,
                () = tokio::time::sleep_until(deadline) => true,
            };
            if timed_out {
                return TailBatch {
                    lines: Vec::new(),
                    next: cursor,
                    dropped,
                };
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the ring inconsistent (each push is
        // one VecDeque operation), so a poisoned lock is still usable.
        crate::locks::lock(&self.inner)
    }
}

fn matches(line: &LogLine, domain: Option<&str>) -> bool {
    domain.is_none_or(|d| {
        line.domain
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn cursor_filter_and_drops() {
        let r = Ring::new(3);
        for i in 0..5 {
            let d = if i % 2 == 0 { "a.com" } else { "b.com" };
            r.push(0, Some(d), format!("line {i}"));
        }
        let all = r.read(0, 10, None);
        assert_eq!(all.dropped, 2);
        assert_eq!(
            all.lines.iter().map(|l| l.seq).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(all.next, 5);
        let a = r.read(3, 10, Some("A.com"));
        assert_eq!(a.lines.iter().map(|l| l.seq).collect::<Vec<_>>(), [4]);
        let limited = r.read(2, 1, None);
        assert_eq!((limited.lines.len(), limited.next), (1, 3));
        assert_eq!(r.last(1, Some("b.com")).lines[0].text, "line 3");
        assert!(r.read(5, 10, None).lines.is_empty());
    }

    #[tokio::test]
    async fn tail_wakes_on_push_and_skips_other_domains() {
        let r = Arc::new(Ring::new(100));
        let cursor = r.head();
        let reader = {
            let r = r.clone();
            tokio::spawn(async move {
                r.tail(cursor, 10, Duration::from_secs(30), Some("b.com"))
                    .await
            })
        };
        tokio::task::yield_now().await;
        r.push(1, Some("a.com"), "other".into());
        tokio::task::yield_now().await;
        r.push(2, Some("b.com"), "mine".into());
        let batch = reader.await.unwrap();
        assert_eq!(batch.lines.len(), 1);
        assert_eq!(batch.lines[0].text, "mine");
        assert_eq!(batch.next, 2);
    }

    #[tokio::test]
    async fn tail_times_out_empty() {
        let r = Ring::new(10);
        r.push(0, None, "old".into());
        let b = r.tail(1, 10, Duration::from_millis(20), None).await;
        assert!(b.lines.is_empty());
        assert_eq!(b.next, 1);
    }
}
