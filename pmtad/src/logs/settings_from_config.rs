//! From the `config` crate's model to the log options and trace flags.

use super::dialogue::Dialogue;
use super::log_settings::LogOptions;

/// `log-file` and `log-domain` of a loaded configuration (other fields at their defaults;
/// the config has no `log-rotate` yet, so PowerMTA's default of 8 generations applies).
pub fn log_options(cfg: &config::Config) -> LogOptions {
    LogOptions {
        log_file: Some(cfg.log_file.clone()),
        log_rotate: u32::try_from(cfg.log_rotate).unwrap_or(u32::MAX),
        log_domain: cfg.log_domain.clone(),
        ..LogOptions::default()
    }
}

impl From<&config::QueuePolicy> for Dialogue {
    /// Outbound sessions: the queue's `log-connections` / `log-commands` / `log-data`.
    fn from(p: &config::QueuePolicy) -> Self {
        Dialogue {
            connections: p.log_connections,
            commands: p.log_commands,
            data: p.log_data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_log_settings_and_trace_flags() {
        let text = "log-file /tmp/x/pmtad.log\nlog-domain /tmp/x/%d.log\n\
                    <domain gmail.com>\n  log-connections yes\n  log-data yes\n</domain>\n";
        let loaded = config::load_str(text, "/tmp/x/pmtad.conf").unwrap();
        let o = log_options(&loaded.config);
        assert_eq!(
            o.log_file.as_deref(),
            Some(std::path::Path::new("/tmp/x/pmtad.log"))
        );
        assert_eq!(o.log_domain.as_deref(), Some("/tmp/x/%d.log"));
        let q = loaded.config.queue("gmail.com", config::DEFAULT_VMTA);
        let d = Dialogue::from(&q);
        assert!(d.connections && !d.commands && d.data);
    }
}
