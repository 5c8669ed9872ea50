//! [`LogSink`]: the one handle every subsystem logs through.
//!
//! Cheap to clone (an `Arc`). Daemon events (start, stop, reload, errors) go to the main log
//! and the ring; delivery events go to the recipient domain's `log-domain` file and the ring;
//! the SMTP dialogue goes to the main log through a per-connection [`SessionLog`](super::dialogue::SessionLog), which
//! costs one branch per line when `log-connections` / `log-commands` / `log-data` are off.

use std::fmt::Display;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use super::LogError;
use super::clock;
use super::domainlog::DomainLogs;
use super::log_settings::LogOptions;
use super::mainlog::MainLog;
use super::ring::Ring;
use crate::outcome::{Outcome, Producer};

#[derive(Debug)]
struct Files {
    main: Option<MainLog>,
    domains: Option<DomainLogs>,
}

#[derive(Debug)]
struct Inner {
    files: Mutex<Files>,
    ring: Arc<Ring>,
}

/// Handle to the main log, the per-domain logs and the ring of recent events.
#[derive(Debug, Clone)]
pub struct LogSink {
    inner: Arc<Inner>,
}

impl LogSink {
    /// Opens the configured files ([`super::check`] them first for a full error list).
    pub fn open(opts: &LogOptions) -> Result<LogSink, LogError> {
        let files = open_files(opts, clock::now_secs())?;
        Ok(LogSink {
            inner: Arc::new(Inner {
                files: Mutex::new(files),
                ring: Arc::new(Ring::new(opts.ring_capacity)),
            }),
        })
    }

    /// Switches to new paths and settings; the ring (and its cursors) carries over.
    pub fn reload(&self, opts: &LogOptions) -> Result<(), LogError> {
        let files = open_files(opts, clock::now_secs())?;
        *self.files() = files;
        Ok(())
    }

    /// The recent-events ring, for `tail logs`.
    pub fn ring(&self) -> &Arc<Ring> {
        &self.inner.ring
    }

    /// A daemon event: `pmtad started`, `reload`, an error... to the main log and the ring.
    pub fn event(&self, text: impl Display) {
        let text = text.to_string();
        let now = clock::now_secs();
        self.main_line(now, &text);
        self.inner.ring.push(now, None, text);
    }

    /// `pmtad VERSION started (pid N)`: the first line of every run.
    pub fn started(&self, version: &str) {
        self.event(format_args!(
            "pmtad {version} started (pid {})",
            std::process::id()
        ));
    }

    /// `pmtad stopping` when shutdown begins; `pmtad stopped` once everything is flushed.
    pub fn stopping(&self) {
        self.event("pmtad stopping");
    }

    /// The last line of a clean run (then [`Self::sync`]).
    pub fn stopped(&self) {
        self.event("pmtad stopped");
    }

    /// A reload that was applied.
    pub fn reloaded(&self, config: &std::path::Path) {
        self.event(format_args!(
            "configuration reloaded from {}",
            config.display()
        ));
    }

    /// A reload that was refused: the running configuration stays; one line per error.
    pub fn reload_refused(&self, errors: &[String]) {
        self.event(format_args!(
            "reload refused, {} error(s); running configuration kept",
            errors.len()
        ));
        for e in errors {
            self.event(format_args!("error: {e}"));
        }
    }

    /// A message was acknowledged with 250: one `received` line per recipient domain, for
    /// `tail logs` (and `--domain`) only, as PowerMTA's monitor shows receptions; the
    /// accounting `r` record is the durable trace, so the log files are not grown by it.
    pub fn accepted(&self, id: impl Display, env: &crate::envelope::Envelope) {
        let now = clock::now_secs();
        let mut domains: Vec<String> = env
            .recipients
            .iter()
            .map(|r| r.domain().to_ascii_lowercase())
            .collect();
        domains.sort_unstable();
        domains.dedup();
        let from = if env.mail_from.is_empty() {
            "<>"
        } else {
            env.mail_from.as_str()
        };
        let source = env
            .source_ip
            .map_or_else(|| "pmtad".to_string(), |ip| ip.to_string());
        for d in domains {
            let rcpts: Vec<&str> = env
                .recipients
                .iter()
                .filter(|r| r.domain().eq_ignore_ascii_case(&d))
                .map(|r| r.address.as_str())
                .collect();
            let text = format!(
                "received {id} from {from} for {} ({} bytes, vmta {}, from {source})",
                rcpts.join(", "),
                env.size,
                env.vmta
            );
            self.inner.ring.push(now, Some(&d), text);
        }
    }

