//! Reference text of `pmtad --help`, and the generated documents: pmtad(8) in roff
//! (clap_mangen for the name, options and commands; [`AFTER_LONG_HELP`] for the rest) and
//! the bash, zsh and fish completions (clap_complete).
//!
//! `scripts/gen-docs` writes [`generated_files`] into the repository; a test fails when a
//! committed copy differs from what the code generates.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, USAGE};

/// DESCRIPTION of pmtad(8) and the head of `pmtad --help`.
pub const LONG_ABOUT: &str = "\
pmtad accepts mail from feeders over SMTP, stores each message durably in its spool \
(the 250 reply is sent only once the message is on disk and fsynced), queues it per \
(recipient domain, virtual MTA), and delivers it to each domain's MX hosts under \
per-domain policy: connection limits, routes, TLS, DKIM, retries, bounces, local delivery \
through a command, and accounting records. Its configuration file uses PowerMTA's syntax \
(pmta.conf(5)); pmtactl(8) controls the running daemon.";

/// The sections after OPTIONS in `pmtad --help` and pmtad(8), in the plain-text layout of
/// [`config::roff::help_sections`]. It describes the code: the exit statuses are
/// [`super::EXIT_CONFIG`] and those of [`super::actions`], the signals those of
/// [`crate::lifecycle`], the drain time [`crate::daemon`]'s.
pub const AFTER_LONG_HELP: &str = "\
RUN MODE
  With no action, pmtad runs the daemon in the foreground (it does not
  fork; run it under a supervisor, e.g. contrib/pmtad.service). Start-up,
  in order: load FILE (on any error print every one as FILE:LINE:COLUMN:
  message and exit 64, nothing bound); bind the control socket (refused
  while another pmtad answers on it); create the spool, log and
  accounting directories; open the spool and recover every message in it
  into the queues; open the smtp-listener addresses. pmtad then prints one
  line per listener, and one when it is ready, on standard output:
    pmtad: listening smtp 127.0.0.1:25
    pmtad: ready
  From then on it accepts and delivers mail until SIGTERM. It writes its
  events to log-file, delivery events to the log-domain files and records
  to the <acct-file> files; `pmtactl tail logs` shows the recent events.
  Resources stay bounded: while the spool's file system has less free
  space than <spool> min-free-space (or a spool write found it full),
  new mail is refused with 452 4.3.1 and delivery goes on; the start and
  the end are logged once each (main log and standard error), `pmtactl
  show status` shows \"intake refused: spool full since TIME\", and intake
  resumes by itself once 1 MiB more than min-free-space is free again.
  A <source> without max-message-size takes 10 MiB (PowerMTA: unlimited),
  refused with 552 5.3.4 at SIZE= and at the end of DATA.

