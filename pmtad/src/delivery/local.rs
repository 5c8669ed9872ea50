//! Local delivery: `mailbox-command` (or `type pipe` + `command`) run once per recipient with
//! the message on standard input. No shell is involved: the command line is split into words
//! once, and `$to`, `$from`, `$domain`, `$user` (also `${to}` …) are expanded inside each
//! argument, so an address can never inject shell syntax.
//!
//! Exit status: 0 delivered, 75 (EX_TEMPFAIL) retried, other sysexits bounced with the
//! status PowerMTA/sendmail map them to; killed, timed out or not startable: retried.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::delivery::classify::{internal_reply, outcome_from_reply};
use crate::outcome::{FailureKind, Outcome, Producer, Reply};

/// Most of the command's standard error kept for the reply text.
const MAX_STDERR: usize = 1024;

/// A bad `mailbox-command` value (reported at config time).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    #[error("mailbox-command is empty")]
    Empty,
    #[error("mailbox-command has an unterminated quote")]
    Quote,
}

/// A parsed local delivery command.
#[derive(Debug, Clone)]
pub struct LocalCommand {
    program: String,
    args: Vec<String>,
    timeout: Duration,
    /// The command line as configured, for accounting and logs.
    display: String,
}

impl LocalCommand {
    /// Splits `line` into words (single and double quotes group words) and keeps `timeout`
    /// as the limit for each run.
    pub fn parse(line: &str, timeout: Duration) -> Result<Self, LocalError> {
        let mut words = split_words(line)?.into_iter();
        let program = words.next().ok_or(LocalError::Empty)?;
        Ok(LocalCommand {
            program,
            args: words.collect(),
            timeout,
            display: line.trim().into(),
        })
    }

    /// From an already split command line (`config::Delivery::Local { argv }`).
    pub fn from_argv(argv: &[String], timeout: Duration) -> Result<Self, LocalError> {
        let (program, args) = argv.split_first().ok_or(LocalError::Empty)?;
        Ok(LocalCommand {
            program: program.clone(),
            args: args.to_vec(),
            timeout,
            display: argv.join(" "),
        })
    }

    /// Runs the command for one recipient and maps its exit status to an outcome.
    pub async fn deliver(&self, mail_from: &str, rcpt: &str, message: &[&[u8]]) -> Outcome {
        let by = Producer::Local {
            command: self.display.clone(),
        };
        let reply = match self.spawn(mail_from, rcpt) {
            Ok(child) => self.run(child, message).await,
            Err(e) => internal_reply(451, "4.3.5", format!("cannot run {}: {e}", self.program)),
        };
        outcome_from_reply(reply, by, FailureKind::LocalCommand)
    }

    fn spawn(&self, mail_from: &str, rcpt: &str) -> std::io::Result<Child> {
        let vars = Vars::new(mail_from, rcpt);
        Command::new(&self.program)
            .args(self.args.iter().map(|a| vars.expand(a)))
            .env("SENDER", mail_from)
            .env("RECIPIENT", rcpt)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
    }

    /// Feeds the message, collects stderr, waits for the exit, all under the timeout.
    async fn run(&self, mut child: Child, message: &[&[u8]]) -> Reply {
        let stdin = child.stdin.take();
        let stderr = child.stderr.take();
        let work = async {
            let feed = feed(stdin, message);
            let errors = collect(stderr);
            let (_, errors, status) = tokio::join!(feed, errors, child.wait());
            (status, errors)
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok((Ok(status), errors)) => exit_reply(status, &errors),
            Ok((Err(e), _)) => internal_reply(451, "4.3.0", format!("waiting for command: {e}")),
            Err(_) => {
                let _ = child.kill().await;
                internal_reply(
                    451,
                    "4.3.0",
                    format!("command timed out after {:?}", self.timeout),
                )
            }
        }
    }
}

/// Writes the message to the command; a command that exits without reading it all is not
/// an error here (its exit status decides).
async fn feed(stdin: Option<tokio::process::ChildStdin>, message: &[&[u8]]) {
    let Some(mut stdin) = stdin else { return };
    for chunk in message {
        if stdin.write_all(chunk).await.is_err() {
            return;
        }
    }
    let _ = stdin.shutdown().await;
}

