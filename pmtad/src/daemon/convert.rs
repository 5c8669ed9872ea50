//! From the config model to the scheduler's and the SMTP client's option structs
//! (accounting and logs map theirs in `acct::acct_config` / `logs::log_options`).
//!
//! Subsystems take plain option structs so they can be tested without a config file; this is
//! the one place that knows both sides.

use std::time::Duration;

use config::QueuePolicy;

use crate::delivery::{ClientConfig, TlsMode};
use crate::sched::{Limits, Mode, Rate, RetryPolicy};

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
