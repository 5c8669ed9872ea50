//! Every directive the table marks implemented changes behaviour or output.
//!
//! Each implemented row names what reads it (`DirectiveDef::reads`), in one of three forms,
//! and this test checks the reference against the workspace's sources:
//!
//! * `test:NAME` — a test (or the config helper, fn or const, of one) outside `config/`,
//!   in `pmtad/`, `pmtactl/` or `tests/`, whose body names the directive: it is set in the
//!   config of a test that runs pmtad's code on it (most rows: the e2e or component test of
//!   the behaviour). A spec acceptance test (`directive_NAME`, `global_NAME`) takes its
//!   config from the spec's example for the directive, so its name is enough.
//! * `field:NAME` — the field of the resolved model the directive sets: declared `pub NAME:`
//!   in `config/src/`, and read (`.NAME`) in `pmtad/src/` or `pmtactl/src/`.
//! * `config:NAME` — a directive that acts inside the config crate (macro expansion, a
//!   check at load, a pattern-list rule that `SelectList::select` evaluates for pmtad): a
//!   test in `config/` whose body names it. At most [`MAX_CONFIG_ONLY`] rows may say so,
//!   so it cannot become the way around the rule.
//!
//! A row with no reference, or whose test or field does not exist or does not do the above,
//! fails the test: fix it, point at what reads it, or mark the row `not_yet` (it then
//! loads with the "not implemented yet" warning).

use std::path::{Path, PathBuf};

use config::{DIRECTIVES, Status};

/// Rows that may be shown by a config test alone.
const MAX_CONFIG_ONLY: usize = 4;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    out
}

/// The body of `fn name` in `text` (up to the closing brace at the fn's indentation), or
/// the value of `const name` (up to its `;`).
fn fn_body<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    if let Some(at) = text.find(&format!("const {name}: ")) {
        let end = text[at..].find(";\n").map_or(text.len(), |i| at + i);
        return Some(&text[at..end]);
    }
    let at = [format!("fn {name}("), format!("fn {name}<")]
        .iter()
        .find_map(|pat| text.find(pat.as_str()))?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let close = format!("\n{indent}}}");
    let end = text[at..].find(&close).map_or(text.len(), |i| at + i);
    Some(&text[at..end])
}

/// True when `word` stands in `text` as a whole directive name (not inside a longer one).
fn names(text: &str, word: &str) -> bool {
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_part) && !after.is_some_and(|c| is_part(c) && c != '.')
    })
}

/// True when `.field` is read in `text` (not a longer identifier).
fn reads_field(text: &str, field: &str) -> bool {
    let pat = format!(".{field}");
    text.match_indices(&pat).any(|(i, _)| {
        let after = text[i + pat.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

struct Workspace {
    /// Sources outside `config/`: pmtad, pmtactl, tests.
    users: Vec<(PathBuf, String)>,
    /// `pmtad/src` and `pmtactl/src`.
    code: Vec<(PathBuf, String)>,
    config_src: Vec<(PathBuf, String)>,
    config_tests: Vec<(PathBuf, String)>,
}

impl Workspace {
    fn load() -> Workspace {
        let r = root();
        let mut users = sources(&r.join("pmtad"));
        users.extend(sources(&r.join("pmtactl")));
        users.extend(sources(&r.join("tests")));
        let mut code = sources(&r.join("pmtad/src"));
        code.extend(sources(&r.join("pmtactl/src")));
        let config_src = sources(&r.join("config/src"));
        let mut config_tests = sources(&r.join("config/tests"));
        config_tests.extend(config_src.iter().cloned());
        Workspace {
            users,
            code,
            config_src,
            config_tests,
        }
    }

    /// Why `reference` does not show that directive `name` is read (`None`: it does).
    fn check(&self, name: &str, reference: &str) -> Option<String> {
        let body_names = |files: &[(PathBuf, String)], f: &str| {
            files
                .iter()
                .filter_map(|(_, t)| fn_body(t, f))
                .any(|b| names(b, name))
        };
        let acceptance = |f: &str| {
            let own = name.replace(['-', '.'], "_");
            (f == format!("directive_{own}") || f == format!("global_{own}"))
                && (self.users.iter()).any(|(_, t)| fn_body(t, f).is_some())
        };
        match reference.split_once(':') {
            Some(("test", f)) if acceptance(f) || body_names(&self.users, f) => None,
            Some(("test", f)) => Some(format!("no fn {f} outside config/ that names {name}")),
            Some(("config", f)) if body_names(&self.config_tests, f) => None,
            Some(("config", f)) => Some(format!("no fn {f} in config/ that names {name}")),
            Some(("field", f)) => {
                let declared =
                    (self.config_src.iter()).any(|(_, t)| t.contains(&format!("pub {f}:")));
                let read = self.code.iter().any(|(_, t)| reads_field(t, f));
                match (declared, read) {
                    (true, true) => None,
                    (false, _) => Some(format!("no model field `pub {f}:` in config/src")),
                    (true, false) => Some(format!("`.{f}` is read nowhere in pmtad or pmtactl")),
                }
            }
            _ if reference.is_empty() => Some("names nothing that reads it".into()),
            _ => Some(format!("'{reference}' is not test:, field: or config:")),
        }
    }
}

#[test]
fn every_implemented_directive_names_what_reads_it() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    let mut checked = 0;
    for def in DIRECTIVES
        .iter()
        .filter(|d| d.status == Status::Implemented)
    {
        checked += 1;
        if let Some(why) = ws.check(def.name, def.reads) {
            problems.push(format!("{} ({}): {why}", def.name, def.reads));
        }
    }
    assert!(checked > 100, "only {checked} implemented rows");
    let config_only: Vec<&str> = (DIRECTIVES.iter())
        .filter(|d| d.status == Status::Implemented && d.reads.starts_with("config:"))
        .map(|d| d.name)
        .collect();
    assert!(
        config_only.len() <= MAX_CONFIG_ONLY,
        "too many rows shown by config tests alone: {config_only:?}"
    );
    assert!(
        problems.is_empty(),
        "{} implemented directive(s) without a reader:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn the_check_catches_a_row_nobody_reads() {
    let ws = Workspace::load();
    assert!(ws.check("log-data", "").is_some());
    assert!(ws.check("log-data", "test:no_such_test_anywhere").is_some());
    // A test that exists but never sets the directive does not count.
    assert!(
        ws.check(
            "log-data",
            "test:no_dialogue_is_logged_unless_asked_but_not_this"
        )
        .is_some()
    );
    assert!(ws.check("log-data", "field:no_such_field").is_some());
    assert!(
        ws.check(
            "log-data",
            "test:dialogue_is_logged_when_asked_with_data_capped"
        )
        .is_none()
    );
    assert!(
        ws.check("body-cache-size", "field:body_cache_size")
            .is_none()
    );
}
