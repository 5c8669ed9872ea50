//! Parsing of SMTP command lines (RFC 5321 §4.1) into borrowed, typed commands.
//!
//! Parsing borrows from the session's line buffer: nothing is allocated until a MAIL or RCPT
//! is accepted and its address goes into the envelope.

/// Longest local part and domain (RFC 5321 §4.5.3.1).
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 255;

/// One parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command<'a> {
    Ehlo(&'a str),
    Helo(&'a str),
    /// `MAIL FROM:<path> params`; an empty path is the null sender.
    Mail(&'a str, MailParams<'a>),
    Rcpt(&'a str, RcptParams<'a>),
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    StartTls,
    Help,
    /// `AUTH MECHANISM [initial-response]` (RFC 4954).
    Auth(&'a str, Option<&'a [u8]>),
}

impl Command<'_> {
    /// Whether `require-starttls` holds this command back until TLS is active.
    pub(crate) fn needs_tls(&self) -> bool {
        matches!(
            self,
            Command::Mail(..)
                | Command::Rcpt(..)
                | Command::Data
                | Command::Vrfy
                | Command::Auth(..)
        )
    }
}

/// A command line as the session log may show it: an AUTH initial response (which carries
/// the password) is replaced by `***`.
pub(crate) fn redacted(line: &[u8]) -> std::borrow::Cow<'_, str> {
    let text = String::from_utf8_lossy(line);
    let is_auth = text
        .get(..5)
        .is_some_and(|v| v.eq_ignore_ascii_case("AUTH "));
    match text.split_ascii_whitespace().nth(2) {
        Some(_) if is_auth => {
            let mechanism = text.split_ascii_whitespace().nth(1).unwrap_or("");
            std::borrow::Cow::Owned(format!("AUTH {mechanism} ***"))
        }
        _ => text,
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MailParams<'a> {
    pub size: Option<u64>,
    pub env_id: Option<&'a str>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RcptParams<'a> {
    pub orcpt: Option<&'a str>,
    /// RFC 3461 NOTIFY, when given.
    pub notify: Option<crate::envelope::Notify>,
}

/// Why a line is not a command we can act on; each maps to one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// 500 5.5.1
    Unknown,
    /// 500 5.5.2: not ASCII text.
    Invalid,
    /// 501 5.5.4: wrong arguments.
    Syntax,
    /// 501 5.1.7
    BadSender,
    /// 501 5.1.3
    BadRecipient,
    /// 555 5.5.4: a MAIL/RCPT parameter we do not know or a bad value.
    BadParam,
}

/// Parses one line without its line ending.
pub(crate) fn parse(line: &[u8]) -> Result<Command<'_>, ParseError> {
    let line = std::str::from_utf8(line).map_err(|_| ParseError::Invalid)?;
    if line.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(ParseError::Invalid);
    }
    let (verb, arg) = match line.split_once(' ') {
        Some((v, a)) => (v, a.trim()),
        None => (line.trim_end(), ""),
    };
    let no_arg = |c: Command<'static>| {
        if arg.is_empty() {
            Ok(c)
        } else {
            Err(ParseError::Syntax)
        }
    };
    let mut buf = [0u8; 8];
    match upper(verb, &mut buf) {
        b"EHLO" => domain_arg(arg).map(Command::Ehlo),
        b"HELO" => domain_arg(arg).map(Command::Helo),
        b"MAIL" => mail(arg),
        b"RCPT" => rcpt(arg),
        b"DATA" => no_arg(Command::Data),
        b"RSET" => no_arg(Command::Rset),
        b"QUIT" => no_arg(Command::Quit),
        b"STARTTLS" => no_arg(Command::StartTls),
        b"NOOP" => Ok(Command::Noop),
        b"VRFY" if !arg.is_empty() => Ok(Command::Vrfy),
        b"VRFY" => Err(ParseError::Syntax),
        b"HELP" => Ok(Command::Help),
        b"AUTH" => auth(arg),
        _ => Err(ParseError::Unknown),
    }
}

/// Upper-cases a keyword into `buf` without allocating; longer words match nothing.
fn upper<'b>(word: &str, buf: &'b mut [u8; 8]) -> &'b [u8] {
    if word.len() > buf.len() {
        return b"";
    }
    let out = &mut buf[..word.len()];
    out.copy_from_slice(word.as_bytes());
    out.make_ascii_uppercase();
    out
}

