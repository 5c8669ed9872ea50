//! Queue names and `DOMAIN[/VMTA]` patterns with `*` wildcards, as PowerMTA's `pmta` takes them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A pattern selecting queues: `gmail.com`, `gmail.com/*`, `*/vmta1`, `*.example.com/pool-*`.
///
/// A missing `/VMTA` means every virtual MTA (`gmail.com` = `gmail.com/*`), as in `pmta`.
/// `*` matches any run of characters (also none); matching ignores ASCII case, because domain
/// names do and virtual MTA names are case-insensitive in PowerMTA configs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePattern {
    pub domain: String,
    pub vmta: String,
}

/// One exact queue: a domain and, optionally, a virtual MTA (`None` = the default one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueName {
    pub domain: String,
    pub vmta: Option<String>,
}

/// Why a pattern or queue name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty queue pattern")]
    Empty,
    #[error("{0:?}: the domain part is empty")]
    EmptyDomain(String),
    #[error("{0:?}: the virtual MTA part is empty")]
    EmptyVmta(String),
    #[error("{0:?}: more than one '/'")]
    TooManySlashes(String),
    #[error("{0:?}: whitespace is not allowed")]
    Whitespace(String),
    #[error("{0:?}: wildcards are not allowed here")]
    Wildcard(String),
}

impl QueuePattern {
    /// The pattern matching every queue (`*/*`).
    pub fn all() -> Self {
        Self {
            domain: "*".into(),
            vmta: "*".into(),
        }
    }

    /// Parses `DOMAIN[/VMTA]`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let (domain, vmta) = split(text)?;
        Ok(Self {
            domain: domain.to_string(),
            vmta: vmta.unwrap_or("*").to_string(),
        })
    }

    /// Does the queue (domain, vmta) match?
    pub fn matches(&self, domain: &str, vmta: &str) -> bool {
        glob_match(&self.domain, domain) && glob_match(&self.vmta, vmta)
    }

    /// Does any queue of this domain possibly match (the virtual MTA part ignored)?
    pub fn matches_domain(&self, domain: &str) -> bool {
        glob_match(&self.domain, domain)
    }
}

impl QueueName {
    /// Parses `DOMAIN[/VMTA]` without wildcards.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        if text.contains('*') {
            return Err(PatternError::Wildcard(text.to_string()));
        }
        let (domain, vmta) = split(text)?;
        Ok(Self {
            domain: domain.to_string(),
            vmta: vmta.map(str::to_string),
        })
    }
}

impl fmt::Display for QueuePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.vmta)
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vmta {
            Some(v) => write!(f, "{}/{v}", self.domain),
            None => f.write_str(&self.domain),
        }
    }
}

/// Splits `DOMAIN[/VMTA]` and checks both parts are present and clean.
fn split(text: &str) -> Result<(&str, Option<&str>), PatternError> {
    if text.is_empty() {
        return Err(PatternError::Empty);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(PatternError::Whitespace(text.to_string()));
    }
    let mut parts = text.split('/');
    let domain = parts.next().unwrap_or_default();
    let vmta = parts.next();
    if parts.next().is_some() {
        return Err(PatternError::TooManySlashes(text.to_string()));
    }
    if domain.is_empty() {
        return Err(PatternError::EmptyDomain(text.to_string()));
    }
    if vmta == Some("") {
        return Err(PatternError::EmptyVmta(text.to_string()));
    }
    Ok((domain, vmta))
}

/// `*`-only glob, ASCII case-insensitive, without allocation (runs per queue on every `show`).
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_alone_means_every_vmta() {
        let p = QueuePattern::parse("gmail.com").unwrap();
        assert_eq!(
            p,
            QueuePattern {
                domain: "gmail.com".into(),
                vmta: "*".into()
            }
        );
        assert!(p.matches("GMAIL.com", "{default}"));
        assert!(!p.matches("mail.gmail.com", "v1"));
    }

    #[test]
    fn wildcards_match_runs_of_characters() {
        let p = QueuePattern::parse("*.example.com/pool-*").unwrap();
        assert!(p.matches("a.example.com", "pool-1"));
        assert!(p.matches("a.b.example.com", "pool-"));
        assert!(!p.matches("example.com", "pool-1"));
        assert!(!p.matches("a.example.com", "vmta1"));
        assert!(QueuePattern::all().matches("x", "y"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("**", ""));
    }

    #[test]
    fn malformed_patterns_are_refused_with_the_reason() {
        assert_eq!(QueuePattern::parse(""), Err(PatternError::Empty));
        assert!(matches!(
            QueuePattern::parse("/v"),
            Err(PatternError::EmptyDomain(_))
        ));
        assert!(matches!(
            QueuePattern::parse("d/"),
            Err(PatternError::EmptyVmta(_))
        ));
        assert!(matches!(
            QueuePattern::parse("a/b/c"),
            Err(PatternError::TooManySlashes(_))
        ));
        assert!(matches!(
            QueuePattern::parse("a b"),
            Err(PatternError::Whitespace(_))
        ));
        assert!(matches!(
            QueueName::parse("*/v"),
            Err(PatternError::Wildcard(_))
        ));
    }

    #[test]
    fn queue_names_keep_an_absent_vmta_absent() {
        let q = QueueName::parse("gmail.com").unwrap();
        assert_eq!(q.vmta, None);
        assert_eq!(q.to_string(), "gmail.com");
        assert_eq!(
            QueueName::parse("a.com/v1").unwrap().to_string(),
            "a.com/v1"
        );
    }
}
