//! Diagnostics: every problem found while loading, with the place it was found.
//!
//! Loading never stops at the first error: the parser and the resolver push into a
//! [`Diagnostics`] collector so an operator fixes a config in one pass, not ten.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// A position in a config file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// The file as it was named (the main path, or an included path).
    #[serde(serialize_with = "ser_file")]
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

fn ser_file<S: serde::Serializer>(file: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(file)
}

impl Span {
    pub fn new(file: &Arc<str>, line: u32, col: u32) -> Self {
        Span {
            file: Arc::clone(file),
            line,
            col,
        }
    }

    /// The same line, another column (for a part of a value).
    pub fn at_col(&self, col: u32) -> Self {
        Span {
            file: Arc::clone(&self.file),
            line: self.line,
            col,
        }
    }

    /// `file:line`, the form used for the origin of a setting.
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// How bad a diagnostic is: errors make the config invalid, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, printed as `file:line:col: error: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {}: {}", self.span, level, self.message)
    }
}

/// Everything found while loading a config that failed: all errors and the warnings
/// gathered alongside them, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Severity::Error, span, message.into());
    }

    pub fn warning(&mut self, span: Span, message: impl Into<String>) {
        self.push(Severity::Warning, span, message.into());
    }

    fn push(&mut self, severity: Severity, span: Span, message: String) {
        self.0.push(Diagnostic {
            severity,
            span,
            message,
        });
    }

    /// The errors only (a valid config may still carry warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Sorted by file, line and column so output reads top to bottom.
    pub(crate) fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (a.span.file.as_ref(), a.span.line, a.span.col).cmp(&(
                b.span.file.as_ref(),
                b.span.line,
                b.span.col,
            ))
        });
        self
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
