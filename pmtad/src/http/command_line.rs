//! `POST /command`: the text of a pmtactl command line (`pause queue gmail.com/*`,
//! `show topqueues --maxitems=5`) parsed into the request the control verb takes. Only the
//! words are parsed here; the verb itself runs in the backend, as for pmtactl. Command words
//! may be abbreviated to a unique prefix, as with `pmta` (`sh dom`, `res q a.test`).

use proto::{
    DomainsRequest, QueueMode, QueueName, QueuePattern, QueuesRequest, Sort, VmtasRequest,
};

use super::HttpError;

/// A read-only question: the endpoints ask these too.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Status,
    Version,
    Queues(QueuesRequest),
    Domains(DomainsRequest),
    Vmtas(VmtasRequest),
    Settings(QueueName),
    DomainDetail(String),
}

/// A change to queues or config: admin only.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Pause(QueuePattern),
    Resume(QueuePattern),
    Schedule(QueuePattern),
    SetMode(QueuePattern, QueueMode),
    Reload,
    Delete {
        pattern: QueuePattern,
        older_than_secs: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verb {
    Read(Query),
    Change(Action),
}

/// Default rows of a `show` listing given as a command, as pmtactl's.
const SHOW_MAX_ITEMS: u32 = 20;

/// Parses a command line; a mistake is a 400 saying what was expected.
pub fn parse(text: &str) -> Result<Verb, HttpError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (options, args): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.starts_with("--"));
    let opts = Options::parse(&options)?;
    let verb = pick(
        args.first().copied(),
        &[
            "show", "pause", "resume", "schedule", "set", "reload", "delete", "domain",
        ],
    )?;
    let rest = args.get(1..).unwrap_or_default();
    let out = match verb {
        "show" => Verb::Read(show(rest, &opts)?),
        "domain" => {
            pick(rest.first().copied(), &["detail"])?;
            Verb::Read(Query::DomainDetail(
                one(rest.get(1..).unwrap_or_default(), "a domain")?.into(),
            ))
        }
        "pause" | "resume" => {
            pick(rest.first().copied(), &["queue"])?;
            let p = pattern(one(rest.get(1..).unwrap_or_default(), "a queue pattern")?)?;
            Verb::Change(if verb == "pause" {
                Action::Pause(p)
            } else {
                Action::Resume(p)
            })
        }
        "schedule" => Verb::Change(Action::Schedule(pattern(one(rest, "a queue pattern")?)?)),
        "set" => {
            pick(rest.first().copied(), &["queue"])?;
            let p = pattern(one(rest.get(1..).unwrap_or_default(), "a queue pattern")?)?;
            let mode = opts
                .mode
                .ok_or_else(|| bad("set queue needs --mode=normal|backoff"))?;
            Verb::Change(Action::SetMode(p, mode))
        }
        "reload" => Verb::Change(Action::Reload),
        _ => {
            let q = opts
                .queue
                .as_deref()
                .ok_or_else(|| bad("delete needs --queue=DOMAIN[/VMTA]"))?;
            Verb::Change(Action::Delete {
                pattern: pattern(q)?,
                older_than_secs: opts.older_than,
            })
        }
    };
    Ok(out)
}

fn show(rest: &[&str], o: &Options) -> Result<Query, HttpError> {
    let what = pick(
        rest.first().copied(),
        &[
            "status",
            "version",
            "queues",
            "topqueues",
            "domains",
            "topdomains",
            "vmtas",
            "settings",
        ],
    )?;
    let args = rest.get(1..).unwrap_or_default();
    let top = what.starts_with("top");
    let sort = o.sort.unwrap_or(if top { Sort::Rcpts } else { Sort::Name });
    let max_items = o.max_items.unwrap_or(SHOW_MAX_ITEMS);
    Ok(match what {
        "status" => Query::Status,
        "version" => Query::Version,
        "queues" | "topqueues" => Query::Queues(QueuesRequest {
            pattern: match args.first() {
                Some(p) => pattern(p)?,
                None => QueuePattern::all(),
            },
            paused: o.paused,
            mode: o.mode,
            sort,
            max_items,
        }),
        "domains" | "topdomains" => Query::Domains(DomainsRequest {
            names: args.iter().map(|s| s.to_string()).collect(),
            vmta: o.vmta.clone(),
            sort,
            max_items,
        }),
        "vmtas" => Query::Vmtas(VmtasRequest { sort, max_items }),
        _ => {
            let name = one(args, "a queue DOMAIN[/VMTA]")?;
            Query::Settings(QueueName::parse(name).map_err(|e| bad(&e.to_string()))?)
        }
    })
}

/// `--name=value` options of the commands above.
#[derive(Debug, Default)]
struct Options {
    paused: Option<bool>,
    mode: Option<QueueMode>,
    sort: Option<Sort>,
    max_items: Option<u32>,
    vmta: Option<String>,
    queue: Option<String>,
    older_than: Option<u64>,
}

