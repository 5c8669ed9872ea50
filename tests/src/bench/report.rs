//! What a benchmark run reports: figures with their goals, grouped by part, under a header
//! naming the machine, the date and the load; printed as a table or as JSON.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::Scale;

/// A target a figure is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
}

impl Goal {
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtLeast(g) => value >= g,
            Goal::AtMost(g) => value <= g,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Goal::AtLeast(g) => format!(">= {} {unit}", number(g)),
            Goal::AtMost(g) => format!("<= {} {unit}", number(g)),
        }
    }
}

/// One measured figure.
#[derive(Clone, Debug)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    pub goal: Option<Goal>,
}

impl Figure {
    pub fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Figure {
            name: name.into(),
            value,
            unit,
            goal: None,
        }
    }

    pub fn goal(mut self, goal: Goal) -> Self {
        self.goal = Some(goal);
        self
    }

    pub fn met(&self) -> Option<bool> {
        self.goal.map(|g| g.met(self.value))
    }
}

/// The figures of one part, with what was run to get them.
#[derive(Clone, Debug)]
pub struct Section {
    /// The part's name (`relay`, `config`, …), as `bench -- NAME` takes it.
    pub part: &'static str,
    /// The workload in a line: sizes, counts, concurrency.
    pub workload: String,
    /// The load average (1 min) when the part started.
    pub load: f64,
    pub figures: Vec<Figure>,
    /// Why the part produced no figures, when it failed.
    pub error: Option<String>,
}

impl Section {
    pub fn new(part: &'static str, workload: impl Into<String>) -> Self {
        Section {
            part,
            workload: workload.into(),
            load: Machine::load_average()[0],
            figures: Vec::new(),
            error: None,
        }
    }

    pub fn push(&mut self, figure: Figure) {
        self.figures.push(figure);
    }
}

/// The machine a run happened on.
#[derive(Clone, Debug)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
}

impl Machine {
    pub fn this() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
            .map_or_else(|| "unknown".into(), |(_, m)| m.trim().to_string());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".into(), |k| k.trim().to_string());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel,
        }
    }

    /// The 1, 5 and 15 minute load averages (zeros where /proc/loadavg is missing).
    pub fn load_average() -> [f64; 3] {
        let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let mut it = text.split_whitespace().map(|v| v.parse().unwrap_or(0.0));
        [(); 3].map(|()| it.next().unwrap_or(0.0))
    }
}

/// A whole run: machine, date, load, sections.
#[derive(Clone, Debug)]
pub struct Report {
    pub machine: Machine,
    pub scale: Scale,
    /// RFC 3339 UTC time the run started and ended.
    pub started: String,
    pub ended: String,
    pub load_start: [f64; 3],
    pub load_end: [f64; 3],
    pub sections: Vec<Section>,
}

/// Load average per CPU above which wall-clock figures are marked as measured on a busy
/// machine (3 on this project's 2-core machine).
const BUSY_LOAD_PER_CPU: f64 = 1.5;

impl Report {
    pub fn new(scale: Scale) -> Self {
        let load = Machine::load_average();
        Report {
            machine: Machine::this(),
            scale,
            started: now_rfc3339(),
            ended: String::new(),
            load_start: load,
            load_end: load,
            sections: Vec::new(),
        }
    }

    /// Adds a part's outcome; a failure becomes a section that says why.
    pub fn push(&mut self, part: &'static str, outcome: anyhow::Result<Section>) {
        let section = outcome.unwrap_or_else(|e| {
            eprintln!("bench: {part} failed: {e:#}");
            let mut s = Section::new(part, "");
            s.error = Some(format!("{e:#}"));
            s
        });
        self.sections.push(section);
    }

    /// A finished report of one part (the per-part entry points print this).
    pub fn single(scale: Scale, part: &'static str, outcome: anyhow::Result<Section>) -> Self {
        let mut report = Report::new(scale);
        report.push(part, outcome);
        report.finish();
        report
    }

    /// Whether every part produced its figures.
    pub fn ok(&self) -> bool {
        self.sections.iter().all(|s| s.error.is_none())
    }

    /// Stamps the end time and load.
    pub fn finish(&mut self) {
        self.ended = now_rfc3339();
        self.load_end = Machine::load_average();
    }

    /// Whether the machine was busy (load above 1.5 per CPU) at any point of the run.
    pub fn busy(&self) -> bool {
        let limit = BUSY_LOAD_PER_CPU * self.machine.cpus as f64;
        let max = self.sections.iter().map(|s| s.load);
        max.chain([self.load_start[0], self.load_end[0]])
            .any(|l| l > limit)
    }

