//! Return-path benchmark: reports processed per second by `pmtad::returnpath::process`
//! (MIME parse, DSN / pattern / ARF reading, stamp verification, bounce category), over
//! the four shapes of the end-to-end test (RFC 3464 DSN, Gmail and Microsoft text
//! bounces, Yahoo ARF), each about 1 KiB. CPU time of this thread, best of N runs.

use pmtad::bouncecat::BounceCategories;
use pmtad::returnpath::process::{Source, Verdict, process};
use pmtad::returnpath::{Key, samples};

use super::measure::{per_sec, timed, us_per};
use super::{Figure, Goal, Scale, Section};

/// Reports per run and runs (the best is kept).
#[derive(Clone, Debug)]
pub struct Params {
    pub reports: usize,
    pub runs: usize,
}

impl Params {
    pub fn at(scale: Scale) -> Self {
        Params {
            reports: scale.pick(40_000, 10_000, 40),
            runs: scale.pick(5, 3, 1),
        }
    }
}

fn reports(key: &Key) -> Vec<(&'static str, String)> {
    let rcpt = "gone@remote.example";
    let stamp = format!(
        "{}: {}\r\n",
        pmtad::returnpath::HEADER,
        key.stamp(7, Some("j1"), "vmta-a", &[rcpt])
    );
    let o = samples::original(&stamp, rcpt);
    vec![
        ("dsn", samples::dsn(&o, rcpt)),
        ("gmail", samples::gmail(&o, rcpt)),
        ("microsoft", samples::microsoft(&o, rcpt)),
        ("arf", samples::arf(&o, rcpt, "192.0.2.7")),
    ]
}

/// Best CPU seconds to process `n` copies of `raw`; fails unless every one matched.
fn best(raw: &[u8], n: usize, runs: usize, key: &Key) -> anyhow::Result<f64> {
    let cats = BounceCategories::shared_default();
    let src = Source {
        ip: None,
        helo: None,
        feedback_processor: false,
        now: 0,
    };
    let mut best = f64::MAX;
    for _ in 0..runs.max(1) {
        let (matched, _, cpu) = timed(|| {
            (0..n)
                .filter(|_| process(raw, Some(key), cats, src).verdict == Verdict::Matched)
                .count()
        });
        anyhow::ensure!(matched == n, "{} of {n} reports matched", matched);
        best = best.min(cpu.as_secs_f64());
    }
    Ok(best)
}

pub fn run(p: &Params) -> anyhow::Result<Section> {
    let key = Key::from_bytes(&[9; 32]);
    let shapes = reports(&key);
    let per_shape = (p.reports / shapes.len()).max(1);
    let mut s = Section::new(
        "returnpath",
        format!(
            "{per_shape} reports of each of {} shapes, best of {}; CPU of this thread",
            shapes.len(),
            p.runs
        ),
    );
    let mut total = 0.0;
    for (name, raw) in &shapes {
        let secs = best(raw.as_bytes(), per_shape, p.runs, &key)?;
        total += secs;
        let d = std::time::Duration::from_secs_f64(secs);
        s.push(Figure::new(
            format!("{name} ({} bytes) per report, CPU", raw.len()),
            us_per(d, per_shape),
            "µs",
        ));
    }
    let all = per_shape * shapes.len();
    s.push(
        Figure::new(
            "reports processed per second, CPU",
            per_sec(all, std::time::Duration::from_secs_f64(total)),
            "/s",
        )
        .goal(Goal::AtLeast(1000.0)),
    );
    Ok(s)
}
