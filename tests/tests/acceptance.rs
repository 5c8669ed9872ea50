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
//! | §1 `max-message-size SIZE` | `intake::directive_max_message_size` |
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
//! | §1 global `domain-key SELECTOR,DOMAIN,PEMFILE` | `dkim::global_domain_key` |

#[path = "acceptance/dkim.rs"]
mod dkim;
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
#[path = "acceptance/world.rs"]
#[allow(dead_code)] // helpers for the verb and block tests still to come
mod world;
