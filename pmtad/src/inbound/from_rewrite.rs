//! `from-domain` rewriting of one `From:` header field (as held back by the header filter):
//! the domain of each address is offered to a mapping, and replaced when it gives a new one.
//!
//! The field is scanned as RFC 5322 text: quoted strings and comments are skipped (a
//! display name `"a@old.example"` stays as written), an address's domain is the dot-atom
//! after an `@` outside them. Everything else — folding, display names, the line ending —
//! is kept byte for byte.

/// The field with its address domains mapped, or `None` when nothing changed.
pub(crate) fn rewrite_domains(
    field: &[u8],
    map: impl Fn(&str) -> Option<String>,
) -> Option<Vec<u8>> {
    let colon = field.iter().position(|&b| b == b':')?;
    let mut out = Vec::with_capacity(field.len() + 16);
    out.extend_from_slice(&field[..=colon]);
    let mut changed = false;
    let (mut quoted, mut comment, mut escaped) = (false, 0u32, false);
    let mut i = colon + 1;
    while i < field.len() {
        let b = field[i];
        out.push(b);
        i += 1;
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted || comment > 0 => escaped = true,
            b'"' if comment == 0 => quoted = !quoted,
            b'(' if !quoted => comment += 1,
            b')' if !quoted && comment > 0 => comment -= 1,
            b'@' if !quoted && comment == 0 => {
                let len = field[i..]
                    .iter()
                    .take_while(|&&c| is_domain_byte(c))
                    .count();
                let domain = String::from_utf8_lossy(&field[i..i + len]);
                match map(domain.trim_end_matches('.')).filter(|_| len > 0) {
                    Some(new) => {
                        out.extend_from_slice(new.as_bytes());
                        changed = true;
                    }
                    None => out.extend_from_slice(&field[i..i + len]),
                }
                i += len;
            }
            _ => {}
        }
    }
    changed.then_some(out)
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old_to_new(d: &str) -> Option<String> {
        d.eq_ignore_ascii_case("old.example")
            .then(|| "new.example".to_string())
    }

    fn rewrite(field: &str) -> Option<String> {
        rewrite_domains(field.as_bytes(), old_to_new).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn each_address_domain_is_mapped_and_the_rest_kept() {
        assert_eq!(
            rewrite("From: Ann <ann@old.example>\r\n").as_deref(),
            Some("From: Ann <ann@new.example>\r\n")
        );
        assert_eq!(
            rewrite("FROM: a@OLD.example,\r\n b@other.example, c@old.example\r\n").as_deref(),
            Some("FROM: a@new.example,\r\n b@other.example, c@new.example\r\n")
        );
        assert_eq!(rewrite("From: b@other.example\r\n"), None);
    }

    #[test]
    fn quoted_names_and_comments_are_left_alone() {
        assert_eq!(
            rewrite("From: \"x@old.example\" (y@old.example) <z@old.example>\r\n").as_deref(),
            Some("From: \"x@old.example\" (y@old.example) <z@new.example>\r\n")
        );
        assert_eq!(
            rewrite("From: \"a\\\"@old.example\" <z@other.example>\r\n"),
            None
        );
    }
}
