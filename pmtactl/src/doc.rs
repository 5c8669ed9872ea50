//! Reference text for `--help` and the man page (clap_mangen renders `after_long_help`).
//!
//! The JSON schema below is a promise to scripts: the `--json` output of each verb is the
//! serde form of the named `proto` type, and tests pin its field names.

/// The sections after the options of `pmtactl --help` and pmtactl(8): exit status, output,
/// the JSON schema and examples, in the plain-text layout of [`config::roff::help_sections`]
/// (lines of at most 75 columns, so verbatim blocks fit a terminal in man(1)).
pub const AFTER_LONG_HELP: &str = "\
EXIT STATUS
  0  success (also when the reader of a pipe goes away:
     `pmtactl tail logs -f | head`). pause queue and set queue also exit 0
     when their pattern names no configured or queued domain or virtual
     MTA: the order is kept (it holds such queues once they exist), and a
     warning with the closest known name goes to stderr and into the JSON
     answer's `warning`
  1  the daemon refused or the command failed: reload or test config found
     errors (each one is printed as FILE:LINE:COLUMN: message), no queue
     matched, protocol mismatch, timeout, domain detail of a domain that is
     neither configured nor queued (with the closest known name)
  2  usage error (unknown verb or option, bad pattern, bad duration); an
     unknown verb is answered with the closest real verb, if one is
     close, and a PowerMTA verb pmtactl lacks (trace, resolve, reset,
     clear, rotate, ...) is named as such with where to look instead
  3  the daemon is not reachable: no socket at the path (not running, or
     wrong --socket / control-socket), nothing listening (stale socket),
     or permission denied (run as root, as the daemon's user, or as a
     member of the socket's group)

OUTPUT
  On a terminal, tables; when piped, plain whitespace-aligned columns with
  a header line and no box characters or colour (NO_COLOR also turns
  colour off on a terminal). --format table|plain|json forces one. Times
  are RFC 3339 UTC in JSON and shown as ages in tables.

JSON OUTPUT
  --json works on every verb; field names are stable, new fields may be
  added. One document, indented on a terminal and on one line when piped.
  Conventions: snake_case names; sizes in `kbytes` (KiB, rounded up);
  durations in `*_secs`; times are RFC 3339 UTC strings; `null` means
  none, or unlimited for limits (`max_smtp_out`, `max_smtp_out_per_ip`,
  `maximum`); enums are snake_case strings.
  show status    {host_name, daemon_version, time_now, started_at,
                  uptime_secs, state: running|shutting_down,
                  traffic: {total, last_hour, last_minute:
                            {inbound, outbound: {rcpts, msgs, kbytes}}},
                  connections: {inbound, outbound:
                                {active, top, maximum}},
                  queues: {rcpts, msgs, kbytes, domains, queues,
                           paused_queues, backoff_queues},
                  spool: {path, messages, kbytes_used, kbytes_free,
                          kbytes_min_free, intake_refused_since: TIME|null,
                          recovered, fsyncs, unsynced_completions,
                          recovered_unclean, body_cache: {kbytes,
                          kbytes_budget, messages, hits, misses}},
                  inbound_refused (connections told 421 4.3.2 since start),
                  source_groups: [{name, active, top, maximum, reserved,
                                   refused}],
                  returnpath: {bounces_matched, bounces_unmatched,
                               feedback_matched, feedback_unmatched,
                               rejected} (reports since start)}
  show domains   {domains: [{domain, rcpts, kbytes, connections, queues,
                  paused_queues, backoff_queues, oldest_age_secs,
                  last_error: EVENT|null}], total_matching}
  show queues    {queues: [{domain, vmta, rcpts, kbytes, connections,
                  paused, mode: normal|backoff, oldest_age_secs,
                  next_retry, last_error}], total_matching}
  show vmtas     {vmtas: [{name, domains, rcpts, kbytes, connections,
                  source_ip, host_name, warmup: {day_of_use,
                  used_today}|null}], total_matching}; warmup is set for
                  a cold-virtual-mta that has carried mail
  domain detail  {domain, rcpts, kbytes, verdict: VERDICT,
                  rollup: NAME|null (the MX rollup the domain's mail is
                  queued in; queues are then the rollup's),
                  members: [DOMAIN] (for a rollup or queue-to name),
                  queues: [{domain, vmta, rcpts,
                  kbytes, oldest_age_secs, next_retry, paused, mode,
                  connections: {active, max_smtp_out,
                                max_smtp_out_per_ip,
                                per_ip: [{ip, host, active}]},
                  held_back: [{kind, detail, until}],
                  destinations: {source, hosts: [{preference, host,
                                 port, addresses: [IP]}],
                                 resolved_at, error},
                  recent_errors: [EVENT], recent_deliveries: [EVENT],
                  settings: [SETTING], verdict: VERDICT}]}
                 VERDICT: {state: sending|not_sending|idle, reason:
                  held_back kind|null, line, next_attempt}; line is the
                  first line of the text output: SENDING, NOT SENDING:
                  REASON — next attempt HH:MM:SS UTC, or IDLE: nothing
                  queued. held_back has one entry per kind, the reason
                  that binds first first; recent_errors holds retry
                  errors and bounces (kind bounced, with category).
                  Text output omits empty sections; settings are
                  printed with --settings only (always in JSON)
                 source: mx | implicit_mx | route | resolve_to | local |
                  unresolved
                 held_back kind: connection_limit | per_ip_limit |
                  vmta_connection_limit | delivery_interval | rate_limit |
                  paused | retry_wait | backoff | dns_failure |
                  tls_required_not_offered | connect_failure | other
  show settings  {domain, vmta, vmta_settings: [SETTING],
                  queue_settings: [SETTING]}
  reload         {config_file, warnings: [DIAGNOSTIC]}
  test config    {config_file, errors: [DIAGNOSTIC],
                  warnings: [DIAGNOSTIC]}
  pause, resume, schedule, set queue
                 {pattern, matched, changed, warning: null|TEXT}
  show paused    {rules: [{action: pause|resume|backoff|normal, pattern,
                  queues, rcpts}]}; oldest first, the last rule matching
                  a queue decides it; queues/rcpts: what it decides now
  delete         {deleted, next_cursor: null} (also delete --job=ID)
  show cluster   {node, redis, nodes: [{id, heartbeat_age_ms, alive,
                  version, queues, connections}], limits: [{queue,
                  max_smtp_out, connections, per_node: [{node,
                  connections}]}],
                  paused: [PATTERN]}; nodes: newest heartbeat first,
                  seen in the last hour, alive: a heartbeat within 15 s;
                  limits: each cluster-max-smtp-out with its live leases;
                  paused: the fleet-wide pauses (pause queue --cluster);
                  redis: cluster-redis-url, its password as ***
  show jobs      {jobs: [JOB]}; show job ID: one JOB
  pause job, resume job
                 {job, changed, messages}; messages: taken out of the
                  queues (pause) or given back to them (resume)
  show bounces, show feedback
                 {reports: [REPORT], by_domain: [{domain, category,
                  reports}]}; reports newest first (--last N, default
                  50, of the last 1000 kept; --domain, --category);
                  by_domain counts the listed reports, most first
  REPORT         {at, rcpt, domain, category, status, diag, format,
                  matched, job_id, vmta, message_id, reporter, rejected,
                  disposition, action}; category: bounceCat (bounces) or
                  feedback type (abuse, fraud, ...); format: dsn, gmail,
                  microsoft, qmail, arf, jmrp; matched: the X-Pmtad-Ref
                  stamp verified (an rb/f record was written); rejected:
                  null, or malformed|too-large|loop|no-report;
                  disposition: discarded | delivered to ADDRESS;
                  action: failed (rb record) | delayed | delivered |
                  relayed | expanded (rs record) | complained
  JOB            {job, queued, delivered, bounced, deferred, kbytes,
                  first_seen, last_seen, paused}; queued/kbytes: in the
                  spool now; delivered/bounced/deferred: since pmtad
                  started (deferred counts temporary failures)
  list           {items: [{message_id, rcpt, sender, domain, vmta,
                  queued_at, age_secs, kbytes, attempts, next_retry,
                  last_error}], next_cursor}
  tail logs      one object per line (JSON Lines):
                  {seq, at, domain, text}
  version        {client_version, client_protocol, daemon: {product,
                  daemon_version, protocol, host_name, started_at}}
  EVENT          {at, kind: delivered|deferred|bounced|connection_error|
                  dns_error|tls_error, vmta, rcpt, remote_host,
                  remote_ip, diag, category, failure}; category: the
                  bounce category of a failure (bad-mailbox, ...), null
                  for a delivery; failure: where the attempt failed,
                  one of dns|connect|tls|greeting|mail|rcpt|data|
                  policy|local_command (null for a delivery), as
                  recorded by the step that failed, never read from the
                  diag text; kind follows from it: bounced for a final
                  failure, else dns -> dns_error, connect ->
                  connection_error, tls -> tls_error, others deferred
  SETTING        {name, value, origin}; origin is \"default\" or
                  \"FILE:LINE\"
  DIAGNOSTIC     {file, line, column, message}
  On failure     {error: {kind, message, diagnostics: [DIAGNOSTIC]}}
                  with exit status 1 or 3; kind is one of no_such_queue,
                  no_such_domain, invalid_request, config_rejected,
                  config_invalid, permission_denied, shutting_down,
                  failed, protocol_mismatch, timeout, unreachable

EXAMPLES
  Queues holding more than 1000 recipients (for a dashboard or a check):
    pmtactl show queues --maxitems=0 --json | jq -r '.queues[]
      | select(.rcpts > 1000) | \"\\(.domain)/\\(.vmta) \\(.rcpts)\"'
  Fail (exit 1) when any recipient has waited more than a day:
    pmtactl show queues --maxitems=0 --json | jq -e '[.queues[]
      | select(.oldest_age_secs > 86400)] | length == 0'
  Every night at 03:30, delete what has been queued for more than five
  days (a line of /etc/cron.d/pmtad; each deleted recipient gets a `b`
  accounting record, and the JSON answer says how many):
    30 3 * * * pmtad pmtactl delete --queue='*/*' --older-than=5d --json
  Hold a domain during an incident, look at it, let it go (the pause is
  kept as the pattern: it also holds queues created later, e.g. by mail
  for another virtual MTA, and survives a restart):
    pmtactl pause queue 'gmail.com/*'
    pmtactl show paused
    pmtactl domain detail gmail.com
    pmtactl resume queue 'gmail.com/*'
  Hold a domain on every node of the fleet (cluster-redis-url), see each
  node take it up, let it go (stored in Redis: it survives restarts):
    pmtactl pause queue 'yahoo.com/*' --cluster
    pmtactl show cluster
    pmtactl resume queue 'yahoo.com/*' --cluster
  A campaign (mail with `X-Job: c42` from a source with process-x-job
  yes) that must not go out: hold it, look, then delete what is queued
  (each recipient gets a `b` record with jobId c42):
    pmtactl pause job c42
    pmtactl show job c42
    pmtactl delete --job=c42
  Apply a new configuration only if it is valid:
    pmtactl test config /etc/pmtad/pmta.conf && pmtactl reload
  Follow one domain's deliveries:
    pmtactl tail logs -f --domain gmail.com
  In a script, tell a stopped daemon (3) from a refused command (1):
    pmtactl show status --json >/dev/null
    case $? in 0) ;; 3) echo 'pmtad is not running' ;; *) exit 1 ;; esac

