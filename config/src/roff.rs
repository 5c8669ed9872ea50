//! Plain help text to roff, shared by the man page generators of pmtad(8) and pmtactl(8).
//!
//! The reference sections of `--help` (exit status, signals, files, JSON schema, examples)
//! are written once, as plain text for the terminal, and turned into man page sections
//! here, so the two cannot drift. The text follows three rules:
//!
//! * a line starting in column 0 is a section heading (`EXIT STATUS`);
//! * a body line indented by exactly two spaces with no run of two spaces inside is prose:
//!   consecutive prose lines are filled into one paragraph;
//! * any other body line (deeper indentation, or aligned columns) is kept verbatim, minus the
//!   two-space body indentation, so tables, JSON schemas and shell commands keep their shape.
//!
//! A blank line separates paragraphs.

/// Renders help text (see the module rules) as roff `.SH` sections.
pub fn help_sections(text: &str) -> String {
    let mut out = String::new();
    let mut kind = Kind::Gap;
    for line in text.lines() {
        let next = classify(line);
        match (kind, next) {
            (Kind::Verbatim, Kind::Verbatim) | (Kind::Prose, Kind::Prose) => {}
            _ => out.push_str(closing(kind)),
        }
        match next {
            Kind::Heading => out.push_str(&format!(".SH \"{}\"\n", escape(line.trim()))),
            Kind::Gap => {}
            Kind::Prose if kind == Kind::Prose => {}
            Kind::Prose => out.push_str(if kind == Kind::Gap { ".PP\n" } else { ".br\n" }),
            Kind::Verbatim if kind == Kind::Verbatim => {}
            Kind::Verbatim => out.push_str(if kind == Kind::Gap {
                ".PP\n.nf\n"
            } else {
                ".nf\n"
            }),
        }
        match next {
            Kind::Prose => push_line(&mut out, line.trim()),
            Kind::Verbatim => push_line(&mut out, line.strip_prefix("  ").unwrap_or(line)),
            Kind::Heading | Kind::Gap => {}
        }
        kind = if next == Kind::Heading {
            Kind::Gap
        } else {
            next
        };
    }
    out.push_str(closing(kind));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    Gap,
    Prose,
    Verbatim,
}

fn classify(line: &str) -> Kind {
    if line.trim().is_empty() {
        Kind::Gap
    } else if !line.starts_with(' ') {
        Kind::Heading
    } else if line.starts_with("   ") || line.trim().contains("  ") {
        Kind::Verbatim
    } else {
        Kind::Prose
    }
}

fn closing(kind: Kind) -> &'static str {
    match kind {
        Kind::Verbatim => ".fi\n",
        _ => "",
    }
}

fn push_line(out: &mut String, line: &str) {
    let esc = escape(line);
    if esc.starts_with('.') || esc.starts_with('\'') {
        out.push_str("\\&");
    }
    out.push_str(&esc);
    out.push('\n');
}

/// Escapes text for roff so that it prints, and copies from the terminal, as written:
/// backslash, hyphen-minus (else a hyphen), and the ASCII quotes and accents that groff
/// would otherwise turn into typographic ones (shell commands must paste intact).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            '\'' => out.push_str("\\(aq"),
            '`' => out.push_str("\\(ga"),
            '^' => out.push_str("\\(ha"),
            '~' => out.push_str("\\(ti"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_prose_and_verbatim_blocks() {
        let text = "EXIT STATUS\n  0  success\n  1  failure,\n     continued\n\n\
                    EXAMPLES\n  Paused queues:\n    pmtactl show queues --json | jq '.x'\n  \
                    Then more prose\n  on two lines.\n";
        let roff = help_sections(text);
        let expected = ".SH \"EXIT STATUS\"\n.PP\n.nf\n0  success\n1  failure,\n   continued\n\
                        .fi\n.SH \"EXAMPLES\"\n.PP\nPaused queues:\n.nf\n  pmtactl show queues \
                        \\-\\-json | jq \\(aq.x\\(aq\n.fi\n.br\nThen more prose\non two lines.\n";
        assert_eq!(roff, expected);
    }

    #[test]
    fn a_line_starting_with_a_dot_is_not_a_request() {
        let roff = help_sections("X\n  .queues[] is the list\n");
        assert!(roff.contains("\\&.queues[]"), "{roff}");
    }
}
