//! Command words checked before clap sees them, so a mistyped or missing verb never gets a
//! misleading answer (clap's own hint offers `pause` for `status` and `resume` for
//! `resolve`).
//!
//! A word that is neither a verb nor a unique prefix of one is answered, in this order:
//! PowerMTA's verbs that pmtactl does not have are named as such with where to look instead;
//! otherwise the closest real verb by edit distance (within a threshold), also one level
//! down (`status` → `show status`); otherwise no guess at all.

use clap::Command;

/// PowerMTA `pmta` verbs (top level, or under `show`) that pmtactl lacks, with the pointer.
const POWERMTA_ONLY: &[(&str, &str, &str)] = &[
    (
        "",
        "trace",
        "use `pmtactl domain detail DOMAIN` and `pmtactl tail logs -f --domain DOMAIN`",
    ),
    (
        "",
        "resolve",
        "`pmtactl domain detail DOMAIN` shows the MX hosts, addresses and ports in use",
    ),
    (
        "",
        "rotate",
        "pmtad rotates its log and accounting files itself (midnight UTC, max-size)",
    ),
    (
        "",
        "reset",
        "the traffic counters of `show status` start when pmtad starts",
    ),
    (
        "",
        "clear",
        "pmtad keeps DNS answers for their TTL; restart pmtad to drop the cache",
    ),
    ("", "check", "check SPF with a DNS tool (`dig TXT DOMAIN`)"),
    ("", "digest", "see pmtactl(8)"),
    ("", "register", "there is no management console"),
    ("", "deregister", "there is no management console"),
    ("", "disable", "see pmtactl(8)"),
    ("", "enable", "see pmtactl(8)"),
    (
        "show",
        "vmta-settings",
        "`pmtactl show vmtas` and `pmtactl show settings DOMAIN/VMTA`",
    ),
    ("show", "license", "pmtad needs no license"),
    ("show", "registration", "pmtad needs no license"),
    (
        "show",
        "disabled",
        "`pmtactl domain detail DOMAIN` shows the disabled source IPs",
    ),
    ("show", "precache", "see pmtactl(8)"),
];

/// Checks the command words of `args` (`args[0]` is the program) against `cmd`; `Err` is
/// the message for a word that names no verb.
pub fn check(cmd: &Command, args: &[String]) -> Result<(), String> {
    let mut cmd = cmd;
    let mut path: Vec<&str> = Vec::new();
    let mut rest = args.iter().skip(1);
    while let Some(word) = next_word(cmd, &mut rest) {
        if !cmd.has_subcommands() {
            return Ok(());
        }
        match resolve(cmd, word) {
            Found::One(sub) => {
                path.push(sub.get_name());
                cmd = sub;
            }
            Found::Ambiguous => return Ok(()),
            Found::None => return Err(unknown(cmd, &path, word)),
        }
    }
    Ok(())
}

/// The next positional word, skipping options and the values of options that take one
/// (`--socket PATH`); `--` ends the words.
fn next_word<'a>(cmd: &Command, rest: &mut impl Iterator<Item = &'a String>) -> Option<&'a str> {
    while let Some(a) = rest.next() {
        if a == "--" {
            return None;
        }
        if let Some(long) = a.strip_prefix("--") {
            if !long.contains('=') && takes_value(cmd, long) {
                rest.next();
            }
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            continue;
        }
        return Some(a);
    }
    None
}

fn takes_value(cmd: &Command, long: &str) -> bool {
    cmd.get_arguments()
        .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
}

enum Found<'a> {
    One(&'a Command),
    Ambiguous,
    None,
}