fn domain_arg(arg: &str) -> Result<&str, ParseError> {
    let name = arg
        .split_ascii_whitespace()
        .next()
        .ok_or(ParseError::Syntax)?;
    if name.len() > MAX_DOMAIN {
        return Err(ParseError::Syntax);
    }
    Ok(name)
}

fn auth(arg: &str) -> Result<Command<'_>, ParseError> {
    let mut words = arg.split_ascii_whitespace();
    let mechanism = words.next().ok_or(ParseError::Syntax)?;
    let initial = words.next().map(str::as_bytes);
    if words.next().is_some() {
        return Err(ParseError::Syntax);
    }
    Ok(Command::Auth(mechanism, initial))
}

fn mail(arg: &str) -> Result<Command<'_>, ParseError> {
    let rest = strip_prefix_ci(arg, "FROM:").ok_or(ParseError::Syntax)?;
    let (path, params) = split_path(rest).ok_or(ParseError::BadSender)?;
    let path = mailbox(path, true).ok_or(ParseError::BadSender)?;
    let mut out = MailParams::default();
    for p in params.split_ascii_whitespace() {
        let (key, value) = p.split_once('=').unwrap_or((p, ""));
        let mut buf = [0u8; 8];
        match upper(key, &mut buf) {
            b"SIZE" => out.size = Some(value.parse().map_err(|_| ParseError::BadParam)?),
            b"BODY" if one_of(value, &["7BIT", "8BITMIME"]) => {}
            b"ENVID" if xtext(value) => out.env_id = Some(value),
            b"RET" if one_of(value, &["FULL", "HDRS"]) => {}
            _ => return Err(ParseError::BadParam),
        }
    }
    Ok(Command::Mail(path, out))
}

fn rcpt(arg: &str) -> Result<Command<'_>, ParseError> {
    let rest = strip_prefix_ci(arg, "TO:").ok_or(ParseError::Syntax)?;
    let (path, params) = split_path(rest).ok_or(ParseError::BadRecipient)?;
    let path = mailbox(path, false).ok_or(ParseError::BadRecipient)?;
    let mut out = RcptParams::default();
    for p in params.split_ascii_whitespace() {
        let (key, value) = p.split_once('=').unwrap_or((p, ""));
        let mut buf = [0u8; 8];
        match upper(key, &mut buf) {
            b"ORCPT" if value.contains(';') && xtext(value) => out.orcpt = Some(value),
            b"NOTIFY" => {
                let n = crate::envelope::Notify::parse(value).ok_or(ParseError::BadParam)?;
                out.notify = Some(n);
            }
            _ => return Err(ParseError::BadParam),
        }
    }
    Ok(Command::Rcpt(path, out))
}

fn one_of(value: &str, allowed: &[&str]) -> bool {
    allowed.iter().any(|a| a.eq_ignore_ascii_case(value))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s[prefix.len()..].trim_start())
}

/// Splits `<path> params` (or a bare `path params`, which many clients send).
fn split_path(s: &str) -> Option<(&str, &str)> {
    if let Some(inner) = s.strip_prefix('<') {
        let close = inner.find('>')?;
        Some((&inner[..close], &inner[close + 1..]))
    } else {
        let end = s.find(' ').unwrap_or(s.len());
        (end > 0).then(|| (&s[..end], &s[end..]))
    }
}

/// Validates a path's mailbox, dropping an obsolete source route (`@a,@b:`). Returns the
/// mailbox, or `""` for the null path when allowed. `postmaster` alone is accepted for RCPT.
fn mailbox(path: &str, null_ok: bool) -> Option<&str> {
    if path.is_empty() {
        return null_ok.then_some("");
    }
    let path = match path.strip_prefix('@') {
        Some(route) => &route[route.find(':')? + 1..],
        None => path,
    };
    if !null_ok && path.eq_ignore_ascii_case("postmaster") {
        return Some(path);
    }
    let (local, domain) = path.rsplit_once('@')?;
    (local_part(local) && domain_part(domain)).then_some(path)
}

fn local_part(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_LOCAL {
        return false;
    }
    if let Some(q) = s.strip_prefix('"') {
        return q.ends_with('"') && q.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    }
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    s.split('.')
        .all(|atom| !atom.is_empty() && atom.bytes().all(atext))
}

