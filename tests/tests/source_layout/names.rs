//! Module names are unique inside each crate of the workspace.
//!
//! A module's name is its file's (`fleet` for `daemon/fleet.rs`) or, for a folder, the
//! folder's (`backend` for `daemon/backend/mod.rs`). Two modules called `intake` or
//! `convert` in one crate make a reader open both to learn which one a path means; a name
//! that says what the file holds (`smtp_intake`, `to_proto`) needs no such look. Each crate
//! is checked on its own: a package's library and each of its binaries (`main.rs`,
//! `src/bin/*.rs`) are separate crates, and test-only modules (`#[cfg(test)] mod tests;`)
//! are not counted.

use std::collections::BTreeMap;

use super::scan::{crate_files, workspace};

const PACKAGES: &[&str] = &["config", "proto", "pmtad", "pmtactl", "tests"];

#[test]
fn module_names_are_unique_in_each_crate() {
    let mut report = Vec::new();
    for package in PACKAGES {
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let files = crate_files(&workspace().join(package));
        for f in &files {
            if let Some(name) = f.module.last() {
                by_name.entry(name).or_default().push(&f.shown);
            }
        }
        for (name, files) in by_name.iter().filter(|(_, f)| f.len() > 1) {
            report.push(format!("{package}: `{name}` is {}", files.join(" and ")));
        }
    }
    assert!(
        report.is_empty(),
        "module names repeat inside a crate; rename so each says what it holds:\n{}",
        report.join("\n")
    );
}