HTTP MANAGEMENT INTERFACE
  With `http-mgmt-port` set, pmtad also serves HTTP/1.1 on that address
  (a bare port means 127.0.0.1 only; HTTPS with `http-tls-certificate`,
  a plain request then redirected to https:// unless
  `http-redirect-to-https no`) and prints
    pmtad: listening http 127.0.0.1:8080
  before `ready`. Every answer comes from the same code as pmtactl's:
    GET /status /domains /queues /vmtas         PowerMTA's web monitor API
    GET /domainDetail?domain=NAME               a domain, its queues, why
    GET /queueDetail?queue=DOMAIN/VMTA          each is held back, settings
    GET /jobs  /jobDetail?jobid=ID              jobs (pmtactl show jobs)
    GET /logs?maxitems=N&domain=D&cursor=C      recent main-log lines
    POST /command  command=TEXT                 a pmtactl command line
    GET /metrics                                Prometheus (OpenMetrics)
    GET /                                       the web monitor page
  Add format=json (the default; {\"data\":...,\"status\":\"success\"}) or
  format=xml (<rsp><data>...</data><succ/></rsp>); /domains and /queues
  take maxitems=N, sort=name|rcpt|size, /queues also queue=PATTERN,
  paused=yes|no, mode=normal|backoff. Who may do what is decided per
  request by `http-access` (the longest matching CIDR; none, monitor,
  operator, admin; no match is 403) or an `http-api-key` sent as
  X-API-Key (admin). /command needs operator for `show ...` and admin for
  changes (pause, resume, schedule, set queue, reload, delete). Unknown
  paths are 404, bad parameters 400, request bodies over 64 KiB 413; a
  client gets 10 s for its request head and body; at most 512 connections
  are open at once, and a new client past that closes the oldest one that
  has no request being answered (idle clients never keep a new one out).
  A reload that changes http-mgmt-port binds the new address first and
  keeps the old listener if it cannot; a reload reads http-tls-certificate
  again, and one whose certificate cannot be used fails.

SIGNALS
  SIGHUP   reload, like `pmtactl reload`: re-read the configuration file;
           on any error keep the running configuration and write each error
           to log-file (`pmtactl reload` also prints them). A successful
           reload reopens log-file, the log-domain files and the accounting
           files; it never resumes a paused queue.
  SIGTERM  stop gracefully (SIGINT too): the listeners and the control
           socket close, SMTP sessions and deliveries in flight get up to
           10 seconds each to finish, the accounting files and logs are
           flushed, and the spool is closed. Messages still queued are
           delivered after the next start (even after kill -9: a 250 means
           the message was on disk).

EXIT STATUS
  0   stopped by SIGTERM or SIGINT; --check-config found the file valid;
      --show-settings or spool list printed their answer
  1   --check-config found errors; --show-settings or spool list could
      not load the configuration, or the virtual MTA or the spool does
      not exist; in run mode, start-up failed after the configuration
      loaded (another pmtad answers on the control socket or holds the
      spool's lock, a listener address cannot be bound, the spool cannot
      be opened)
  2   usage error (unknown option, missing value)
  64  run mode: the configuration file has errors; nothing was bound
  73  run mode: a directory or file of the configuration (spool, log,
      accounting, control socket) cannot be created or written: permission
      denied, read-only file system; no SMTP listener was opened
      (sysexits EX_CANTCREAT; the systemd unit does not restart on 64 or
      73)

FILES
  /etc/pmtad/pmta.conf      the configuration (--config)
  /var/spool/pmtad/         the spool (`spool`); its paused-queues file
                            keeps the pauses of `pmtactl pause queue`, its
                            paused-jobs file those of `pause job`, and
                            its lock file keeps a second pmtad out
  /run/pmtad/control.sock   the control socket pmtactl talks to
                            (`control-socket`; mode 0660; its directory is
                            created when missing)
  /var/log/pmtad/pmtad.log  the main log (`log-file`), rotated by pmtad at
                            midnight UTC, keeping `log-rotate` (8) old
                            generations: pmtad.log.1, pmtad.log.2, ...
  <acct-file D/acct.csv>    accounting CSV, written as
                            D/acct-YYYY-MM-DD-NNNN.csv: pmtad starts a new
                            file at midnight UTC and at `max-size`, moves
                            finished ones to `move-to`, or else deletes
                            them after `delete-after` (8d)
  log-domain D/%d.log       delivery events per recipient domain; pmtad
                            does not rotate these (see
                            contrib/logrotate.d/pmtad)
  Relative paths in the configuration are relative to the directory of
  the file that names them.

EXAMPLES
  Check a configuration before installing it (also `pmtactl test config`):
    pmtad --config /etc/pmtad/pmta.conf.new --check-config
  Why does gmail.com through virtual MTA mta1 behave as it does:
    pmtad --show-settings gmail.com/mta1
  Run in the foreground on a checkout's example (state in examples/var/):
    pmtad --config examples/pmta.conf
  Poll it over HTTP (with `http-mgmt-port 8080`), or scrape it:
    curl -s 'http://127.0.0.1:8080/status?format=json' | jq .data.status
    curl -s http://127.0.0.1:8080/metrics
  Reload the configuration of a running daemon, or stop it:
    systemctl reload pmtad      # or: pmtactl reload; kill -HUP PID
    systemctl stop pmtad        # or: kill -TERM PID
  List what a stopped daemon left in its spool:
    pmtad spool list --json | jq -r '.[] | \"\\(.id) \\(.recipients|length)\"'

SEE ALSO
  pmta.conf(5), pmtactl(8), systemd.service(5)
";

/// pmtad(8) in roff.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone()).section("8");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    out.extend_from_slice(synopsis().as_bytes());
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(commands(&cmd).as_bytes());
    out.extend_from_slice(config::roff::help_sections(AFTER_LONG_HELP).as_bytes());
    Ok(out)
}

/// SYNOPSIS from [`USAGE`], one form per line, the program name in bold.
fn synopsis() -> String {
    let mut out = String::from(".SH SYNOPSIS\n");
    for (i, form) in USAGE.lines().enumerate() {
        let rest = form.trim().strip_prefix("pmtad").unwrap_or(form);
        if i > 0 {
            out.push_str(".br\n");
        }
        out.push_str(&format!("\\fBpmtad\\fR{}\n", config::roff::escape(rest)));
    }
    out
}

/// COMMANDS: each leaf subcommand with its description and options.
fn commands(cmd: &clap::Command) -> String {
    let mut out = String::from(".SH COMMANDS\n");
    for group in cmd.get_subcommands() {
        for leaf in group.get_subcommands() {
            let name = format!("{} {}", group.get_name(), leaf.get_name());
            let about = leaf
                .get_long_about()
                .or(leaf.get_about())
                .map(ToString::to_string)
                .unwrap_or_default();
            out.push_str(&format!(".TP\n\\fB{name}\\fR"));
            for arg in leaf.get_arguments().filter(|a| a.get_long().is_some()) {
                let long = arg.get_long().unwrap_or_default();
                out.push_str(&format!(" [\\fB\\-\\-{long}\\fR]"));
            }
            out.push_str(&format!("\n{}\n", config::roff::escape(&about)));
            for arg in leaf.get_arguments().filter(|a| a.get_long().is_some()) {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                let long = arg.get_long().unwrap_or_default();
                let help = config::roff::escape(&help);
                out.push_str(&format!(".RS\n.TP\n\\fB\\-\\-{long}\\fR\n{help}\n.RE\n"));
            }
        }
    }
    out
}

/// One shell's completion script for `cmd`.
pub fn completion(shell: Shell, mut cmd: clap::Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    out
}

/// Where the completion script of `program` for `shell` lives in the repository (named as
/// each shell looks for it once installed: `pmtad`, `_pmtad`, `pmtad.fish`).
pub fn completion_path(program: &str, shell: Shell) -> String {
    let file = match shell {
        Shell::Zsh => format!("_{program}"),
        Shell::Fish => format!("{program}.fish"),
        _ => program.to_string(),
    };
    let dir = match shell {
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        _ => "bash",
    };
    format!("contrib/completions/{dir}/{file}")
}

/// The shells we ship completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Every document generated from pmtad's definitions: (path in the repository, contents).
pub fn generated_files() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![("man/pmtad.8".to_string(), man_page()?)];
    for shell in SHELLS {
        files.push((
            completion_path("pmtad", shell),
            completion(shell, Cli::command()),
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each committed generated file is what the code generates now.
    #[test]
    fn committed_docs_match_the_code() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        for (path, generated) in generated_files().unwrap() {
            let committed = std::fs::read(format!("{root}/{path}")).unwrap_or_default();
            assert!(
                committed == generated,
                "{path} differs from what pmtad's clap definitions generate: run scripts/gen-docs \
                 and commit the result"
            );
        }
    }

    #[test]
    fn the_page_has_every_section_an_operator_looks_for() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        for section in [
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "COMMANDS",
            "\"RUN MODE\"",
            "\"SIGNALS\"",
            "\"EXIT STATUS\"",
            "\"FILES\"",
            "\"EXAMPLES\"",
        ] {
            assert!(page.contains(&format!(".SH {section}\n")), "{section}");
        }
        assert!(page.contains("\\-\\-check\\-config") && page.contains("spool list"));
    }

    /// The committed bash script really completes in bash: options and the spool verb.
    #[test]
    fn bash_completes_options_and_verbs() {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../contrib/completions/bash/pmtad"
        );
        let complete = |words: &str| {
            let prog = format!(
                "source {script}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
                 _pmtad pmtad \"${{COMP_WORDS[-1]}}\" x; echo \"${{COMPREPLY[@]}}\""
            );
            let out = std::process::Command::new("bash")
                .args(["-c", &prog])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert!(complete("pmtad --check").contains("--check-config"));
        assert_eq!(complete("pmtad spool l").trim(), "list");
    }

    /// Verbatim lines keep their shape in the man page: at most 75 columns fit an
    /// 80-column terminal once man indents the section body.
    #[test]
    fn help_lines_fit_a_terminal() {
        for line in AFTER_LONG_HELP.lines() {
            assert!(line.len() <= 75, "too wide for man(1): {line}");
        }
    }

    #[test]
    fn the_documented_config_exit_status_is_the_code_s() {
        let line = format!(
            "  {}  run mode: the configuration",
            super::super::EXIT_CONFIG
        );
        assert!(AFTER_LONG_HELP.contains(&line));
    }

    #[test]
    fn the_usage_forms_parse() {
        for args in [
            &["pmtad", "-c", "f"][..],
            &["pmtad", "-c", "f", "--check-config"],
            &["pmtad", "-c", "f", "-t"],
            &["pmtad", "-c", "f", "--show-settings", "gmail.com/mta1"],
            &["pmtad", "-c", "f", "spool", "list", "--json"],
        ] {
            Cli::command().try_get_matches_from(args).expect("parses");
        }
        Cli::command().debug_assert();
    }
}
