//! From the `config` crate's model to the accounting options.
//!
//! Kept here, next to the options, so the mapping of each PowerMTA directive sits beside the
//! code that implements it; the daemon calls [`acct_config`] on every load and reload, and
//! [`domain_file`] once per queue.

use std::path::Path;
use std::sync::Arc;

use super::AcctError;
use super::fields::RecordType;
use super::options::{AcctConfig, AcctFileOptions, PipeOptions};
use crate::bouncecat::BounceCategories;

/// The accounting settings of a loaded configuration: every `<acct-file>` block and every
/// domain's `accounting-log` (where `log-entries yes`), found by asking the policy of each
/// `<domain>` pattern for `{default}`, each virtual MTA and each pool.
///
/// Fails only when the `<bounce-category-patterns>` do not compile as one set.
pub fn acct_config(cfg: &config::Config) -> Result<AcctConfig, AcctError> {
    Ok(AcctConfig {
        files: cfg.acct_files.iter().filter_map(file_options).collect(),
        domain_files: domain_files(cfg),
        bounce: Arc::new(BounceCategories::from_config(cfg)?),
    })
}

/// The per-domain accounting file of a queue, or `None` unless `log-entries yes` and an
/// `accounting-log` are both set. Put it in [`super::Attempt::domain_file`].
pub fn domain_file(policy: &config::QueuePolicy) -> Option<Arc<Path>> {
    policy
        .accounting_log
        .as_deref()
        .filter(|_| policy.log_entries)
        .map(Arc::from)
}

fn file_options(f: &config::AcctFile) -> Option<AcctFileOptions> {
    let mut o = AcctFileOptions::new(&f.path);
    o.records = f.records.iter().filter_map(|r| record_type(*r)).collect();
    if o.records.is_empty() {
        // `records ""`: such a file would never receive anything.
        tracing::warn!(
            "{}: no record type pmtad produces; file not opened",
            f.path.display()
        );
        return None;
    }
    o.record_fields = f
        .record_fields
        .iter()
        .filter_map(|rf| Some((record_type(rf.record)?, rf.fields.join(","))))
        .collect();
    o.max_size = f.max_size.unwrap_or(u64::MAX);
    o.move_to = f.move_to.clone();
    o.move_interval = f.move_interval;
    o.delete_after = f.delete_after;
    o.user_string = f.user_string.clone();
    o.sync = f.sync;
    o.pipe = f.pipe.as_ref().map(|command| PipeOptions {
        command: command.clone(),
        retry_interval: f.retry_interval,
        write_timeout: f.write_timeout,
    });
    Some(o)
}

fn record_type(r: config::RecordType) -> Option<RecordType> {
    Some(match r {
        config::RecordType::Delivery => RecordType::Delivery,
        config::RecordType::Bounce => RecordType::Bounce,
        config::RecordType::Transient => RecordType::Transient,
        config::RecordType::TransientQueue => RecordType::TransientQueue,
        config::RecordType::Receipt => RecordType::Receipt,
        config::RecordType::RemoteBounce => RecordType::RemoteBounce,
        config::RecordType::FeedbackLoop => RecordType::FeedbackLoop,
        config::RecordType::RemoteStatus => RecordType::RemoteStatus,
    })
}

fn domain_files(cfg: &config::Config) -> Vec<AcctFileOptions> {
    let mut vmtas: Vec<&str> = vec![config::DEFAULT_VMTA];
    vmtas.extend(cfg.virtual_mtas.keys().map(String::as_str));
    vmtas.extend(cfg.pools.keys().map(String::as_str));
    let mut out: Vec<AcctFileOptions> = Vec::new();
    for domain in cfg
        .domain_patterns()
        .iter()
        .filter_map(|p| sample_domain(p))
    {
        for vmta in &vmtas {
            let Some(path) = domain_file(&cfg.queue(&domain, vmta)) else {
                continue;
            };
            if !out.iter().any(|o| o.path.as_path() == path.as_ref()) {
                out.push(AcctFileOptions::per_domain(path.as_ref()));
            }
        }
    }
    out
}

/// A domain a `<domain>` pattern matches (IP-literal patterns are skipped).
fn sample_domain(pattern: &str) -> Option<String> {
    let probe = "pmtad-probe";
    if pattern == "*" {
        Some(format!("{probe}.invalid"))
    } else if let Some(base) = pattern.strip_prefix("[*.]") {
        Some(base.to_string())
    } else if let Some(base) = pattern.strip_prefix("*.") {
        Some(format!("{probe}.{base}"))
    } else if pattern.starts_with('[') {
        None
    } else {
        Some(pattern.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_acct_files_and_domain_logs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let text = format!(
            "<acct-file {d}/acct.csv>\n  records d,b,tq\n  record-fields d *,!orcpt,header_Message-Id\n  \
             max-size 10M\n  delete-after never\n</acct-file>\n\
             <acct-file {d}/rs.csv>\n  records rs\n</acct-file>\n\
             <domain example.com>\n  log-entries yes\n  accounting-log {d}/acct-example.csv\n</domain>\n\
             <domain *.other.com>\n  log-entries yes\n  accounting-log {d}/acct-other.csv\n</domain>\n\
             <domain quiet.com>\n  accounting-log {d}/never.csv\n</domain>\n"
        );
        let loaded = config::load_str(&text, &format!("{d}/pmtad.conf")).unwrap();
        let acct = acct_config(&loaded.config).unwrap();
        assert_eq!(acct.files.len(), 2);
        assert_eq!(acct.files[1].records, [RecordType::RemoteStatus]);
        let f = &acct.files[0];
        assert_eq!(
            f.records,
            [
                RecordType::Delivery,
                RecordType::Bounce,
                RecordType::TransientQueue
            ]
        );
        assert_eq!(
            f.record_fields,
            [(
                RecordType::Delivery,
                "*,!orcpt,header_Message-Id".to_string()
            )]
        );
        assert_eq!(f.max_size, 10 * 1024 * 1024);
        assert_eq!(f.delete_after, None);
        let mut logs: Vec<String> = acct
            .domain_files
            .iter()
            .map(|o| o.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        logs.sort();
        assert_eq!(logs, ["acct-example.csv", "acct-other.csv"]);
        assert!(super::super::check(&acct).is_ok());
        let q = loaded.config.queue("example.com", config::DEFAULT_VMTA);
        assert!(domain_file(&q).unwrap().ends_with("acct-example.csv"));
        let q = loaded.config.queue("quiet.com", config::DEFAULT_VMTA);
        assert!(
            domain_file(&q).is_none(),
            "accounting-log without log-entries"
        );
    }
}
