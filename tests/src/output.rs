//! Reading a finished command (pmtactl, pmtad) in tests: its streams, exit code and JSON.

use std::process::Output;

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit status, showing both streams when it is wrong.
pub fn expect_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Parses stdout as JSON.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// The row of a JSON listing whose `key` field equals `name`.
pub fn find<'a>(rows: &'a serde_json::Value, key: &str, name: &str) -> &'a serde_json::Value {
    rows.as_array()
        .and_then(|a| a.iter().find(|r| r[key] == name))
        .unwrap_or_else(|| panic!("no row with {key} = {name} in {rows:#}"))
}