fn domain_part(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_DOMAIN {
        return false;
    }
    if let Some(lit) = s.strip_prefix('[') {
        return lit.ends_with(']') && lit.len() > 1 && lit.bytes().all(|b| b.is_ascii_graphic());
    }
    s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// RFC 3461 xtext: printable ASCII except `+` escapes and `=`.
fn xtext(s: &str) -> bool {
    !s.is_empty() && s.len() <= 500 && s.bytes().all(|b| (b'!'..=b'~').contains(&b) && b != b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_case_insensitively() {
        assert_eq!(
            parse(b"ehlo client.example"),
            Ok(Command::Ehlo("client.example"))
        );
        assert_eq!(parse(b"QUIT"), Ok(Command::Quit));
        assert_eq!(parse(b"noop anything"), Ok(Command::Noop));
        assert_eq!(parse(b"StartTLS"), Ok(Command::StartTls));
        assert_eq!(parse(b"DATA x"), Err(ParseError::Syntax));
        assert_eq!(parse(b"FOO"), Err(ParseError::Unknown));
        assert_eq!(parse(b"HELO"), Err(ParseError::Syntax));
        assert_eq!(parse(b"MAIL\x00"), Err(ParseError::Invalid));
        assert_eq!(parse(b"\xff\xfe"), Err(ParseError::Invalid));
    }

    #[test]
    fn parses_auth_and_redacts_its_response() {
        assert_eq!(
            parse(b"AUTH PLAIN AGEAYg=="),
            Ok(Command::Auth("PLAIN", Some(&b"AGEAYg=="[..])))
        );
        assert_eq!(parse(b"auth login"), Ok(Command::Auth("login", None)));
        assert_eq!(parse(b"AUTH"), Err(ParseError::Syntax));
        assert_eq!(parse(b"AUTH PLAIN a b"), Err(ParseError::Syntax));
        assert_eq!(redacted(b"auth plain AGEAYg=="), "AUTH plain ***");
        assert_eq!(redacted(b"AUTH LOGIN"), "AUTH LOGIN");
        assert_eq!(redacted(b"MAIL FROM:<a@b>"), "MAIL FROM:<a@b>");
    }

    #[test]
    fn parses_mail_from() {
        let p = MailParams {
            size: Some(1000),
            env_id: Some("abc+2B"),
        };
        assert_eq!(
            parse(b"MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME ENVID=abc+2B"),
            Ok(Command::Mail("a@b.example", p))
        );
        assert_eq!(
            parse(b"mail from: <>"),
            Ok(Command::Mail("", MailParams::default()))
        );
        assert_eq!(
            parse(b"MAIL FROM:<@r1,@r2:u@d.example>"),
            Ok(Command::Mail("u@d.example", MailParams::default()))
        );
        assert_eq!(parse(b"MAIL FROM:<a@>"), Err(ParseError::BadSender));
        assert_eq!(parse(b"MAIL FROM:<a b@c>"), Err(ParseError::BadSender));
        assert_eq!(parse(b"MAIL TO:<a@b>"), Err(ParseError::Syntax));
        assert_eq!(parse(b"MAIL FROM:<a@b> SIZE=x"), Err(ParseError::BadParam));
        assert_eq!(
            parse(b"MAIL FROM:<a@b> SMTPUTF8"),
            Err(ParseError::BadParam)
        );
    }

    #[test]
    fn parses_rcpt_to() {
        let p = RcptParams {
            orcpt: Some("rfc822;x@y"),
            notify: None,
        };
        assert_eq!(
            parse(b"RCPT TO:<u@d> ORCPT=rfc822;x@y"),
            Ok(Command::Rcpt("u@d", p))
        );
        let Ok(Command::Rcpt(_, p)) = parse(b"RCPT TO:<u@d> NOTIFY=failure,DELAY") else {
            panic!("NOTIFY parses");
        };
        let n = p.notify.unwrap();
        assert!(n.wants_delay() && n.wants_failure());
        assert_eq!(
            parse(b"RCPT TO:<u@d> NOTIFY=NEVER,DELAY"),
            Err(ParseError::BadParam)
        );
        assert_eq!(
            parse(b"RCPT TO:<Postmaster>"),
            Ok(Command::Rcpt("Postmaster", RcptParams::default()))
        );
        assert_eq!(parse(b"RCPT TO:<>"), Err(ParseError::BadRecipient));
        assert_eq!(
            parse(b"RCPT TO:<\"q u\"@[1.2.3.4]>"),
            Ok(Command::Rcpt("\"q u\"@[1.2.3.4]", RcptParams::default()))
        );
        assert_eq!(
            parse(b"RCPT TO:<a@-->"),
            Ok(Command::Rcpt("a@--", RcptParams::default()))
        );
        assert_eq!(parse(b"RCPT TO:<a@b..c>"), Err(ParseError::BadRecipient));
    }
}
