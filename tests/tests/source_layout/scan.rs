//! A small reader of Rust source for the layout checks: which files make up a crate's module
//! tree, each file's module path, its code with comments and literals blanked, and the
//! paths it names. Not a parser: it knows just enough of the syntax (comments, string and
//! char literals, `use` trees, `#[cfg(test)]` items) for this crate's sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace root (this package is one of its members).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits in the workspace")
        .to_path_buf()
}

/// One file of a crate's module tree.
#[derive(Debug)]
pub struct SourceFile {
    /// Path under the package, for messages (`src/daemon/fleet.rs`).
    pub shown: String,
    /// Module path from the crate root: `["daemon", "fleet"]`; `[]` for `lib.rs`.
    pub module: Vec<String>,
    /// The code with comments, string and char literals blanked (lines kept) and the
    /// `#[cfg(test)]` items removed.
    pub code: String,
    /// Child modules this file declares under `#[cfg(test)]` (`mod tests;`).
    pub test_children: Vec<String>,
}

/// The files of the library (or, without one, the binary) crate of package `dir`: every
/// `.rs` under `src/` but `src/bin/` and, next to a `lib.rs`, `main.rs` (each of those is
/// a crate of its own), and but the test-only modules (declared under `#[cfg(test)]`).
pub fn crate_files(dir: &Path) -> Vec<SourceFile> {
    let src = dir.join("src");
    let has_lib = src.join("lib.rs").exists();
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    paths.retain(|p| !p.starts_with(src.join("bin")));
    paths.retain(|p| !(has_lib && *p == src.join("main.rs")));
    paths.sort();
    let mut files: Vec<SourceFile> = paths.iter().map(|p| read(dir, &src, p)).collect();
    let test_only: BTreeSet<Vec<String>> = files
        .iter()
        .flat_map(|f| f.test_children.iter().map(|c| child(&f.module, c)))
        .collect();
    files.retain(|f| !test_only.iter().any(|t| f.module.starts_with(t)));
    files
}

fn child(module: &[String], name: &str) -> Vec<String> {
    let mut m = module.to_vec();
    m.push(name.to_string());
    m
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn read(package: &Path, src: &Path, path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (code, test_children) = drop_test_items(&blank(&text));
    SourceFile {
        shown: path
            .strip_prefix(package)
            .unwrap_or(path)
            .display()
            .to_string(),
        module: module_path(path.strip_prefix(src).expect("under src")),
        code,
        test_children,
    }
}

/// `daemon/fleet.rs` -> `daemon::fleet`; `daemon/mod.rs` -> `daemon`; `lib.rs` -> root.
pub fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.as_slice(), [one] if one == "lib" || one == "main") {
        parts.clear();
    }
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// `text` with comments and the insides of string and char literals replaced by spaces
/// (newlines kept, so byte offsets and line numbers stay those of the file).
pub fn blank(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        let end = match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => block_end(b, i),
            b'r' if raw_start(b, i) => raw_end(b, i),
            b'"' => string_end(b, i),
            b'\'' => char_end(b, i),
            _ => i + 1,
        };
        if end > i + 1 {
            for c in &mut out[i..end] {
                if *c != b'\n' {
                    *c = b' ';
                }
            }
        }
        i = end;
    }
    String::from_utf8(out).expect("only ASCII bytes were changed, and whole characters")
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn block_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `r"` or `r#"` (also after `b`), not the end of an identifier such as `for"`.
fn raw_start(b: &[u8], i: usize) -> bool {
    let before = i.checked_sub(1).map(|j| b[j]);
    let fresh = match before {
        Some(b'b') => i < 2 || !is_ident(b[i - 2]),
        Some(c) => !is_ident(c),
        None => true,
    };
    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
    fresh && b.get(i + 1 + hashes) == Some(&b'"')
}

fn raw_end(b: &[u8], i: usize) -> usize {
    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    let body = i + 2 + hashes;
    b[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map_or(b.len(), |p| body + p + close.len())
}

fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A char literal (`'a'`, `'\n'`, `'é'`) ends at its closing quote; a lifetime or label
/// (`'a`, `'static`) is code and left alone.
fn char_end(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        return b[i + 3..]
            .iter()
            .position(|&c| c == b'\'')
            .map_or(i + 1, |p| i + 3 + p + 1);
    }
    let width = match b.get(i + 1) {
        Some(&c) if c < 0x80 => 1,
        Some(&c) if c >= 0xF0 => 4,
        Some(&c) if c >= 0xE0 => 3,
        Some(_) => 2,
        None => return i + 1,
    };
    match b.get(i + 1 + width) {
        Some(b'\'') => i + 2 + width,
        _ => i + 1,
    }
}

