//! Capture of header values for `header_NAME` accounting columns.
//!
//! Records are written when a recipient is delivered, possibly days after intake and after a
//! restart, so the values are taken from the message's header section once, at intake, and
//! kept in [`crate::envelope::Envelope::acct_headers`]; the writer never reads the spool.

/// Returns `(name, value)` for each `wanted` header present in `header_section` (the bytes
/// before the first empty line). Folded lines are unfolded; the first occurrence wins; the
/// name is returned as configured. Non-UTF-8 bytes are replaced.
pub fn capture_headers(header_section: &[u8], wanted: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if wanted.is_empty() {
        return out;
    }
    for (name, value) in unfolded(header_section) {
        let Some(w) = wanted.iter().find(|w| w.eq_ignore_ascii_case(name.trim())) else {
            continue;
        };
        if !out.iter().any(|(n, _)| n == w) {
            out.push((w.clone(), value.trim().to_string()));
        }
    }
    out
}

/// Header fields as `(name, unfolded value)`, up to the empty line ending the header.
fn unfolded(section: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(section);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            fields.push((n.to_string(), v.to_string()));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_unfolded_first_values() {
        let h = b"Subject: hello\r\n  world\r\nMessage-Id: <a@b>\r\nmessage-id: <c@d>\r\n\r\nX-Late: no\r\n";
        let got = capture_headers(h, &["message-ID".into(), "subject".into(), "X-Late".into()]);
        assert_eq!(
            got,
            vec![
                ("subject".to_string(), "hello world".to_string()),
                ("message-ID".to_string(), "<a@b>".to_string()),
            ]
        );
    }
}
