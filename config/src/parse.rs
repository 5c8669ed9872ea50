//! Stage one: text to a raw tree of blocks and directives, every node with its span.
//!
//! The parser knows the syntax only (lines, comments, quotes, `<block>` tags, `include`);
//! what a directive means and where it may stand is the resolver's business. Included
//! files are parsed here and spliced in place, so the resolver sees one tree.

use crate::diag::{Diagnostics, Span};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Include nesting deeper than this is taken for a cycle.
const MAX_INCLUDE_DEPTH: usize = 16;

/// The text after a directive name (or inside a block tag), comment removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    /// Unquoted when the whole value was one double-quoted string; else as written, trimmed.
    pub text: String,
    /// Where the value starts.
    pub span: Span,
    /// True when written in double quotes (`""` is an explicit empty value: "clear").
    pub quoted: bool,
}

impl RawValue {
    /// The span of the part of the value that starts `byte` bytes into `text`.
    /// Exact for unquoted values; a quoted value points at its opening quote.
    pub fn span_at(&self, byte: usize) -> Span {
        if self.quoted || byte > self.text.len() || !self.text.is_char_boundary(byte) {
            return self.span.clone();
        }
        let chars = self.text[..byte].chars().count() as u32;
        self.span.at_col(self.span.col + chars)
    }

    /// True for `""`: the operator clears an inherited value.
    pub fn is_clear(&self) -> bool {
        self.quoted && self.text.is_empty()
    }
}

/// `name value` on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased (directive names are case-insensitive).
    pub name: String,
    /// Where the name starts.
    pub span: Span,
    pub value: RawValue,
}

/// `<kind arg>` … `</kind>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Lower-cased tag name.
    pub kind: String,
    /// Where the `<` is.
    pub span: Span,
    pub arg: RawValue,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Directive(Directive),
    Block(Block),
}

/// Parses `text` (named `name` in diagnostics); `include` paths are relative to `base_dir`.
pub fn parse_text(text: &str, name: &str, base_dir: &Path, diags: &mut Diagnostics) -> Vec<Item> {
    let file: Arc<str> = Arc::from(name);
    let mut parser = Parser { diags, depth: 0 };
    parser.parse_file(text, &file, base_dir)
}

struct Parser<'d> {
    diags: &'d mut Diagnostics,
    depth: usize,
}

/// An open block while its file is being read.
struct Open {
    block: Block,
}

