//! Reference text for `--help` and the man page (clap_mangen renders `after_long_help`).
//!
//! The JSON schema below is a promise to scripts: the `--json` output of each verb is the
//! serde form of the named `proto` type, and tests pin its field names.

/// EXIT STATUS and JSON OUTPUT sections of `pmtactl --help` and pmtactl(8).
pub const AFTER_LONG_HELP: &str = "\
EXIT STATUS
  0  success (also when the reader of a pipe goes away: `pmtactl tail logs -f | head`)
  1  the daemon refused or the command failed: reload or test config found errors (each one
     is printed as FILE:LINE:COLUMN: message), no queue matched, protocol mismatch, timeout
  2  usage error (unknown verb or option, bad pattern, bad duration)
  3  the daemon is not reachable: no socket at the path (not running, or wrong --socket /
     control-socket), nothing listening (stale socket), or permission denied (run as root,
     as the daemon's user, or as a member of the socket's group)

OUTPUT
  On a terminal, tables; when piped, plain whitespace-aligned columns with a header line and
  no box characters or colour (NO_COLOR also turns colour off on a terminal). --format
  table|plain|json forces one. Times are RFC 3339 UTC in JSON and shown as ages in tables.

JSON OUTPUT (--json, on every verb; field names are stable, new fields may be added)
  One document, indented on a terminal and on one line when piped.
  Conventions: snake_case names; sizes in `kbytes` (KiB, rounded up); durations in `*_secs`;
  times are RFC 3339 UTC strings; `null` means none, or unlimited for limits
  (`max_smtp_out`, `max_smtp_out_per_ip`, `maximum`); enums are snake_case strings.
  show status       {host_name, daemon_version, time_now, started_at, uptime_secs,
                     state: running|shutting_down,
                     traffic: {total, last_hour, last_minute:
                               {inbound, outbound: {rcpts, msgs, kbytes}}},
                     connections: {inbound, outbound: {active, top, maximum}},
                     queues: {rcpts, msgs, kbytes, domains, queues, paused_queues,
                              backoff_queues},
                     spool: {path, messages, kbytes_used, kbytes_free, recovered}}
  show domains      {domains: [{domain, rcpts, kbytes, connections, queues, paused_queues,
                     backoff_queues, oldest_age_secs, last_error: EVENT|null}],
                     total_matching}
  show queues       {queues: [{domain, vmta, rcpts, kbytes, connections, paused,
                     mode: normal|backoff, oldest_age_secs, next_retry, last_error}],
                     total_matching}
  show vmtas        {vmtas: [{name, domains, rcpts, kbytes, connections, source_ip,
                     host_name}], total_matching}
  domain detail     {domain, rcpts, kbytes, queues: [{domain, vmta, rcpts, kbytes,
                     oldest_age_secs, next_retry, paused, mode,
                     connections: {active, max_smtp_out, max_smtp_out_per_ip,
                                   per_ip: [{ip, host, active}]},
                     held_back: [{kind, detail, until}],
                     destinations: {source: mx|implicit_mx|route|resolve_to|local|unresolved,
                                    hosts: [{preference, host, port, addresses: [IP]}],
                                    resolved_at, error},
                     recent_errors: [EVENT], recent_deliveries: [EVENT],
                     settings: [SETTING]}]}
                    held_back kind: connection_limit | per_ip_limit | vmta_connection_limit |
                     delivery_interval | rate_limit | paused | retry_wait | backoff |
                     dns_failure | tls_required_not_offered | connect_failure | other
  show settings     {domain, vmta, vmta_settings: [SETTING], queue_settings: [SETTING]}
  reload            {config_file, warnings: [DIAGNOSTIC]}
  test config       {config_file, errors: [DIAGNOSTIC], warnings: [DIAGNOSTIC]}
  pause, resume, schedule, set queue
                    {pattern, matched, changed}
  delete            {deleted, next_cursor: null}
  list              {items: [{message_id, rcpt, sender, domain, vmta, queued_at, age_secs,
                     kbytes, attempts, next_retry, last_error}], next_cursor}
  tail logs         one object per line (JSON Lines): {seq, at, domain, text}
  version           {client_version, client_protocol,
                     daemon: {product, daemon_version, protocol, host_name, started_at}}
  EVENT             {at, kind: delivered|deferred|bounced|connection_error|dns_error|
                     tls_error, vmta, rcpt, remote_host, remote_ip, diag}
  SETTING           {name, value, origin}   origin is \"default\" or \"FILE:LINE\"
  DIAGNOSTIC        {file, line, column, message}
  On failure        {error: {kind, message, diagnostics: [DIAGNOSTIC]}} with exit status 1
                    or 3; kind is one of no_such_queue, no_such_domain, invalid_request,
                    config_rejected, config_invalid, permission_denied, shutting_down,
                    failed, protocol_mismatch, timeout, unreachable
";

/// pmtactl(8) in roff, rendered from the clap definitions: the top-level page (synopsis,
/// options, every verb, the JSON schema and exit codes from [`AFTER_LONG_HELP`]) followed by
/// one section per verb with its own options.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = crate::cli::Cli::full_command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .section("8")
        .render(&mut out)?;
    for sub in cmd.get_subcommands() {
        render_verb(&mut out, &[], sub)?;
    }
    Ok(out)
}

fn render_verb(out: &mut Vec<u8>, parents: &[&str], cmd: &clap::Command) -> std::io::Result<()> {
    let mut path: Vec<&str> = parents.to_vec();
    path.push(cmd.get_name());
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands() {
            render_verb(out, &path, sub)?;
        }
        return Ok(());
    }
    let full = format!("pmtactl {}", path.join(" "));
    let man = clap_mangen::Man::new(cmd.clone().bin_name(full)).section("8");
    out.extend_from_slice(
        format!(".SH \"PMTACTL {}\"\n", path.join(" ").to_uppercase()).as_bytes(),
    );
    man.render_synopsis_section(out)?;
    man.render_options_section(out)?;
    Ok(())
}

#[cfg(test)]
mod man_tests {
    /// The committed man/pmtactl.8 is what the code generates (regenerate with
    /// `cargo run -p pmtactl --example gen-man > man/pmtactl.8`).
    #[test]
    fn the_committed_man_page_matches_the_code() {
        let committed = include_str!("../../man/pmtactl.8");
        let generated = String::from_utf8(super::man_page().unwrap()).unwrap();
        assert!(
            committed == generated,
            "man/pmtactl.8 is stale: regenerate it"
        );
    }
}
