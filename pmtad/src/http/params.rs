//! Request parameters: the query string and, for POST, a form body
//! (`application/x-www-form-urlencoded`), decoded into name/value pairs, with typed
//! getters that turn a bad value into a 400 naming the parameter.

use proto::Sort;

use super::HttpError;

/// The body format an endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Decoded parameters, in order; a later duplicate wins.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `a=1&b=x%20y` (also `+` for a space).
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let mut out = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((decode(k)?, decode(v)?));
        }
        Ok(Self(out))
    }

    /// Appends `other` (a form body after the query string).
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that must be there and not be empty.
    pub fn required(&self, name: &str) -> Result<&str, HttpError> {
        match self.get(name).map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(HttpError::BadRequest(format!(
                "the parameter '{name}' is missing"
            ))),
        }
    }

    /// `format=json|xml`; JSON when absent.
    pub fn format(&self) -> Result<Format, HttpError> {
        match self.get("format").map(str::to_ascii_lowercase).as_deref() {
            None | Some("json") => Ok(Format::Json),
            Some("xml") => Ok(Format::Xml),
            Some(other) => Err(HttpError::BadRequest(format!(
                "format={other} is not supported (use json or xml)"
            ))),
        }
    }

    /// `maxitems=N` (0 = all), else `default`.
    pub fn max_items(&self, default: u64) -> Result<u32, HttpError> {
        let Some(v) = self.get("maxitems") else {
            return Ok(u32::try_from(default).unwrap_or(u32::MAX));
        };
        v.trim()
            .parse()
            .map_err(|_| HttpError::BadRequest(format!("maxitems={v} is not a number of items")))
    }

    /// `sort=name|rcpt|size`, else `default`.
    pub fn sort(&self, default: Sort) -> Result<Sort, HttpError> {
        match self.get("sort").map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("name") => Ok(Sort::Name),
            Some("rcpt" | "rcpts") => Ok(Sort::Rcpts),
            Some("size" | "kb" | "kbytes") => Ok(Sort::Kbytes),
            Some(other) => Err(HttpError::BadRequest(format!(
                "sort={other} is not an order (use name, rcpt or size)"
            ))),
        }
    }

    /// `NAME=yes|no`, or `None` when absent.
    pub fn yes_no(&self, name: &str) -> Result<Option<bool>, HttpError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => Ok(None),
            Some("yes" | "true" | "1") => Ok(Some(true)),
            Some("no" | "false" | "0") => Ok(Some(false)),
            Some(other) => Err(HttpError::BadRequest(format!(
                "{name}={other} is not yes or no"
            ))),
        }
    }
}

/// Percent-decoding of one form component; `+` is a space.
fn decode(s: &str) -> Result<String, HttpError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                let Some(b) = hex else {
                    return Err(HttpError::BadRequest(format!("bad %-escape in '{s}'")));
                };
                out.push(b);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| HttpError::BadRequest(format!("'{s}' is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_types() {
        let p = Params::parse("queue=gmail.com%2F%7Bdefault%7D&format=XML&maxitems=5&x").unwrap();
        assert_eq!(p.get("queue"), Some("gmail.com/{default}"));
        assert_eq!(p.format().unwrap(), Format::Xml);
        assert_eq!(p.max_items(10).unwrap(), 5);
        assert_eq!(p.get("x"), Some(""));
        let p = Params::parse("command=pause+queue+a.test&maxitems=lots&sort=weight").unwrap();
        assert_eq!(p.get("command"), Some("pause queue a.test"));
        assert!(p.max_items(10).is_err());
        assert!(p.sort(Sort::Name).is_err());
        assert!(Params::parse("a=%zz").is_err());
        assert!(Params::parse("format=yaml").unwrap().format().is_err());
        assert!(Params::default().required("domain").is_err());
    }
}
