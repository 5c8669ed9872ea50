//! `domain-macro NAME v1, v2, …` and `<domain yahoo.$NAME>`: a pattern with macros
//! stands for one `<domain>` block per expansion. Macros may use other macros; a loop
//! is an error. An explicit pattern beats the same pattern made by a macro.

use std::collections::HashMap;

/// Expansions beyond this are taken for a mistake.
const MAX_EXPANSIONS: usize = 10_000;
const MAX_DEPTH: usize = 8;

/// Macro name → values, from every top-level `domain-macro` (order does not matter).
#[derive(Debug, Default)]
pub(crate) struct Macros(HashMap<String, Vec<String>>);

impl Macros {
    /// Parses `NAME VALUE[, VALUE…]`; Err = (byte offset, message).
    pub fn define(&mut self, text: &str) -> Result<(), (usize, String)> {
        let (name, values) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        if !is_macro_name(name) {
            return Err((
                0,
                format!("'{name}' is not a macro name (letters, digits, _)"),
            ));
        }
        let values: Vec<String> = crate::values::split_items(values.trim(), ',')
            .into_iter()
            .map(|(_, v)| v.to_lowercase())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err((name.len(), format!("domain-macro {name} has no values")));
        }
        self.0.insert(name.to_string(), values);
        Ok(())
    }

    /// Every expansion of `text` (just `text` when it uses no macro).
    pub fn expand(&self, text: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        self.expand_into(text, 0, &mut out)?;
        Ok(out)
    }

    fn expand_into(&self, text: &str, depth: usize, out: &mut Vec<String>) -> Result<(), String> {
        let Some((start, name)) = first_macro(text) else {
            out.push(text.to_string());
            return Ok(());
        };
        if depth >= MAX_DEPTH {
            return Err(format!(
                "domain macros nest too deep (a loop through ${name}?)"
            ));
        }
        let values = self
            .0
            .get(name)
            .ok_or_else(|| format!("unknown domain macro ${name}"))?;
        for value in values {
            let next = format!(
                "{}{value}{}",
                &text[..start],
                &text[start + 1 + name.len()..]
            );
            self.expand_into(&next, depth + 1, out)?;
            if out.len() > MAX_EXPANSIONS {
                return Err(format!(
                    "domain macros expand to more than {MAX_EXPANSIONS} patterns"
                ));
            }
        }
        Ok(())
    }
}

fn is_macro_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The first `$NAME` in `text`: its byte offset and the name.
fn first_macro(text: &str) -> Option<(usize, &str)> {
    let start = text.find('$')?;
    let rest = &text[start + 1..];
    let len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some((start, &rest[..len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_nested_macros_and_detects_loops() {
        let mut m = Macros::default();
        m.define("com com, de").unwrap();
        m.define("tld $com, co.uk").unwrap();
        assert_eq!(
            m.expand("yahoo.$tld").unwrap(),
            ["yahoo.com", "yahoo.de", "yahoo.co.uk"]
        );
        assert_eq!(m.expand("plain.com").unwrap(), ["plain.com"]);
        assert!(
            m.expand("x.$nope")
                .unwrap_err()
                .contains("unknown domain macro $nope")
        );
        m.define("a $b").unwrap();
        m.define("b $a").unwrap();
        assert!(m.expand("x.$a").unwrap_err().contains("nest too deep"));
        assert!(m.define("bad-name x").is_err());
        assert!(m.define("empty").is_err());
    }
}