/// A subcommand by name, alias, or unique prefix (clap's `infer_subcommands`).
fn resolve<'a>(cmd: &'a Command, word: &str) -> Found<'a> {
    let names = |c: &'a Command| std::iter::once(c.get_name()).chain(c.get_all_aliases());
    if let Some(sub) = cmd.get_subcommands().find(|c| names(c).any(|n| n == word)) {
        return Found::One(sub);
    }
    let mut hits = cmd
        .get_subcommands()
        .filter(|c| names(c).any(|n| n.starts_with(word)));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Found::One(one),
        (Some(_), Some(_)) => Found::Ambiguous,
        _ => Found::None,
    }
}

/// The message for `word` under `path`.
fn unknown(cmd: &Command, path: &[&str], word: &str) -> String {
    let parent = path.join(" ");
    let full = |w: &str| {
        if parent.is_empty() {
            w.to_string()
        } else {
            format!("{parent} {w}")
        }
    };
    if let Some((_, verb, see)) = POWERMTA_ONLY
        .iter()
        .find(|(p, v, _)| *p == parent && word.eq_ignore_ascii_case(v))
    {
        return format!(
            "PowerMTA's `{}` is not available in pmtactl; {see} (README: Coming from PowerMTA)",
            full(verb)
        );
    }
    let mut msg = format!("unknown command `{}`", full(word));
    if let Some(guess) = closest(cmd, word) {
        msg.push_str(&format!("; did you mean `{}`?", full(&guess)));
    }
    msg.push_str(&format!(
        "\n(`pmtactl {}--help` lists the commands)",
        prefix(&parent)
    ));
    msg
}

fn prefix(parent: &str) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!("{parent} ")
    }
}

/// The nearest verb by edit distance, this level first, then one level down.
fn closest(cmd: &Command, word: &str) -> Option<String> {
    let here: Vec<&str> = cmd.get_subcommands().map(Command::get_name).collect();
    if let Some(c) = config::suggest(word, here.iter().copied()) {
        return Some(c.to_string());
    }
    let below: Vec<(String, &str)> = cmd
        .get_subcommands()
        .flat_map(|c| {
            c.get_subcommands()
                .map(move |s| (c.get_name(), s.get_name()))
        })
        .map(|(p, s)| (format!("{p} {s}"), s))
        .collect();
    let pick = config::suggest(word, below.iter().map(|(_, s)| *s))?;
    below
        .iter()
        .find(|(_, s)| *s == pick)
        .map(|(full, _)| full.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;

    fn run(args: &[&str]) -> Result<(), String> {
        let args: Vec<String> = std::iter::once("pmtactl")
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect();
        check(&Cli::full_command(), &args)
    }

    #[test]
    fn verbs_prefixes_and_options_pass() {
        for ok in [
            &["show", "dom", "a.com"][..],
            &["--socket", "/x", "sch", "*/*"],
            &["--json", "show", "queue"],
            &["pause", "queue", "gmail.com"],
            &["s"],
        ] {
            assert_eq!(run(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn powermta_verbs_are_named_as_such() {
        let e = run(&["trace", "gmail.com"]).unwrap_err();
        assert!(
            e.starts_with(
                "PowerMTA's `trace` is not available in pmtactl; use `pmtactl domain detail"
            ),
            "{e}"
        );
        let e = run(&["show", "license"]).unwrap_err();
        assert!(e.starts_with("PowerMTA's `show license`"), "{e}");
        let e = run(&["reset", "counters"]).unwrap_err();
        assert!(e.starts_with("PowerMTA's `reset`"), "{e}");
    }

    #[test]
    fn suggestions_come_from_real_verbs_within_a_threshold() {
        let e = run(&["status"]).unwrap_err();
        assert!(e.contains("did you mean `show status`?"), "{e}");
        let e = run(&["relaod"]).unwrap_err();
        assert!(e.contains("did you mean `reload`?"), "{e}");
        let e = run(&["show", "vmtsa"]).unwrap_err();
        assert!(e.contains("did you mean `show vmtas`?"), "{e}");
        let e = run(&["frobnicate"]).unwrap_err();
        assert!(e.starts_with("unknown command `frobnicate`\n"), "{e}");
    }
}
