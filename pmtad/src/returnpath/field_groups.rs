//! `Name: value` field groups, as in a message header, an RFC 3464 `message/delivery-status`
//! body (one per-message group, then one group per recipient, separated by blank lines)
//! and an RFC 5965 `message/feedback-report` body.
//!
//! Hand-written because these bodies are not messages: mail-parser parses the MIME
//! structure around them, this reads the fields inside. Bounded: at most [`MAX_FIELDS`]
//! fields per group and [`MAX_GROUPS`] groups, so a hostile report costs little.

/// Fields kept per group (a real header has far fewer).
pub const MAX_FIELDS: usize = 200;
/// Groups kept per body (a DSN has one per recipient).
pub const MAX_GROUPS: usize = 1000;
/// Longest value kept (RFC 5322 line limit), cut at a character boundary.
const MAX_VALUE: usize = 998;

/// One group: field names as written, values unfolded and trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group(pub Vec<(String, String)>);

impl Group {
    /// The first value of field `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of field `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The groups of `text`, split at blank lines; lines that are not fields are skipped.
pub fn groups(text: &str) -> Vec<Group> {
    let mut out = vec![Group::default()];
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if out.last().is_some_and(|g| !g.0.is_empty()) {
                if out.len() == MAX_GROUPS {
                    break;
                }
                out.push(Group::default());
            }
            continue;
        }
        push_line(out.last_mut().expect("one group"), line);
    }
    out.retain(|g| !g.0.is_empty());
    out
}

/// The first group of `text` only: a message's header.
pub fn header(text: &str) -> Group {
    let end = text
        .find("\r\n\r\n")
        .or_else(|| text.find("\n\n"))
        .unwrap_or(text.len());
    groups(&text[..end]).into_iter().next().unwrap_or_default()
}

fn push_line(group: &mut Group, line: &str) {
    if line.starts_with([' ', '\t']) {
        if let Some((_, v)) = group.0.last_mut()
            && v.len() < MAX_VALUE
        {
            v.push(' ');
            v.push_str(line.trim());
            truncate(v);
        }
        return;
    }
    let Some((name, value)) = line.split_once(':') else {
        return;
    };
    let name = name.trim();
    let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic());
    if valid && group.0.len() < MAX_FIELDS {
        let mut v = value.trim().to_string();
        truncate(&mut v);
        group.0.push((name.to_string(), v));
    }
}

fn truncate(v: &mut String) {
    if v.len() > MAX_VALUE {
        let mut at = MAX_VALUE;
        while !v.is_char_boundary(at) {
            at -= 1;
        }
        v.truncate(at);
    }
}

/// `rfc822;user@example.com` → `user@example.com` (the address type is dropped, angle
/// brackets too).
pub fn address_of(value: &str) -> &str {
    let v = value.split_once(';').map_or(value, |(_, a)| a).trim();
    v.trim_start_matches('<').trim_end_matches('>').trim()
}

/// `dns; mx.example.com` → `mx.example.com`.
pub fn mta_of(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, a)| a).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_unfold_and_split() {
        let g = groups(
            "Reporting-MTA: dns; a.example\r\n\r\nFinal-Recipient: rfc822;x@y\r\nDiagnostic-Code: smtp; 550\r\n  no such user\r\n\r\n\r\n",
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].get("reporting-mta"), Some("dns; a.example"));
        assert_eq!(g[1].get("Diagnostic-Code"), Some("smtp; 550 no such user"));
        assert_eq!(address_of(g[1].get("final-recipient").unwrap()), "x@y");
        assert_eq!(mta_of("dns; a.example"), "a.example");
    }
}
