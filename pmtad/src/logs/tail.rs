//! `tail logs` for the control plane: the ring behind `proto`'s `TailRequest` / `LogBatch`.

use std::time::Instant;

use super::clock;
use super::ring::{LogLine, Ring, TailBatch};

/// Answers one `tail_logs` call: without a cursor, the last `backlog` lines at once (or,
/// with no backlog, a wait for the next line); with one, a long-poll until `until`.
pub async fn serve_tail(ring: &Ring, req: &proto::TailRequest, until: Instant) -> proto::LogBatch {
    let domain = req.domain.as_deref();
    let max = (req.max_lines as usize).max(1);
    let batch = match req.cursor {
        None if req.backlog > 0 => ring.last((req.backlog as usize).min(max), domain),
        cursor => {
            let from = cursor.unwrap_or_else(|| ring.head());
            let deadline = tokio::time::Instant::from_std(until);
            ring.tail_until(from, max, deadline, domain).await
        }
    };
    to_proto(batch)
}

fn to_proto(b: TailBatch) -> proto::LogBatch {
    proto::LogBatch {
        lines: b.lines.into_iter().map(line_to_proto).collect(),
        next_cursor: b.next,
        dropped: b.dropped,
    }
}

/// `text` is the line as the log files show it: stamp, space, text.
fn line_to_proto(l: LogLine) -> proto::LogLine {
    let mut text = String::with_capacity(20 + l.text.len());
    clock::write_stamp(&mut text, l.time);
    text.push(' ');
    text.push_str(&l.text);
    proto::LogLine {
        seq: l.seq,
        at: proto::time::rfc3339_from_unix(l.time),
        domain: l.domain,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(cursor: Option<u64>, backlog: u32, wait_ms: u32) -> proto::TailRequest {
        proto::TailRequest {
            cursor,
            backlog,
            max_lines: 100,
            domain: None,
            wait_ms,
        }
    }

    #[tokio::test]
    async fn backlog_then_follow() {
        let ring = Ring::new(100);
        for i in 0..5 {
            ring.push(1_764_072_000, Some("a.com"), format!("line {i}"));
        }
        let soon = Instant::now() + Duration::from_millis(10);
        let first = serve_tail(&ring, &req(None, 2, 0), soon).await;
        let texts: Vec<&str> = first.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["2025-11-25 12:00:00 line 3", "2025-11-25 12:00:00 line 4"]
        );
        assert_eq!(first.next_cursor, 5);
        assert_eq!(first.lines[0].domain.as_deref(), Some("a.com"));
        let empty = serve_tail(&ring, &req(Some(5), 0, 10), soon).await;
        assert!(empty.lines.is_empty());
        assert_eq!(empty.next_cursor, 5);
        ring.push(1_764_072_001, None, "pmtad reloaded".into());
        let later = Instant::now() + Duration::from_secs(5);
        let next = serve_tail(&ring, &req(Some(5), 0, 5000), later).await;
        assert_eq!(next.lines.len(), 1);
        assert_eq!(next.next_cursor, 6);
    }
}
