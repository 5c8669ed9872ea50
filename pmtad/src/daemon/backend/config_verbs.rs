//! `show settings`, `reload` and `test config`.
//!
//! Config diagnostics travel as structured `file:line:column` records, so pmtactl can print
//! them as an editor expects and `--json` users can jump to them.

use std::path::Path;

use proto::{
    ConfigCheck, ControlError, Diagnostic, QueueName, QueueSettings, ReloadReport, Setting,
};

use crate::daemon::Shared;
use crate::envelope::DEFAULT_VMTA;

/// `show settings DOMAIN[/VMTA]`: every effective per-queue setting with its origin, plus the
/// virtual MTA's own settings.
pub fn settings(shared: &Shared, queue: &QueueName) -> Result<QueueSettings, ControlError> {
    let policies = shared.policies();
    let cfg = &policies.config;
    let vmta = queue.vmta.as_deref().unwrap_or(DEFAULT_VMTA);
    if !cfg.vmta_exists(vmta) {
        return Err(ControlError::InvalidRequest(format!(
            "no virtual MTA or pool named {vmta:?} in {}",
            cfg.path.display()
        )));
    }
    Ok(QueueSettings {
        domain: queue.domain.to_ascii_lowercase(),
        vmta: vmta.to_string(),
        vmta_settings: vmta_settings(cfg, vmta),
        queue_settings: queue_settings(cfg, &queue.domain, vmta),
    })
}

/// Every per-queue directive of (domain, vmta), alphabetical.
pub fn queue_settings(cfg: &config::Config, domain: &str, vmta: &str) -> Vec<Setting> {
    let mut out: Vec<Setting> = cfg
        .settings(domain, vmta)
        .into_iter()
        .map(|s| Setting {
            name: s.name,
            value: s.value,
            origin: s.origin.to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The settings a `<virtual-mta>` block makes, located at the block.
fn vmta_settings(cfg: &config::Config, vmta: &str) -> Vec<Setting> {
    let Some(v) = cfg.vmta(vmta) else {
        return Vec::new();
    };
    let origin = format!("{}:{}", v.span.file, v.span.line);
    let mut out = Vec::new();
    let mut push = |name: &str, value: String| {
        out.push(Setting {
            name: name.into(),
            value,
            origin: origin.clone(),
        });
    };
    for s in &v.source_hosts {
        let name = s.host_name.as_deref().unwrap_or("");
        push(
            "smtp-source-host",
            format!("{} {name}", s.ip).trim().to_string(),
        );
    }
    if let Some(h) = &v.host_name {
        push("host-name", h.clone());
    }
    if let Some(n) = v.max_smtp_out {
        push("max-smtp-out", n.to_string());
    }
    out
}

/// `reload`: check aside, swap only with zero errors (the daemon's [`Shared::reload`]).
/// Blocking: runs on a blocking thread.
pub fn reload(shared: std::sync::Arc<Shared>) -> Result<ReloadReport, ControlError> {
    let file = shared.config_path.display().to_string();
    let warnings = shared
        .reload()
        .map_err(|errs| ControlError::ConfigRejected(to_diagnostics(&errs, &file)))?;
    Ok(ReloadReport {
        warnings: to_diagnostics(&warnings, &file),
        config_file: file,
    })
}

/// `test config [FILE]`: load the file as pmtad would, report everything, apply nothing.
pub fn test_config(shared: &Shared, path: Option<&str>) -> ConfigCheck {
    let path = path.map_or_else(|| shared.config_path.clone(), Into::into);
    let all = match config::load(Path::new(&path)) {
        Ok(loaded) => loaded.warnings,
        Err(diags) => diags.0,
    };
    let (errors, warnings): (Vec<_>, Vec<_>) = all
        .iter()
        .partition(|d| d.severity == config::Severity::Error);
    ConfigCheck {
        config_file: path.display().to_string(),
        errors: errors.into_iter().map(diagnostic).collect(),
        warnings: warnings.into_iter().map(diagnostic).collect(),
    }
}

fn diagnostic(d: &config::Diagnostic) -> Diagnostic {
    Diagnostic {
        file: d.span.file.to_string(),
        line: d.span.line,
        column: d.span.col,
        message: d.message.clone(),
    }
}

/// [`Shared::reload`] reports lines of text: `file:line:col: error: message` for config
/// diagnostics, free text for the rest (accounting, logs, name servers), which is located
/// at the config file itself.
fn to_diagnostics(lines: &[String], config_file: &str) -> Vec<Diagnostic> {
    lines.iter().map(|l| parse_line(l, config_file)).collect()
}

fn parse_line(line: &str, config_file: &str) -> Diagnostic {
    let mut parts = line.splitn(4, ':');
    let (file, l, c, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
    let num = |s: Option<&str>| s.and_then(|s| s.trim().parse::<u32>().ok());
    match (file, num(l), num(c), rest) {
        (Some(f), Some(line_no), Some(col), Some(rest)) => Diagnostic {
            file: f.to_string(),
            line: line_no,
            column: col,
            message: strip_level(rest.trim()).to_string(),
        },
        _ => Diagnostic {
            file: config_file.to_string(),
            line: 0,
            column: 0,
            message: line.to_string(),
        },
    }
}

fn strip_level(text: &str) -> &str {
    text.strip_prefix("error: ")
        .or_else(|| text.strip_prefix("warning: "))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_lines_become_located_diagnostics() {
        let d = parse_line("/etc/pmta.conf:12:5: error: unknown directive", "x");
        assert_eq!(
            (d.file.as_str(), d.line, d.column),
            ("/etc/pmta.conf", 12, 5)
        );
        assert_eq!(d.message, "unknown directive");
        let d = parse_line("accounting: cannot open /x: denied", "/etc/pmta.conf");
        assert_eq!((d.file.as_str(), d.line), ("/etc/pmta.conf", 0));
        assert_eq!(d.message, "accounting: cannot open /x: denied");
    }
}