async fn collect(stderr: Option<tokio::process::ChildStderr>) -> String {
    let Some(stderr) = stderr else {
        return String::new();
    };
    let mut buf = Vec::new();
    let _ = stderr.take(MAX_STDERR as u64).read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exit status -> reply (sysexits.h mapping).
fn exit_reply(status: ExitStatus, stderr: &str) -> Reply {
    let Some(code) = status.code() else {
        return internal_reply(
            451,
            "4.3.0",
            with_detail("command killed by a signal", stderr),
        );
    };
    let (smtp, enhanced, what) = match code {
        0 => (250, "2.0.0", "delivered"),
        75 => (451, "4.0.0", "temporary failure (EX_TEMPFAIL)"),
        64 => (554, "5.3.0", "command line usage error (EX_USAGE)"),
        65 => (554, "5.6.0", "data format error (EX_DATAERR)"),
        66 => (554, "5.3.0", "cannot open input (EX_NOINPUT)"),
        67 => (550, "5.1.1", "user unknown (EX_NOUSER)"),
        68 => (550, "5.1.2", "host name unknown (EX_NOHOST)"),
        69 => (554, "5.3.0", "service unavailable (EX_UNAVAILABLE)"),
        70 => (554, "5.3.0", "internal software error (EX_SOFTWARE)"),
        71 => (554, "5.3.0", "system error (EX_OSERR)"),
        72 => (554, "5.3.0", "critical OS file missing (EX_OSFILE)"),
        73 => (554, "5.2.0", "cannot create output file (EX_CANTCREAT)"),
        74 => (554, "5.3.0", "input/output error (EX_IOERR)"),
        76 => (554, "5.5.0", "remote error in protocol (EX_PROTOCOL)"),
        77 => (550, "5.7.1", "permission denied (EX_NOPERM)"),
        78 => (554, "5.3.5", "configuration error (EX_CONFIG)"),
        _ => (554, "5.3.0", "command failed"),
    };
    let text = format!("{what}, exit status {code}");
    internal_reply(smtp, enhanced, with_detail(&text, stderr))
}

fn with_detail(text: &str, stderr: &str) -> String {
    if stderr.is_empty() {
        text.to_string()
    } else {
        format!("{text}: {stderr}")
    }
}

/// The values `$to $from $domain $user` expand to.
struct Vars<'a> {
    to: &'a str,
    from: &'a str,
    user: &'a str,
    domain: &'a str,
}

impl<'a> Vars<'a> {
    fn new(from: &'a str, to: &'a str) -> Self {
        let (user, domain) = to.rsplit_once('@').unwrap_or((to, ""));
        Vars {
            to,
            from,
            user,
            domain,
        }
    }

    fn lookup(&self, name: &str) -> Option<&'a str> {
        match name {
            "to" => Some(self.to),
            "from" => Some(self.from),
            "user" => Some(self.user),
            "domain" => Some(self.domain),
            _ => None,
        }
    }

    /// Replaces `$name` and `${name}`; anything else (unknown names, a lone `$`) stays.
    fn expand(&self, arg: &str) -> String {
        let mut out = String::with_capacity(arg.len() + 32);
        let mut rest = arg;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, len) = variable_name(after);
            match self.lookup(name) {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[i..i + 1 + len]),
            }
            rest = &after[len..];
        }
        out.push_str(rest);
        out
    }
}

/// The variable name at the start of `s` (`to…` or `{to}`) and how many bytes it spans.
fn variable_name(s: &str) -> (&str, usize) {
    if let Some(inner) = s.strip_prefix('{') {
        return match inner.find('}') {
            Some(end) => (&inner[..end], end + 2),
            None => ("", 0),
        };
    }
    let end = s
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(s.len());
    (&s[..end], end)
}

/// Shell-like word splitting without any expansion: quotes group, nothing else is special.
fn split_words(line: &str) -> Result<Vec<String>, LocalError> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.get_or_insert_with(String::new).push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.get_or_insert_with(String::new);
            }
            (None, c) if c.is_whitespace() => words.extend(cur.take()),
            (None, c) => cur.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(LocalError::Quote);
    }
    words.extend(cur);
    Ok(words)
}

#[cfg(test)]
mod tests;
