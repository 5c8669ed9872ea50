//! pmtad has one lock-poisoning policy, stated in `pmtad/src/locks.rs`: every `std` lock is
//! taken through `locks::lock` / `read` / `write`, which recover a poisoned lock. A lock taken
//! with `.unwrap()` or `.expect(…)` would panic instead, a second policy.

use super::scan::{crate_files, workspace};

const OTHER_FORMS: &[&str] = &[
    ".lock().unwrap",
    ".lock().expect(",
    ".read().unwrap",
    ".read().expect(",
    ".write().unwrap",
    ".write().expect(",
];

#[test]
fn every_lock_is_taken_under_the_one_poisoning_policy() {
    let mut found = Vec::new();
    for f in crate_files(&workspace().join("pmtad")) {
        if f.module == ["locks"] {
            continue;
        }
        for (n, line) in f.code.lines().enumerate() {
            let squeezed: String = line.split_whitespace().collect();
            if OTHER_FORMS.iter().any(|form| squeezed.contains(form)) {
                found.push(format!("{}:{}: {}", f.shown, n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "locks taken outside crate::locks (use locks::lock/read/write):\n{}",
        found.join("\n")
    );
}