impl Parser<'_> {
    fn parse_file(&mut self, text: &str, file: &Arc<str>, base_dir: &Path) -> Vec<Item> {
        let mut stack: Vec<Open> = Vec::new();
        let mut top: Vec<Item> = Vec::new();
        for (idx, line) in text.lines().enumerate() {
            let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
            self.parse_line(
                line,
                &Span::new(file, lineno, 1),
                base_dir,
                &mut stack,
                &mut top,
            );
        }
        while let Some(open) = stack.pop() {
            let span = open.block.span.clone();
            let kind = open.block.kind.clone();
            self.diags.error(
                span,
                format!("missing </{kind}>: the <{kind}> opened here is never closed"),
            );
            push_item(&mut stack, &mut top, Item::Block(open.block));
        }
        top
    }

    fn parse_line(
        &mut self,
        line: &str,
        at: &Span,
        base_dir: &Path,
        stack: &mut Vec<Open>,
        top: &mut Vec<Item>,
    ) {
        let code = strip_comment(line);
        let start = code.len() - code.trim_start().len();
        let body = code.trim();
        if body.is_empty() {
            return;
        }
        let span = at.at_col(col_of(line, start));
        if let Some(rest) = body.strip_prefix("</") {
            self.close_block(rest, &span, stack, top);
        } else if body.starts_with('<') {
            if let Some(block) = self.open_block(body, line, start, &span) {
                stack.push(Open { block });
            }
        } else {
            let directive = split_directive(body, line, start, &span);
            if directive.name == "include" {
                for item in self.include(&directive, base_dir) {
                    push_item(stack, top, item);
                }
            } else {
                push_item(stack, top, Item::Directive(directive));
            }
        }
    }

    fn open_block(&mut self, body: &str, line: &str, start: usize, span: &Span) -> Option<Block> {
        let Some(inner) = body.strip_suffix('>') else {
            self.diags
                .error(span.clone(), "block tag is missing its closing '>'");
            return None;
        };
        let inner = &inner[1..];
        let name_len = inner.find(char::is_whitespace).unwrap_or(inner.len());
        let kind = inner[..name_len].to_ascii_lowercase();
        if kind.is_empty() {
            self.diags.error(span.clone(), "empty block tag '<>'");
            return None;
        }
        let arg_text = &inner[name_len..];
        let arg_off = start + 1 + name_len + (arg_text.len() - arg_text.trim_start().len());
        let arg = make_value(arg_text.trim(), span.at_col(col_of(line, arg_off)));
        Some(Block {
            kind,
            span: span.clone(),
            arg,
            items: Vec::new(),
        })
    }

    fn close_block(&mut self, rest: &str, span: &Span, stack: &mut Vec<Open>, top: &mut Vec<Item>) {
        let name = rest.trim_end_matches('>').trim().to_ascii_lowercase();
        if !rest.ends_with('>') {
            self.diags
                .error(span.clone(), "closing tag is missing its '>'");
        }
        match stack.last() {
            Some(open) if open.block.kind == name => {
                let open = stack.pop().expect("checked above");
                push_item(stack, top, Item::Block(open.block));
            }
            Some(open) => {
                let msg = format!(
                    "</{name}> does not close the open <{}> (opened at line {})",
                    open.block.kind, open.block.span.line
                );
                self.diags.error(span.clone(), msg);
            }
            None => {
                self.diags.error(
                    span.clone(),
                    format!("</{name}> without a matching <{name}>"),
                );
            }
        }
    }

    /// Parses every file the include pattern names, in sorted order.
    fn include(&mut self, directive: &Directive, base_dir: &Path) -> Vec<Item> {
        let pattern = directive.value.text.as_str();
        if pattern.is_empty() {
            self.diags.error(
                directive.value.span.clone(),
                "include needs a file name or pattern",
            );
            return Vec::new();
        }
        if self.depth >= MAX_INCLUDE_DEPTH {
            let msg = format!("include nested more than {MAX_INCLUDE_DEPTH} deep (a cycle?)");
            self.diags.error(directive.value.span.clone(), msg);
            return Vec::new();
        }
        let full = resolve_path(base_dir, pattern);
        let paths = match self.expand(&full, &directive.value) {
            Some(paths) => paths,
            None => return Vec::new(),
        };
        let mut items = Vec::new();
        for path in paths {
            items.extend(self.include_file(&path, &directive.value));
        }
        items
    }

    fn expand(&mut self, full: &Path, value: &RawValue) -> Option<Vec<PathBuf>> {
        let text = full.to_string_lossy();
        let is_glob = text.contains(['*', '?', '[']);
        if !is_glob {
            return Some(vec![full.to_path_buf()]);
        }
        match glob::glob(&text) {
            Ok(paths) => {
                let mut found: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                found.sort();
                if found.is_empty() {
                    let msg = format!("include pattern '{text}' matches no file");
                    self.diags.warning(value.span.clone(), msg);
                }
                Some(found)
            }
            Err(e) => {
                let msg = format!("bad include pattern '{text}': {e}");
                self.diags.error(value.span.clone(), msg);
                None
            }
        }
    }

    fn include_file(&mut self, path: &Path, value: &RawValue) -> Vec<Item> {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                let msg = format!("cannot read included file '{}': {e}", path.display());
                self.diags.error(value.span.clone(), msg);
                return Vec::new();
            }
        };
        let file: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        self.depth += 1;
        let items = self.parse_file(&text, &file, &dir);
        self.depth -= 1;
        items
    }
}

fn push_item(stack: &mut [Open], top: &mut Vec<Item>, item: Item) {
    match stack.last_mut() {
        Some(open) => open.block.items.push(item),
        None => top.push(item),
    }
}

/// A relative path is taken relative to the directory of the file that names it.
pub fn resolve_path(base_dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_dir.join(p)
    }
}

