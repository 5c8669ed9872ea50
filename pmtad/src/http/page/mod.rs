//! The web monitor page at `/`: one HTML file, a script and a style sheet, compiled into
//! the binary (no CDN, nothing read from disk). The script draws everything from the JSON
//! endpoints; its live chart reads `/history`, the last ten minutes of delivered, deferred
//! and bounced recipients per second, sampled here once a second from the daemon's
//! counters (a few atomic loads, whatever the number of queues).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{HttpHost, TrafficTotals};

pub const INDEX: &str = include_str!("index.html");
pub const APP_JS: &str = include_str!("app.js");
pub const STYLE_CSS: &str = include_str!("style.css");

/// Samples kept: ten minutes at one a second.
const SAMPLES: usize = 600;

/// Per-second traffic of the last ten minutes.
#[derive(Debug, Default)]
pub struct History {
    samples: Mutex<VecDeque<Sample>>,
}

/// One second: Unix time and recipients per kind in that second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    at: u64,
    received: u64,
    delivered: u64,
    deferred: u64,
    bounced: u64,
}

impl History {
    fn push(&self, s: Sample) {
        let mut q = crate::locks::lock(&self.samples);
        if q.len() == SAMPLES {
            q.pop_front();
        }
        q.push_back(s);
    }

    /// `/history`: `{"interval":1,"sample":[{"t","received","delivered","deferred","bounced"}]}`.
    pub fn document(&self) -> Value {
        let q = crate::locks::lock(&self.samples);
        let rows: Vec<Value> = q
            .iter()
            .map(|s| {
                json!({"t": s.at, "received": s.received, "delivered": s.delivered,
                       "deferred": s.deferred, "bounced": s.bounced})
            })
            .collect();
        json!({"interval": 1, "sample": rows})
    }
}

/// Samples `host`'s counters into `history` once a second, for as long as it runs.
pub async fn sample<H: HttpHost>(host: Arc<H>, history: Arc<History>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut last = host.traffic_totals();
    loop {
        tick.tick().await;
        let now = host.traffic_totals();
        history.push(delta(crate::logs::clock::now_secs(), &last, &now));
        last = now;
    }
}

fn delta(at: u64, a: &TrafficTotals, b: &TrafficTotals) -> Sample {
    Sample {
        at,
        received: b.received.saturating_sub(a.received),
        delivered: b.delivered.saturating_sub(a.delivered),
        deferred: b.deferred.saturating_sub(a.deferred),
        bounced: b.bounced.saturating_sub(a.bounced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ten_minutes_of_differences() {
        let h = History::default();
        let t = |d| TrafficTotals {
            delivered: d,
            ..TrafficTotals::default()
        };
        for i in 0..(SAMPLES as u64 + 5) {
            h.push(delta(i, &t(i), &t(i * 2)));
        }
        let doc = h.document();
        let rows = doc["sample"].as_array().unwrap();
        assert_eq!(rows.len(), SAMPLES);
        assert_eq!(rows[0]["t"], 5);
        assert_eq!(rows[0]["delivered"], 5);
    }

    #[test]
    fn the_page_uses_only_its_own_assets() {
        assert!(INDEX.contains("/assets/app.js") && INDEX.contains("/assets/style.css"));
        for text in [INDEX, APP_JS, STYLE_CSS] {
            // The SVG namespace is a name, not a download.
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "no CDN"
            );
        }
    }
}