/// Removes every `#[cfg(test)]` item from blanked `code` (newlines kept); returns the code
/// and the names of the child modules declared so (`#[cfg(test)] mod tests;`).
pub fn drop_test_items(code: &str) -> (String, Vec<String>) {
    const ATTR: &str = "#[cfg(test)]";
    let mut out = code.as_bytes().to_vec();
    let mut children = Vec::new();
    let mut from = 0;
    while let Some(p) = code[from..].find(ATTR) {
        let start = from + p;
        let end = item_end(code.as_bytes(), start + ATTR.len());
        let item = code[start + ATTR.len()..end].trim();
        if let Some(name) = declared_module(item) {
            children.push(name);
        }
        for c in &mut out[start..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        from = end;
    }
    (String::from_utf8(out).expect("ASCII blanks"), children)
}

/// The end of the item that starts at `i`: after its first `;` outside brackets, or after
/// the brace that closes its first `{`.
fn item_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'{' | b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// `mod tests;` / `pub(crate) mod x;` -> the module's name (inline modules are not files).
fn declared_module(item: &str) -> Option<String> {
    let words: Vec<&str> = item.trim_end_matches(';').split_whitespace().collect();
    let pos = words.iter().position(|w| *w == "mod")?;
    let name = words.get(pos + 1)?;
    (item.ends_with(';') && words.len() == pos + 2).then(|| name.to_string())
}

/// A path the code names, as written: `super::policies::Policies`, with its line.
#[derive(Debug, Clone)]
pub struct Named {
    pub segments: Vec<String>,
    pub line: usize,
    /// Declared by a `pub use` (a re-export): the name it is known by in this module.
    pub reexport: Option<String>,
}

/// Every path of `code` that starts with `crate`, `super` or `self`, or that a `use`
/// declaration names (flattened: `use a::{b, c::d as e}` gives `a::b` and `a::c::d`).
pub fn named_paths(code: &str) -> Vec<Named> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let (tok, line) = &toks[i];
        if tok == "use" && !after_path_sep(&toks, i) {
            let public = is_pub(&toks, i);
            let end = (i..toks.len())
                .find(|&j| toks[j].0 == ";")
                .unwrap_or(toks.len());
            let mut leaves = Vec::new();
            use_tree(&toks[i + 1..end], &mut Vec::new(), &mut leaves);
            for (segments, name) in leaves {
                let reexport = public.then_some(name);
                out.push(Named {
                    segments,
                    line: *line,
                    reexport,
                });
            }
            i = end;
            continue;
        }
        let anchored = matches!(tok.as_str(), "crate" | "super" | "self");
        if anchored && !after_path_sep(&toks, i) && toks.get(i + 1).is_some_and(|t| t.0 == "::") {
            let mut segments = vec![tok.clone()];
            let mut j = i + 1;
            while toks.get(j).is_some_and(|t| t.0 == "::")
                && toks.get(j + 1).is_some_and(|t| is_word(&t.0))
            {
                segments.push(toks[j + 1].0.clone());
                j += 2;
            }
            out.push(Named {
                segments,
                line: *line,
                reexport: None,
            });
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_word(t: &str) -> bool {
    t.bytes().all(is_ident) && !t.is_empty()
}

fn after_path_sep(toks: &[(String, usize)], i: usize) -> bool {
    i > 0 && (toks[i - 1].0 == "::" || toks[i - 1].0 == "$")
}

/// `pub use`, `pub(crate) use`, `pub(super) use`.
fn is_pub(toks: &[(String, usize)], i: usize) -> bool {
    match i.checked_sub(1).map(|j| toks[j].0.as_str()) {
        Some("pub") => true,
        Some(")") => (i >= 4) && toks[i - 4].0 == "pub",
        _ => false,
    }
}

/// Flattens one use tree into (path, name it is known by).
fn use_tree(
    toks: &[(String, usize)],
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, String)>,
) {
    let depth0 = prefix.len();
    let mut i = 0;
    while i < toks.len() {
        match toks[i].0.as_str() {
            "::" => i += 1,
            "*" => return,
            "{" => {
                let close = matching(toks, i);
                for part in split_top(&toks[i + 1..close]) {
                    use_tree(part, prefix, out);
                }
                prefix.truncate(depth0);
                return;
            }
            "as" => {
                let alias = toks.get(i + 1).map(|t| t.0.clone()).unwrap_or_default();
                out.push((prefix.clone(), alias));
                prefix.truncate(depth0);
                return;
            }
            word => {
                if word != "self" {
                    prefix.push(word.to_string());
                }
                i += 1;
            }
        }
    }
    if let Some(last) = prefix.last().cloned() {
        out.push((prefix.clone(), last));
    }
    prefix.truncate(depth0);
}

fn matching(toks: &[(String, usize)], open: usize) -> usize {
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.0.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

fn split_top(toks: &[(String, usize)]) -> Vec<&[(String, usize)]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (j, t) in toks.iter().enumerate() {
        match t.0.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(&toks[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    parts.push(&toks[start..]);
    parts.retain(|p| !p.is_empty());
    parts
}

/// Words, `::` and single punctuation characters, each with its line (1-based).
fn tokens(code: &str) -> Vec<(String, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if is_ident(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            out.push((code[start..i].to_string(), line));
        } else if b[i..].starts_with(b"::") {
            out.push(("::".to_string(), line));
            i += 2;
        } else {
            let w = code[i..].chars().next().map_or(1, char::len_utf8);
            out.push((code[i..i + w].to_string(), line));
            i += w;
        }
    }
    out
}
