//! From the config model to the option structs of each subsystem.
//!
//! Subsystems take plain option structs so they can be tested without a config file; this is
//! the one place that knows both sides.

use std::time::Duration;

use config::{Config, QueuePolicy};

use crate::acct::{AcctConfig, AcctFileOptions, RecordType};
use crate::delivery::{ClientConfig, TlsMode};
use crate::logs::LogOptions;
use crate::sched::{Limits, Mode, Rate, RetryPolicy};

/// The accounting files of a config (`<acct-file>` blocks and per-domain `accounting-log`s).
pub fn acct_config(cfg: &Config) -> AcctConfig {
    let files = cfg.acct_files.iter().map(acct_file).collect();
    let domain_files = domain_acct_paths(cfg)
        .into_iter()
        .map(AcctFileOptions::per_domain)
        .collect();
    AcctConfig {
        files,
        domain_files,
        bounce_patterns: Vec::new(),
    }
}

fn acct_file(f: &config::AcctFile) -> AcctFileOptions {
    let mut o = AcctFileOptions::new(&f.path);
    o.records = f.records.iter().filter_map(|r| record_type(*r)).collect();
    if o.records.is_empty() {
        o.records = vec![RecordType::Delivery, RecordType::Bounce];
    }
    o.record_fields = f
        .record_fields
        .iter()
        .filter_map(|rf| Some((record_type(rf.record)?, rf.fields.join(","))))
        .collect();
    if let Some(max) = f.max_size {
        o.max_size = max;
    }
    o.move_interval = f.move_interval;
    o.move_to = f.move_to.clone();
    o.delete_after = f.delete_after;
    o
}

fn record_type(r: config::RecordType) -> Option<RecordType> {
    Some(match r {
        config::RecordType::Delivery => RecordType::Delivery,
        config::RecordType::Bounce => RecordType::Bounce,
        config::RecordType::Transient => RecordType::Transient,
        config::RecordType::TransientQueue => RecordType::TransientQueue,
        config::RecordType::Receipt => RecordType::Receipt,
        _ => return None,
    })
}

/// Every `accounting-log` path a `<domain>` block names (with `log-entries yes`).
fn domain_acct_paths(cfg: &Config) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = cfg
        .domain_patterns()
        .iter()
        .filter_map(|d| {
            let q = cfg.queue(
                d.trim_start_matches("[*.]").trim_start_matches("*."),
                config::DEFAULT_VMTA,
            );
            q.log_entries.then_some(q.accounting_log).flatten()
        })
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Log options of a config.
pub fn log_options(cfg: &Config) -> LogOptions {
    LogOptions {
        log_file: Some(cfg.log_file.clone()),
        log_domain: cfg.log_domain.clone(),
        ..LogOptions::default()
    }
}

/// The connection limits of a queue in `mode`.
pub fn limits(p: &QueuePolicy, mode: Mode) -> Limits {
    let backoff = mode == Mode::Backoff;
    let (max_out, msg_rate, connect_rate) = if backoff {
        (
            p.backoff_max_smtp_out,
            p.backoff_max_msg_rate,
            p.backoff_max_connect_rate,
        )
    } else {
        (p.max_smtp_out, p.max_msg_rate, p.max_connect_rate)
    };
    Limits {
        max_smtp_out: clamp32(max_out),
        max_smtp_out_per_ip: p.max_smtp_out_per_ip.map(clamp32),
        delivery_interval: p.delivery_interval,
        max_msg_per_connection: p.max_msg_per_connection.map(clamp32),
        max_msg_rate: msg_rate.map(rate),
        max_connect_rate: connect_rate.map(rate),
    }
}

/// Retry and expiry of a queue in `mode`.
pub fn retry(p: &QueuePolicy, mode: Mode) -> RetryPolicy {
    let intervals = match mode {
        Mode::Backoff => p.backoff_retry_after.clone(),
        Mode::Normal => p.retry_after.clone(),
    };
    RetryPolicy {
        intervals,
        bounce_after: p.bounce_after,
    }
}

/// SMTP client settings of a queue, with the EHLO name and source address of the
/// connection's virtual MTA.
pub fn client(p: &QueuePolicy, helo: String, source_ip: Option<std::net::IpAddr>) -> ClientConfig {
    ClientConfig {
        helo_name: helo,
        source_ip,
        tls: match p.tls {
            config::TlsMode::No => TlsMode::No,
            config::TlsMode::Optional => TlsMode::Optional,
            config::TlsMode::Required => TlsMode::Required,
        },
        pipeline_depth: p.smtp_pipeline_depth as usize,
        max_rcpt_per_transaction: p.max_rcpt_per_transaction.max(1) as usize,
        connect_timeout: p.connect_timeout,
        greeting_timeout: p.smtp_greeting_timeout,
        data_send_timeout: p.data_send_timeout,
        ..ClientConfig::default()
    }
}

fn rate(r: config::Rate) -> Rate {
    Rate {
        count: clamp32(r.count),
        period: r.per.max(Duration::from_millis(1)),
    }
}

fn clamp32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
