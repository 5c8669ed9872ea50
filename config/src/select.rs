//! `<pattern-list NAME>`: virtual MTA selection at intake by regular expressions over the
//! envelope sender, the recipients or a header (PowerMTA's `mail-from /RE/ virtual-mta=X`,
//! `rcpt-to /RE/ …`, `header NAME /RE/ …`, `* …`), referenced by `<source> pattern-list`.
//! Rules are tried top to bottom and the first match wins; for `rcpt-to` the first
//! recipient that matches decides for the whole message.

use regex::Regex;
use serde::Serialize;

use crate::diag::Span;
use crate::values::{VResult, bad};

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SelectOn {
    MailFrom,
    RcptTo,
    /// A header field by name (its first occurrence, unfolded).
    Header(String),
    /// `*`: always matches.
    Any,
}

/// One rule: what to look at, the regex, the virtual MTA (or pool) it selects.
#[derive(Debug, Clone, Serialize)]
pub struct SelectRule {
    pub on: SelectOn,
    #[serde(skip)]
    pub regex: Option<Regex>,
    pub virtual_mta: String,
    pub span: Span,
}

/// `<pattern-list NAME>`.
#[derive(Debug, Clone, Serialize)]
pub struct SelectList {
    pub name: String,
    pub rules: Vec<SelectRule>,
}

/// The message facts a pattern list looks at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub mail_from: &'a str,
    pub rcpts: &'a [&'a str],
    /// `(name, value)` of the headers named by the list's `header` rules.
    pub headers: &'a [(&'a str, &'a str)],
}

impl SelectList {
    /// The virtual MTA the first matching rule selects.
    pub fn select(&self, facts: &Facts<'_>) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.matches(facts))
            .map(|r| r.virtual_mta.as_str())
    }

    /// Header names the list's rules read (the intake captures them).
    pub fn header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in &self.rules {
            if let SelectOn::Header(h) = &r.on
                && !names.iter().any(|n| n.eq_ignore_ascii_case(h))
            {
                names.push(h.clone());
            }
        }
        names
    }
}

impl SelectRule {
    fn matches(&self, facts: &Facts<'_>) -> bool {
        let re = |s: &str| self.regex.as_ref().is_some_and(|r| r.is_match(s));
        match &self.on {
            SelectOn::Any => true,
            SelectOn::MailFrom => re(facts.mail_from),
            SelectOn::RcptTo => facts.rcpts.iter().any(|r| re(r)),
            SelectOn::Header(name) => facts
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .is_some_and(|(_, v)| re(v)),
        }
    }
}

/// `/RE/` at the start of `s`: the regex (case-insensitive unless it says `(?-i)`) and the
/// rest of the line.
fn regex_prefix(s: &str) -> VResult<(Regex, &str)> {
    let Some(body) = s.strip_prefix('/') else {
        return bad(0, "expected /REGEX/");
    };
    let Some(end) = body.rfind('/') else {
        return bad(0, "the regex has no closing /");
    };
    let regex = regex::RegexBuilder::new(&body[..end])
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| crate::values::Bad {
            at: 1,
            msg: format!("bad regex: {}", e.to_string().lines().last().unwrap_or("")),
        })?;
    Ok((regex, &body[end + 1..]))
}

/// `virtual-mta=NAME[,recipient-priority=N]`: the virtual MTA named (priorities are not
/// acted on and are reported by the caller).
fn result(s: &str, at: usize) -> VResult<(String, bool)> {
    let mut vmta = None;
    let mut other = false;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((k, v)) if k.eq_ignore_ascii_case("virtual-mta") && !v.is_empty() => {
                vmta = Some(v.to_string())
            }
            Some((k, _)) if k.eq_ignore_ascii_case("recipient-priority") => other = true,
            _ => {
                return bad(
                    at,
                    format!("'{part}' is not a result pmtad supports (virtual-mta=NAME)"),
                );
            }
        }
    }
    match vmta {
        Some(v) => Ok((v, other)),
        None => bad(at, "a rule needs virtual-mta=NAME"),
    }
}

/// One rule line: the directive name (`mail-from`, `rcpt-to`, `header`, `*`) and its
/// value. The flag says the line also set something pmtad ignores (recipient-priority).
pub(crate) fn parse_rule(name: &str, value: &str, span: Span) -> VResult<(SelectRule, bool)> {
    let (on, rest, offset) = match name {
        "*" => (SelectOn::Any, value, 0),
        "mail-from" | "rcpt-to" => {
            let on = match name {
                "mail-from" => SelectOn::MailFrom,
                _ => SelectOn::RcptTo,
            };
            (on, value, 0)
        }
        _ => {
            let Some((header, rest)) = value.split_once(char::is_whitespace) else {
                return bad(0, "expected header NAME /REGEX/ virtual-mta=NAME");
            };
            let trimmed = rest.trim_start();
            (
                SelectOn::Header(header.to_string()),
                trimmed,
                value.len() - trimmed.len(),
            )
        }
    };
    let (regex, tail) = match on {
        SelectOn::Any => (None, rest),
        _ => {
            let (re, tail) = regex_prefix(rest).map_err(|b| crate::values::Bad {
                at: offset + b.at,
                ..b
            })?;
            (Some(re), tail)
        }
    };
    let at = value.len() - tail.trim_start().len();
    let (virtual_mta, ignored) = result(tail.trim(), at)?;
    let rule = SelectRule {
        on,
        regex,
        virtual_mta,
        span,
    };
    Ok((rule, ignored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, value: &str) -> SelectRule {
        let span = Span::new(&std::sync::Arc::from("t.conf"), 1, 1);
        parse_rule(name, value, span).unwrap().0
    }

    #[test]
    fn first_matching_rule_selects() {
        let list = SelectList {
            name: "l".into(),
            rules: vec![
                rule("header", "X-Campaign /^promo/ virtual-mta=bulk"),
                rule("mail-from", "/@news\\.example$/ virtual-mta=news"),
                rule("rcpt-to", "/@gmail\\.com$/ virtual-mta=gmail"),
                rule("*", "virtual-mta=rest"),
            ],
        };
        let f = |from, rcpts: &'static [&'static str], headers| Facts {
            mail_from: from,
            rcpts,
            headers,
        };
        assert_eq!(
            list.select(&f("a@news.example", &["x@gmail.com"], &[])),
            Some("news")
        );
        assert_eq!(
            list.select(&f("a@b", &["y@x", "x@GMAIL.com"], &[])),
            Some("gmail")
        );
        let h = [("x-campaign", "Promo-7")];
        assert_eq!(list.select(&f("a@news.example", &[], &h)), Some("bulk"));
        assert_eq!(list.select(&f("a@b", &["y@x"], &[])), Some("rest"));
        assert_eq!(list.header_names(), ["X-Campaign"]);
    }

    #[test]
    fn bad_rules_say_why() {
        let span = || Span::new(&std::sync::Arc::from("t.conf"), 1, 1);
        let err = |n, v| parse_rule(n, v, span()).unwrap_err().msg;
        assert!(err("mail-from", "nope virtual-mta=x").contains("expected /REGEX/"));
        assert!(err("mail-from", "/(/ virtual-mta=x").contains("bad regex"));
        assert!(err("rcpt-to", "/a/").contains("needs virtual-mta"));
        assert!(err("rcpt-to", "/a/ call-to:other").contains("not a result"));
        let (_, ignored) = parse_rule("*", "virtual-mta=a,recipient-priority=5", span()).unwrap();
        assert!(ignored);
    }
}