impl Options {
    fn parse(words: &[&str]) -> Result<Self, HttpError> {
        let mut o = Options::default();
        for w in words {
            let (name, value) = w[2..].split_once('=').unwrap_or((&w[2..], ""));
            match name {
                "paused" => o.paused = Some(yes_no(value)?),
                "mode" => o.mode = Some(mode(value)?),
                "sort" => o.sort = Some(sort(value)?),
                "maxitems" => o.max_items = Some(number(value, "--maxitems")? as u32),
                "vmta" => o.vmta = Some(value.to_string()),
                "queue" => o.queue = Some(value.to_string()),
                "older-than" => o.older_than = Some(duration(value)?),
                _ => return Err(bad(&format!("unknown option --{name}"))),
            }
        }
        Ok(o)
    }
}

/// The one word of `choices` that `word` is a prefix of (an exact match always wins).
fn pick(word: Option<&str>, choices: &[&'static str]) -> Result<&'static str, HttpError> {
    let expected = || choices.join(", ");
    let Some(word) = word.map(str::to_ascii_lowercase) else {
        return Err(bad(&format!(
            "a command word is missing (one of {})",
            expected()
        )));
    };
    if let Some(exact) = choices.iter().find(|c| **c == word) {
        return Ok(exact);
    }
    let found: Vec<&&str> = choices.iter().filter(|c| c.starts_with(&word)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(bad(&format!("'{word}' is not one of {}", expected()))),
        _ => Err(bad(&format!("'{word}' is ambiguous ({})", expected()))),
    }
}

fn one<'a>(args: &[&'a str], what: &str) -> Result<&'a str, HttpError> {
    match args {
        [one] => Ok(one),
        [] => Err(bad(&format!("{what} is missing"))),
        _ => Err(bad(&format!("expected {what}, got '{}'", args.join(" ")))),
    }
}

fn pattern(text: &str) -> Result<QueuePattern, HttpError> {
    QueuePattern::parse(text).map_err(|e| bad(&e.to_string()))
}

fn yes_no(v: &str) -> Result<bool, HttpError> {
    match v {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(bad(&format!("'{v}' is not yes or no"))),
    }
}

pub fn mode(v: &str) -> Result<QueueMode, HttpError> {
    match v {
        "normal" => Ok(QueueMode::Normal),
        "backoff" => Ok(QueueMode::Backoff),
        _ => Err(bad(&format!("'{v}' is not a mode (normal or backoff)"))),
    }
}

fn sort(v: &str) -> Result<Sort, HttpError> {
    match v {
        "name" => Ok(Sort::Name),
        "rcpt" => Ok(Sort::Rcpts),
        "size" => Ok(Sort::Kbytes),
        _ => Err(bad(&format!("'{v}' is not an order (name, rcpt or size)"))),
    }
}

fn number(v: &str, what: &str) -> Result<u64, HttpError> {
    v.parse()
        .map_err(|_| bad(&format!("{what}={v} is not a number")))
}

/// `90`, `90s`, `15m`, `2h`, `3d`.
fn duration(v: &str) -> Result<u64, HttpError> {
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n = number(digits, "--older-than")?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(bad(&format!(
                "--older-than={v} is not a time (like 90s, 15m, 2h, 3d)"
            )));
        }
    };
    Ok(n * mult)
}

fn bad(msg: &str) -> HttpError {
    HttpError::BadRequest(msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_parse_with_abbreviations() {
        let p = |s: &str| QueuePattern::parse(s).unwrap();
        assert_eq!(
            parse("pause queue a.test").unwrap(),
            Verb::Change(Action::Pause(p("a.test")))
        );
        assert_eq!(
            parse("res q */vm").unwrap(),
            Verb::Change(Action::Resume(p("*/vm")))
        );
        assert_eq!(parse("reload").unwrap(), Verb::Change(Action::Reload));
        assert_eq!(
            parse("set queue --mode=backoff b.test/*").unwrap(),
            Verb::Change(Action::SetMode(p("b.test/*"), QueueMode::Backoff))
        );
        assert_eq!(
            parse("delete --queue=c.test --older-than=2h").unwrap(),
            Verb::Change(Action::Delete {
                pattern: p("c.test"),
                older_than_secs: Some(7200)
            })
        );
        assert_eq!(parse("sh stat").unwrap(), Verb::Read(Query::Status));
        let Verb::Read(Query::Queues(q)) = parse("show topq --maxitems=3 --paused=yes").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (q.sort, q.max_items, q.paused),
            (Sort::Rcpts, 3, Some(true))
        );
        assert_eq!(
            parse("domain detail x.test").unwrap(),
            Verb::Read(Query::DomainDetail("x.test".into()))
        );
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        for (text, says) in [
            ("", "missing"),
            ("frobnicate", "not one of"),
            ("s", "ambiguous"),
            ("pause queue", "missing"),
            ("set queue a.test", "--mode"),
            ("delete", "--queue"),
            ("show queues --colour=red", "unknown option"),
            ("show settings", "missing"),
            ("delete --queue=a --older-than=soon", "not a"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
