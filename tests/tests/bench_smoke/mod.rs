//! The benchmark runner (`bench`) in its tiny mode: every part of BENCHMARKS.md runs and
//! reports its figures in the JSON schema. No timing is asserted: the sizes are too small
//! for the figures to mean anything, and the machine is shared.

use std::process::Command;

use serde_json::Value;

/// Every part, in the order `all` runs them, with the figures each must report.
const PARTS: [(&str, usize); 16] = [
    ("queue", 2),
    ("config", 3),
    ("intake", 6),
    ("recovery", 2),
    ("inbound", 11),
    ("relay", 4),
    ("relay-conn", 5),
    ("cluster", 7),
    ("smtp-client", 8),
    ("control", 5),
    ("control-rpc", 4),
    ("acct", 5),
    ("http", 11),
    ("returnpath", 5),
    ("idle", 5),
    ("rollup", 7),
];

fn check_figure(part: &str, f: &Value) {
    let name = f["name"].as_str().unwrap_or_default();
    assert!(!name.is_empty(), "{part}: figure without a name: {f}");
    assert!(
        !f["unit"].as_str().unwrap_or_default().is_empty(),
        "{part}: {name} has no unit"
    );
    let value = f["value"].as_f64();
    assert!(
        value.is_some_and(|v| v.is_finite() && v >= 0.0),
        "{part}: {name} = {:?}",
        f["value"]
    );
    match &f["goal"] {
        Value::Null => assert!(f["met"].is_null(), "{part}: {name}: met without a goal"),
        goal => {
            assert!(
                goal["at_least"].is_f64() || goal["at_most"].is_f64(),
                "{goal}"
            );
            assert!(f["met"].is_boolean(), "{part}: {name}: goal without met");
        }
    }
}

#[test]
fn bench_runner_reports_every_part_in_its_tiny_mode() {
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--smoke", "--json", "all"])
        .output()
        .expect("run bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["scale"], "smoke");
    assert!(report["machine"]["cpus"].as_u64().is_some_and(|n| n >= 1));
    assert!(report["machine"]["cpu_model"].is_string());
    assert!(report["started"].as_str().is_some_and(|d| d.ends_with('Z')));
    assert!(
        report["load_start"]
            .as_array()
            .is_some_and(|l| l.len() == 3)
    );
    let sections = report["sections"].as_array().expect("sections");
    let parts: Vec<&str> = sections.iter().filter_map(|s| s["part"].as_str()).collect();
    assert_eq!(parts, PARTS.map(|p| p.0));
    for (s, (part, count)) in sections.iter().zip(PARTS) {
        if part == "cluster" && no_redis(&s["error"]) {
            continue;
        }
        assert!(s["error"].is_null(), "{part}: {}", s["error"]);
        assert!(s["load"].is_f64(), "{part}: no load");
        let figures = s["figures"].as_array().expect("figures");
        assert_eq!(figures.len(), count, "{part}: {figures:?}");
        figures.iter().for_each(|f| check_figure(part, f));
    }
}

/// The fleet part needs a real redis-server (CI installs one); without it the part says so.
fn no_redis(error: &Value) -> bool {
    error
        .as_str()
        .is_some_and(|e| e.contains("redis-server is not installed"))
}