SEE ALSO
  pmtad(8), pmta.conf(5)
";

/// pmtactl(8) in roff, rendered from the clap definitions: synopsis and global options,
/// COMMANDS with every verb (its description, synopsis and options), then the sections of
/// [`AFTER_LONG_HELP`] (exit status, output, JSON schema, examples).
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = crate::cli::Cli::full_command();
    let man = clap_mangen::Man::new(cmd.clone()).section("8");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    out.extend_from_slice(format!(".SH SYNOPSIS\n{}\n", synopsis("pmtactl", &cmd)).as_bytes());
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(COMMANDS_INTRO.as_bytes());
    for sub in cmd.get_subcommands() {
        render_verb(&mut out, &[], sub)?;
    }
    out.extend_from_slice(config::roff::help_sections(AFTER_LONG_HELP).as_bytes());
    Ok(out)
}

const COMMANDS_INTRO: &str = ".SH COMMANDS\n\
Command words may be abbreviated to a unique prefix, as with PowerMTA\\(aqs \\fBpmta\\fR \
(\\fBshow dom\\fR, \\fBsch\\fR). The global options above may follow any verb.\n";

/// One `.SS` per leaf verb: description, synopsis, and its own options (the global ones and
/// `--help` are described once, above).
fn render_verb(
    out: &mut Vec<u8>,
    parents: &[&clap::Command],
    cmd: &clap::Command,
) -> std::io::Result<()> {
    let mut path: Vec<&clap::Command> = parents.to_vec();
    path.push(cmd);
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands() {
            render_verb(out, &path, sub)?;
        }
        return Ok(());
    }
    let words: Vec<&str> = path.iter().map(|c| c.get_name()).collect();
    let full = format!("pmtactl {}", words.join(" "));
    let verb = cmd.clone().bin_name(&full).disable_help_flag(true);
    let man = clap_mangen::Man::new(verb).section("8");
    out.extend_from_slice(format!(".SS \"{full}\"\n").as_bytes());
    for about in descriptions(parents.last().copied(), cmd) {
        let text = config::roff::escape(&about);
        out.extend_from_slice(format!("{text}\n.PP\n").as_bytes());
    }
    out.extend_from_slice(format!("{}\n", synopsis(&full, cmd)).as_bytes());
    let mut part = Vec::new();
    if cmd.get_arguments().next().is_some() {
        man.render_options_section(&mut part)?;
    }
    out.extend_from_slice(&without_headings(&part));
    Ok(())
}