/// Cuts the line at the first `#` that is not inside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '#' if !in_quotes => return &line[..i],
            _ => {}
        }
    }
    line
}

/// 1-based character column of byte offset `byte` in `line`.
fn col_of(line: &str, byte: usize) -> u32 {
    let byte = byte.min(line.len());
    let prefix = line.get(..byte).unwrap_or(line);
    u32::try_from(prefix.chars().count() + 1).unwrap_or(u32::MAX)
}

/// `name value…`: the first word is the name, the rest (trimmed) the value.
fn split_directive(body: &str, line: &str, start: usize, span: &Span) -> Directive {
    let name_len = regex_line_len(body)
        .unwrap_or_else(|| body.find(char::is_whitespace).unwrap_or(body.len()));
    let rest = &body[name_len..];
    let value_off = start + name_len + (rest.len() - rest.trim_start().len());
    let value_span = span.at_col(col_of(line, value_off));
    let name = &body[..name_len];
    Directive {
        // A `/REGEX/` line keeps its case: `\S` and `\s` differ.
        name: if name.starts_with('/') {
            name.to_string()
        } else {
            name.to_ascii_lowercase()
        },
        span: span.clone(),
        value: make_value(rest.trim(), value_span),
    }
}

/// A line of a pattern block (`<bounce-category-patterns>`) starts with `/REGEX/`, which
/// may hold spaces: its "name" runs to the last `/` (the value after it is one word).
fn regex_line_len(body: &str) -> Option<usize> {
    let end = body
        .rfind('/')
        .filter(|&e| body.starts_with('/') && e > 0)?;
    Some(end + 1)
}

/// A value that is one double-quoted string is unquoted (backslash escapes the next char).
fn make_value(text: &str, span: Span) -> RawValue {
    match unquote(text) {
        Some(inner) => RawValue {
            text: inner,
            span,
            quoted: true,
        },
        None => RawValue {
            text: text.to_string(),
            span,
            quoted: false,
        },
    }
}

fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().is_empty().then_some(out),
            _ => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Item>, Diagnostics) {
        let mut d = Diagnostics::default();
        let items = parse_text(text, "t.conf", Path::new("."), &mut d);
        (items, d)
    }

    fn directive(item: &Item) -> &Directive {
        match item {
            Item::Directive(d) => d,
            Item::Block(b) => panic!("expected a directive, got block {}", b.kind),
        }
    }

    #[test]
    fn comments_quotes_and_columns() {
        let (items, d) = parse("  Max-SMTP-Out 2   # total\ncommand \"a \\\"b\\\" # c\"\nx \"\"\n");
        assert!(d.0.is_empty(), "{d}");
        let first = directive(&items[0]);
        assert_eq!(first.name, "max-smtp-out");
        assert_eq!((first.span.line, first.span.col), (1, 3));
        assert_eq!(first.value.text, "2");
        assert_eq!(first.value.span.col, 16);
        let second = directive(&items[1]);
        assert_eq!(second.value.text, "a \"b\" # c");
        assert!(second.value.quoted);
        assert!(directive(&items[2]).value.is_clear());
    }

    #[test]
    fn nested_blocks_and_errors() {
        let (items, d) = parse(
            "<virtual-mta v>\n<domain a.com>\nx 1\n</domain>\n</virtual-mta>\n</domain>\n<source 0/0>\n",
        );
        assert_eq!(items.len(), 2);
        let Item::Block(vmta) = &items[0] else {
            panic!()
        };
        assert_eq!(vmta.arg.text, "v");
        let Item::Block(dom) = &vmta.items[0] else {
            panic!()
        };
        assert_eq!(dom.arg.text, "a.com");
        let msgs: Vec<String> = d.0.iter().map(ToString::to_string).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].starts_with("t.conf:6:1: error: </domain> without"));
        assert!(msgs[1].starts_with("t.conf:7:1: error: missing </source>"));
    }

    #[test]
    fn include_missing_file_is_an_error_at_the_value() {
        let (_, d) = parse("include /nonexistent/dir/x.conf\n");
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].span.col, 9);
    }
}