    /// A delivery outcome for one recipient of queue `domain/vmta`.
    pub fn outcome(&self, rcpt: &str, queue_domain: &str, vmta: &str, outcome: &Outcome) {
        let (verb, reply, by) = match outcome {
            Outcome::Delivered { reply, by } => ("delivered", reply, by),
            Outcome::Transient { reply, by, .. } => ("deferred", reply, by),
            Outcome::Permanent { reply, by, .. } => ("bounced", reply, by),
        };
        let text = format!(
            "{verb} {rcpt} {queue_domain}/{vmta} {}: {reply}",
            producer(by)
        );
        let domain = rcpt.rsplit_once('@').map_or(queue_domain, |(_, d)| d);
        self.domain_event(domain, text);
    }

    /// A connection-level failure of queue `domain/vmta` (refused, timeout, TLS, DNS...).
    pub fn connection_error(
        &self,
        queue_domain: &str,
        vmta: &str,
        host: &str,
        ip: Option<IpAddr>,
        error: impl Display,
    ) {
        let to = match ip {
            Some(ip) => format!("{host} ({ip})"),
            None => host.to_string(),
        };
        let text = format!("connection error {queue_domain}/{vmta} to {to}: {error}");
        self.domain_event(queue_domain, text);
    }

    /// `rotate log`.
    pub fn rotate(&self) -> Result<(), LogError> {
        let now = clock::now_secs();
        match self.files().main.as_mut() {
            Some(m) => m.rotate(now),
            None => Ok(()),
        }
    }

    /// Forces the log files to disk (shutdown).
    pub fn sync(&self) -> Result<(), LogError> {
        let files = self.files();
        if let Some(d) = &files.domains {
            d.sync();
        }
        files.main.as_ref().map_or(Ok(()), MainLog::sync)
    }

    fn domain_event(&self, domain: &str, text: String) {
        let now = clock::now_secs();
        // The guard is dropped before reporting: main_line takes the same lock.
        let res = self
            .files()
            .domains
            .as_mut()
            .map(|d| d.write(domain, now, &text));
        if let Some(Err(e)) = res {
            self.main_line(now, &format!("error: {e}"));
        }
        self.inner.ring.push(now, Some(domain), text);
    }

    /// Writes to the main log; a failing main log is reported on stderr (the last resort:
    /// reporting it through `tracing` could loop back here).
    pub(super) fn main_line(&self, now: u64, text: &str) {
        let res = self.files().main.as_mut().map(|m| m.write_line(now, text));
        if let Some(Err(e)) = res {
            eprintln!("pmtad: main log: {e}");
        }
    }

    fn files(&self) -> MutexGuard<'_, Files> {
        // Every write leaves the files usable, so a poisoned lock is still safe to use.
        crate::locks::lock(&self.inner.files)
    }
}

fn open_files(opts: &LogOptions, now: u64) -> Result<Files, LogError> {
    let main = match &opts.log_file {
        Some(p) => Some(MainLog::open(p, opts.log_rotate, now)?),
        None => None,
    };
    let domains = opts
        .log_domain
        .as_deref()
        .map(|p| DomainLogs::new(p, opts.max_domain_handles));
    Ok(Files { main, domains })
}

fn producer(by: &Producer) -> String {
    match by {
        Producer::Remote { host, ip } => format!("{host} ({ip})"),
        Producer::Local { command } => format!("command {command}"),
        Producer::Internal => "pmtad".to_string(),
    }
}