/// A synopsis line with every option's value placeholder (`[--socket PATH]`,
/// `--queue DOMAIN[/VMTA]`) and the operands (`PATTERN`, `[FILE]`), in roff. clap_mangen's
/// own synopsis names the options only, which reads as if they took no value.
fn synopsis(bin: &str, cmd: &clap::Command) -> String {
    let mut words = vec![format!("\\fB{}\\fR", config::roff::escape(bin))];
    let args: Vec<&clap::Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    for a in args.iter().filter(|a| !a.is_positional()) {
        words.push(option_word(a));
    }
    for a in args.iter().filter(|a| a.is_positional()) {
        let name = format!("\\fI{}\\fR", config::roff::escape(&value_name(a)));
        let many = if a.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "..."
        } else {
            ""
        };
        words.push(if a.is_required_set() {
            format!("{name}{many}")
        } else {
            format!("[{name}{many}]")
        });
    }
    if cmd.has_subcommands() {
        words.push("\\fICOMMAND\\fR".into());
    }
    words.join(" ")
}

/// The placeholder of an option's value or an operand: its value name, else its id.
fn value_name(a: &clap::Arg) -> String {
    a.get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| a.get_id().to_string().to_uppercase(), |v| v.to_string())
}

/// `[-n N|--lines N]`, `--queue DOMAIN[/VMTA]`, `[--json]`.
fn option_word(a: &clap::Arg) -> String {
    let mut names = Vec::new();
    if let Some(s) = a.get_short() {
        names.push(format!("\\fB\\-{s}\\fR"));
    }
    if let Some(l) = a.get_long() {
        names.push(format!(
            "\\fB{}\\fR",
            config::roff::escape(&format!("--{l}"))
        ));
    }
    let value = if a.get_action().takes_values() {
        format!(" \\fI{}\\fR", config::roff::escape(&value_name(a)))
    } else {
        String::new()
    };
    let word = names
        .iter()
        .map(|n| format!("{n}{value}"))
        .collect::<Vec<_>>()
        .join("|");
    if a.is_required_set() {
        word
    } else {
        format!("[{word}]")
    }
}