    /// The header and one row per figure, as plain text.
    pub fn table(&self) -> String {
        let mut out = self.header();
        let rows = self.rows();
        let widths: Vec<usize> = (0..6)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (cell, w))| match c {
                    2 => format!("{cell:>w$}"),
                    _ => format!("{cell:<w$}"),
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
            if i == 0 {
                let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                let _ = writeln!(out, "{}", "-".repeat(total));
            }
        }
        out.push('\n');
        for s in &self.sections {
            match &s.error {
                None => writeln!(out, "{}: {} (load {:.2})", s.part, s.workload, s.load),
                Some(e) => writeln!(out, "{}: FAILED: {e}", s.part),
            }
            .expect("write to a String");
        }
        out
    }

    fn header(&self) -> String {
        let m = &self.machine;
        let mut out = format!(
            "machine: {} CPUs, {}, Linux {}\ndate:    {} .. {} ({} run)\nload:    {} at start, {} at end\n",
            m.cpus,
            m.cpu_model,
            m.kernel,
            self.started,
            self.ended,
            self.scale.name(),
            loads(self.load_start),
            loads(self.load_end),
        );
        if self.busy() {
            let _ = writeln!(
                out,
                "NOTE:    the machine was busy (load above {:.0}): wall-clock rates and latencies \
                 are pessimistic; CPU-time figures hold",
                BUSY_LOAD_PER_CPU * m.cpus as f64
            );
        }
        out.push('\n');
        out
    }

    fn rows(&self) -> Vec<[String; 6]> {
        let mut rows = vec![["part", "figure", "value", "unit", "goal", "met"].map(String::from)];
        for s in &self.sections {
            for f in &s.figures {
                rows.push([
                    s.part.to_string(),
                    f.name.clone(),
                    number(f.value),
                    f.unit.to_string(),
                    f.goal.map_or_else(String::new, |g| g.text(f.unit)),
                    f.met()
                        .map_or("", |m| if m { "yes" } else { "NO" })
                        .to_string(),
                ]);
            }
        }
        rows
    }

    /// The same as [`Report::table`], machine-readable.
    pub fn json(&self) -> Value {
        let sections: Vec<Value> = self.sections.iter().map(section_json).collect();
        json!({
            "machine": {
                "cpus": self.machine.cpus,
                "cpu_model": self.machine.cpu_model,
                "kernel": self.machine.kernel,
            },
            "scale": self.scale.name(),
            "started": self.started,
            "ended": self.ended,
            "load_start": self.load_start,
            "load_end": self.load_end,
            "busy": self.busy(),
            "sections": sections,
        })
    }
}

fn section_json(s: &Section) -> Value {
    let figures: Vec<Value> = s
        .figures
        .iter()
        .map(|f| {
            let goal = f.goal.map(|g| match g {
                Goal::AtLeast(v) => json!({"at_least": v}),
                Goal::AtMost(v) => json!({"at_most": v}),
            });
            json!({"name": f.name, "value": f.value, "unit": f.unit, "goal": goal, "met": f.met()})
        })
        .collect();
    json!({
        "part": s.part,
        "workload": s.workload,
        "load": s.load,
        "figures": figures,
        "error": s.error,
    })
}

fn loads(l: [f64; 3]) -> String {
    format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2])
}

/// A figure with three significant digits or so, without a run of zeros.
fn number(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    proto::time::rfc3339_from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut r = Report::new(Scale::Smoke);
        let mut s = Section::new("relay", "3 sinks");
        s.push(Figure::new("relay rate", 1015.4, "msgs/s").goal(Goal::AtLeast(4000.0)));
        s.push(Figure::new("CPU per message", 0.12, "ms").goal(Goal::AtMost(0.15)));
        s.push(Figure::new("p99", 12.25, "ms"));
        r.push("relay", Ok(s));
        r.push("acct", Err(anyhow::anyhow!("disk full")));
        r.finish();
        r
    }

    #[test]
    fn table_has_the_machine_the_date_the_load_and_a_row_per_figure() {
        let text = report().table();
        assert!(text.starts_with("machine: "), "{text}");
        assert!(text.contains("\ndate:    "), "{text}");
        assert!(text.contains("\nload:    "), "{text}");
        let row = |name: &str| {
            text.lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("no row {name} in {text}"))
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            row("relay rate"),
            "relay relay rate 1015 msgs/s >= 4000 msgs/s NO"
        );
        assert_eq!(
            row("CPU per message"),
            "relay CPU per message 0.1200 ms <= 0.1500 ms yes"
        );
        assert_eq!(row("p99"), "relay p99 12.25 ms");
        assert!(text.contains("acct: FAILED: disk full"), "{text}");
    }

    #[test]
    fn json_carries_goals_met_and_errors() {
        let r = report();
        assert!(!r.ok());
        let j = r.json();
        let figures = &j["sections"][0]["figures"];
        assert_eq!(figures[0]["goal"]["at_least"], 4000.0);
        assert_eq!(figures[0]["met"], false);
        assert_eq!(figures[1]["met"], true);
        assert!(figures[2]["goal"].is_null() && figures[2]["met"].is_null());
        assert_eq!(j["sections"][1]["error"], "disk full");
        assert_eq!(j["machine"]["cpus"].as_u64(), Some(r.machine.cpus as u64));
    }
}
