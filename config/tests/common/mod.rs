//! Helpers shared by the config tests (included with `mod common;`).
#![allow(dead_code)]

use config::{Diagnostic, Diagnostics, EffectiveSetting, Loaded, Origin, Severity};
use std::path::PathBuf;

pub fn load(text: &str) -> Loaded {
    config::load_str(text, "t.conf").unwrap_or_else(|d| panic!("unexpected errors:\n{d}"))
}

pub fn errors(text: &str) -> Diagnostics {
    match config::load_str(text, "t.conf") {
        Ok(_) => panic!("expected errors in:\n{text}"),
        Err(d) => d,
    }
}

pub fn only_errors(d: &Diagnostics) -> Vec<&Diagnostic> {
    d.0.iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// Asserts exactly one error, at `line:col`, whose message contains `part`.
pub fn assert_one_error(text: &str, line: u32, col: u32, part: &str) {
    let d = errors(text);
    let errs = only_errors(&d);
    assert_eq!(errs.len(), 1, "expected one error for:\n{text}\ngot:\n{d}");
    let e = errs[0];
    assert_eq!(
        (e.span.line, e.span.col),
        (line, col),
        "position of: {e}\nin:\n{text}"
    );
    assert!(e.message.contains(part), "message {e} lacks '{part}'");
}

pub fn setting<'a>(s: &'a [EffectiveSetting], name: &str) -> &'a EffectiveSetting {
    s.iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no setting {name}"))
}

pub fn line(s: &EffectiveSetting) -> Option<u32> {
    match &s.origin {
        Origin::File { line, .. } => Some(*line),
        Origin::Default => None,
    }
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