/// What a verb does: its own text, preceded by its parent's when the parent has no other
/// verb (`pause` says what `pause queue` does; `queue` says what it matches).
fn descriptions(parent: Option<&clap::Command>, cmd: &clap::Command) -> Vec<String> {
    let about = |c: &clap::Command| c.get_long_about().or(c.get_about()).map(|s| s.to_string());
    let mut out = Vec::new();
    if let Some(p) = parent.filter(|p| p.get_subcommands().count() == 1) {
        out.extend(about(p));
    }
    out.extend(about(cmd).filter(|a| !out.contains(a)));
    out
}

/// A clap_mangen section fragment as the body of a `.SS`: no `.SH` headings and no repeated
/// string definitions (the title defined them once).
fn without_headings(roff: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(roff);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with(".SH ") || line.starts_with(".ie ") || line.starts_with(".el ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// One shell's completion script for pmtactl.
pub fn completion(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = crate::cli::Cli::full_command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pmtactl", &mut out);
    out
}

/// Every document generated from pmtactl's definitions: (path in the repository, contents).
/// Completions are named as each shell looks for them once installed.
pub fn generated_files() -> std::io::Result<Vec<(&'static str, Vec<u8>)>> {
    use clap_complete::Shell;
    Ok(vec![
        ("man/pmtactl.8", man_page()?),
        ("contrib/completions/bash/pmtactl", completion(Shell::Bash)),
        ("contrib/completions/zsh/_pmtactl", completion(Shell::Zsh)),
        (
            "contrib/completions/fish/pmtactl.fish",
            completion(Shell::Fish),
        ),
    ])
}

#[cfg(test)]
mod man_tests {
    /// The committed man page and completions are what the code generates.
    #[test]
    fn committed_docs_match_the_code() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        for (path, generated) in super::generated_files().unwrap() {
            let committed = std::fs::read(format!("{root}/{path}")).unwrap_or_default();
            assert!(
                committed == generated,
                "{path} differs from what pmtactl's clap definitions generate: run \
                 scripts/gen-docs and commit the result"
            );
        }
    }

    /// The committed bash script really completes in bash: `pmtactl sh<TAB>` offers `show`,
    /// `pmtactl show <TAB>` offers its verbs.
    #[test]
    fn bash_completes_verbs() {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../contrib/completions/bash/pmtactl"
        );
        let complete = |words: &str| {
            let prog = format!(
                "source {script}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
                 _pmtactl pmtactl \"${{COMP_WORDS[-1]}}\" x; echo \"${{COMPREPLY[@]}}\""
            );
            let out = std::process::Command::new("bash")
                .args(["-c", &prog])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(complete("pmtactl sh").trim(), "show");
        assert!(complete("pmtactl show ''").contains("topdomains"));
    }

    /// Verbatim blocks keep their shape in man(1) only if they fit 75 columns.
    #[test]
    fn help_lines_fit_a_terminal() {
        for line in super::AFTER_LONG_HELP.lines() {
            assert!(line.len() <= 75, "too wide for man(1): {line}");
        }
    }

    #[test]
    fn the_page_documents_every_verb_and_shows_cron_and_jq_use() {
        let page = String::from_utf8(super::man_page().unwrap()).unwrap();
        for verb in [
            "show status",
            "show domains",
            "show queues",
            "show vmtas",
            "show settings",
            "domain detail",
            "reload",
            "test config",
            "pause queue",
            "resume queue",
            "schedule",
            "set queue",
            "delete",
            "list",
            "tail logs",
            "version",
        ] {
            assert!(page.contains(&format!(".SS \"pmtactl {verb}\"")), "{verb}");
        }
        assert!(page.contains("| jq "), "a jq example");
        assert!(
            page.contains("30 3 * * * pmtad pmtactl delete"),
            "a cron example"
        );
    }
}
