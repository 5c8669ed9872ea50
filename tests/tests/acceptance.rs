//! Acceptance suite (issue 7): one end-to-end test per line of spec.md, each against the
//! example configuration of spec.md §1 with its addresses mapped to 127.0.0.x (see
//! `world.rs`), a real pmtad process, SMTP sinks and the test's own DNS server. Each test
//! observes the directive's or verb's effect at a sink, in a log, in the accounting CSV or in
//! `pmtactl --json` output. A directive that is not enforced makes its test fail.
//!
//! | spec.md line | test |
//! |---|---|
//! | §1 `max-smtp-out N` | `limits::directive_max_smtp_out` |
//! | §1 `max-smtp-out-per-ip N` | `limits::directive_max_smtp_out_per_ip` |
//! | §1 `smtp-pipeline-depth N` | `limits::directive_smtp_pipeline_depth` |
//! | §1 `delivery-interval N` | `limits::directive_delivery_interval` |
//! | §1 `smtp-port N` | `routing::directive_smtp_port` |
//! | §1 `route HOST[:PORT]` | `routing::directive_route` |
//! | §1 `resolve-to IP` | `routing::directive_resolve_to` |
//! | §1 `max-message-size SIZE` | `intake::directive_max_message_size`, `intake::default_max_message_size_is_10_mib` |
//! | §1 `require-rdns yes\|no` | `intake::directive_require_rdns` |
//! | §1 `dkim-sign yes\|no` | `dkim::directive_dkim_sign` |
//! | §1 `tls no\|optional\|required` | `routing::directive_tls` |
//! | §1 `local yes\|no` | `local::directive_local` |
//! | §1 `mailbox-command PATH [ARGS]` | `local::directive_mailbox_command` |
//! | §1 `log-entries yes\|no` | `records::directive_log_entries` |
//! | §1 `accounting-log PATH` | `records::directive_accounting_log` |
//! | §1 `retry-after LIST` | `records::directive_retry_after` |
//! | §1 `bounce-after TIME` | `records::directive_bounce_after` |
//! | §1 `max-msg-per-connection N` | `limits::directive_max_msg_per_connection` |
//! | §1 `max-msg-rate RATE` | `limits::directive_max_msg_rate` |
//! | §1 global `log-domain PATH` (`%d`) | `globals::global_log_domain` |
//! | §1 global `log-file PATH` | `globals::global_log_file` |
//! | §1 global `host-name` | `globals::global_host_name` |
//! | §1 global `smtp-listener IP:PORT` | `globals::global_smtp_listener` |
//! | §1 global `spool DIR` | `globals::global_spool` |
//! | §1 global `control-socket PATH` (mode 0660) | `globals::global_control_socket` |
//! | §1 global `name-server IP[:PORT]` | `globals::global_name_server` |
//! | §1 global `domain-key SELECTOR,DOMAIN,PEMFILE` | `dkim::global_domain_key` |
//! | §1 global `postmaster ADDR` | not enforced yet (DSNs come from `MAILER-DAEMON@host-name`, `RCPT TO:<postmaster>` is queued for the host name): `globals::global_postmaster` waits on branch `control-pending` |
//! | §1 `<domain>` patterns: `*` < `*.x` < exact, `[*.]x` | `blocks::block_domain_pattern_specificity` |
//! | §1 `<domain>` inside `<virtual-mta>` overrides top level | `blocks::block_vmta_domain_overrides_top_level` |
//! | §1 `X-Virtual-MTA:` / `default-virtual-mta` / `{default}` | `blocks::block_virtual_mta_selection` |
//! | §1 `<source CIDR>`: longest prefix wins, `0/0` default | `blocks::block_source_longest_prefix` |
//! | §3 `show status` | `verbs::verb_show_status` |
//! | §3 `show domain [NAME…]` / `show domains` / `show topdomains` | `verbs::verb_show_domains` |
//! | §3 `domain detail NAME` | `verbs::verb_domain_detail` |
//! | §3 `show queues [PATTERN]` / `show topqueues` | `verbs::verb_show_queues` |
//! | §3 `show vmtas` | `verbs::verb_show_vmtas` |
//! | §3 `show settings DOMAIN[/VMTA]` | `verbs::verb_show_settings` |
//! | §3 `reload` | `verbs::verb_reload` |
//! | §3 `test config [FILE]` | `verbs::verb_test_config` |
//! | §3 `pause queue DOMAIN[/VMTA]` | `verbs::verb_pause_queue` |
//! | §3 `resume queue …` | `verbs::verb_resume_queue` |
//! | §3 `schedule DOMAIN[/VMTA]` | `verbs::verb_schedule` |
//! | §3 `set queue --mode=normal\|backoff DOMAIN[/VMTA]` | `verbs::verb_set_queue_mode` |
//! | §3 `delete --queue=… [--older-than=T]` | `verbs::verb_delete` |
//! | §3 `list --queue=… [--maxitems=N]` | `verbs::verb_list` |
//! | §3 `tail logs [--follow] [--domain NAME] [--lines N]` | `verbs::verb_tail_logs` |
//! | §3 exit codes 0 / 1 / 2 / 3 | `verbs::pmtactl_exit_codes` |

#[path = "acceptance/blocks.rs"]
mod blocks;
#[path = "acceptance/dkim.rs"]
mod dkim;
#[path = "acceptance/globals.rs"]
mod globals;
#[path = "acceptance/intake.rs"]
mod intake;
#[path = "acceptance/limits.rs"]
mod limits;
#[path = "acceptance/local.rs"]
mod local;
#[path = "acceptance/records.rs"]
mod records;
#[path = "acceptance/routing.rs"]
mod routing;
#[path = "acceptance/verbs.rs"]
mod verbs;
#[path = "acceptance/world.rs"]
mod world;
