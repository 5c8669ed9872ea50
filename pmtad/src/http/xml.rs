//! `format=xml`: the JSON document rendered as PowerMTA's XML, `<rsp><data>…</data><succ/></rsp>`.
//!
//! The mapping is mechanical so the two formats cannot drift: an object's keys become
//! child elements, an array under key `k` becomes repeated `<k>` elements (PowerMTA's
//! `//domain/name` shape), scalars become text, `null` an empty element.

use serde_json::Value;
use std::fmt::Write;

/// The success envelope around `data`.
pub fn success(data: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsp><data>");
    children(&mut out, data);
    out.push_str("</data><succ/></rsp>\n");
    out
}

/// The error envelope.
pub fn error(message: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsp><error>");
    text(&mut out, message);
    out.push_str("</error></rsp>\n");
    out
}

/// The content of an element holding `v`.
fn children(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                element(out, k, v);
            }
        }
        Value::Array(items) => {
            for item in items {
                element(out, "item", item);
            }
        }
        Value::Null => {}
        Value::String(s) => text(out, s),
        other => text(out, &other.to_string()),
    }
}

/// `<name>…</name>`, or one per item for an array.
fn element(out: &mut String, name: &str, v: &Value) {
    if let Value::Array(items) = v {
        for item in items {
            element(out, name, item);
        }
        return;
    }
    let tag = tag_name(name);
    let _ = write!(out, "<{tag}>");
    children(out, v);
    let _ = write!(out, "</{tag}>");
}

/// A key as an XML name: characters outside `[A-Za-z0-9._-]` become `_`, and a name that
/// would start with a digit, `-` or `.` gets a leading `_`.
fn tag_name(key: &str) -> String {
    let mut tag: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        tag.insert(0, '_');
    }
    tag
}

fn text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_repeat_their_key_and_text_is_escaped() {
        let doc = json!({"domain": [{"name": "a<b", "rcp": 2}, {"name": "c", "rcp": null}]});
        assert_eq!(
            success(&doc),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsp><data>\
             <domain><name>a&lt;b</name><rcp>2</rcp></domain>\
             <domain><name>c</name><rcp></rcp></domain></data><succ/></rsp>\n"
        );
        assert_eq!(tag_name("max-smtp-out"), "max-smtp-out");
        assert_eq!(tag_name("2x y"), "_2x_y");
        assert!(error("no & such").contains("<error>no &amp; such</error>"));
    }
}
