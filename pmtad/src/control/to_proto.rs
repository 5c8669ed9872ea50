//! Helpers that turn the config crate's answers into protocol types, so a [`super::Backend`]
//! over the real daemon stays a thin adapter: `show settings`, `domain detail`'s settings,
//! `reload` and `test config` all come from here.

use std::path::Path;

use proto::{ConfigCheck, ControlError, Diagnostic, QueueName, QueueSettings, Setting};

/// A config diagnostic as it travels (`file:line:column: message`).
pub fn diagnostic(d: &config::Diagnostic) -> Diagnostic {
    Diagnostic {
        file: d.span.file.to_string(),
        line: d.span.line,
        column: d.span.col,
        message: d.message.clone(),
    }
}

/// Loads `path` and reports errors and warnings, for `test config` (nothing is applied).
pub fn check_file(path: &Path) -> ConfigCheck {
    let config_file = path.display().to_string();
    match config::load(path) {
        Ok(loaded) => ConfigCheck {
            config_file,
            errors: Vec::new(),
            warnings: loaded.warnings.iter().map(diagnostic).collect(),
        },
        Err(diags) => {
            let (errors, warnings): (Vec<_>, Vec<_>) = diags
                .0
                .iter()
                .partition(|d| d.severity == config::Severity::Error);
            ConfigCheck {
                config_file,
                errors: errors.into_iter().map(diagnostic).collect(),
                warnings: warnings.into_iter().map(diagnostic).collect(),
            }
        }
    }
}

/// Loads `path` for `reload`: the new config and its warnings, or every error as
/// `ControlError::ConfigRejected` (the caller keeps running the old config).
pub fn load_for_reload(path: &Path) -> Result<(config::Config, Vec<Diagnostic>), ControlError> {
    match config::load(path) {
        Ok(loaded) => Ok((
            loaded.config,
            loaded.warnings.iter().map(diagnostic).collect(),
        )),
        Err(diags) => Err(ControlError::ConfigRejected(
            diags.errors().map(diagnostic).collect(),
        )),
    }
}

/// Every effective per-queue setting of (domain, vmta), with its origin.
pub fn queue_settings(cfg: &config::Config, domain: &str, vmta: &str) -> Vec<Setting> {
    cfg.settings(domain, vmta)
        .into_iter()
        .map(|s| Setting {
            name: s.name,
            value: s.value,
            origin: s.origin.to_string(),
        })
        .collect()
}

/// The settings of a virtual MTA itself: source addresses, host name, its own connection cap.
pub fn vmta_settings(cfg: &config::Config, vmta: &str) -> Vec<Setting> {
    let Some(v) = cfg.vmta(vmta) else {
        return Vec::new();
    };
    let origin = v.span.file_line();
    let setting = |name: &str, value: String| Setting {
        name: name.into(),
        value,
        origin: origin.clone(),
    };
    let mut out = Vec::new();
    for host in cfg.source_hosts_of(vmta) {
        let name = host.host_name.as_deref().unwrap_or("");
        out.push(setting(
            "smtp-source-host",
            format!("{} {name}", host.ip).trim_end().into(),
        ));
    }
    if let Some(h) = &v.host_name {
        out.push(setting("host-name", h.clone()));
    }
    let max = v
        .max_smtp_out
        .map_or_else(|| "unlimited".to_string(), |n| n.to_string());
    out.push(setting("max-smtp-out", max));
    out
}

/// `show settings DOMAIN[/VMTA]`, answered from the running config.
pub fn settings_of(cfg: &config::Config, queue: &QueueName) -> Result<QueueSettings, ControlError> {
    let vmta = queue.vmta.as_deref().unwrap_or(config::DEFAULT_VMTA);
    if vmta != config::DEFAULT_VMTA && !cfg.vmta_exists(vmta) && cfg.pool(vmta).is_none() {
        return Err(ControlError::InvalidRequest(format!(
            "no virtual MTA or pool named {vmta}"
        )));
    }
    Ok(QueueSettings {
        domain: queue.domain.to_lowercase(),
        vmta: vmta.to_string(),
        vmta_settings: vmta_settings(cfg, vmta),
        queue_settings: queue_settings(cfg, &queue.domain, vmta),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "<virtual-mta v1>\n  smtp-source-host 127.0.0.5 out.test\n  max-smtp-out 7\n</virtual-mta>\n<domain gmail.com>\n  max-smtp-out 3\n</domain>\n";

    #[test]
    fn settings_carry_their_origin_line() {
        let cfg = config::load_str(CONF, "t.conf").expect("loads").config;
        let name = QueueName {
            domain: "GMAIL.com".into(),
            vmta: Some("v1".into()),
        };
        let s = settings_of(&cfg, &name).unwrap();
        assert_eq!(s.domain, "gmail.com");
        let max = s
            .queue_settings
            .iter()
            .find(|s| s.name == "max-smtp-out")
            .unwrap();
        assert_eq!((max.value.as_str(), max.origin.as_str()), ("3", "t.conf:6"));
        let retry = s
            .queue_settings
            .iter()
            .find(|s| s.name == "retry-after")
            .unwrap();
        assert_eq!(retry.origin, "default");
        let names: Vec<_> = s.vmta_settings.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["smtp-source-host", "max-smtp-out"]);
        assert_eq!(s.vmta_settings[0].value, "127.0.0.5 out.test");
        let unknown = QueueName {
            domain: "a.test".into(),
            vmta: Some("nope".into()),
        };
        assert!(matches!(
            settings_of(&cfg, &unknown),
            Err(ControlError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_bad_file_reports_every_error_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.conf");
        std::fs::write(
            &path,
            "max-smtp-outt 1\n<domain a.test>\n  max-smtp-out x\n</domain>\n",
        )
        .unwrap();
        let check = check_file(&path);
        assert_eq!(check.errors.len(), 2, "{:?}", check.errors);
        assert_eq!((check.errors[0].line, check.errors[1].line), (1, 3));
        let rejected = load_for_reload(&path).unwrap_err();
        assert_eq!(rejected.diagnostics().len(), 2);
    }
}
