//! PowerMTA-syntax configuration for pmtad: parse text into a spanned raw tree, then
//! resolve it into a typed [`Config`] that answers "what are the effective settings of
//! queue (domain, virtual MTA)?", each value carrying the `file:line` it came from.
//!
//! # Using it
//! ```ignore
//! let loaded = config::load(Path::new("/etc/pmtad/pmta.conf"))?;   // Err(Diagnostics)
//! for w in &loaded.warnings { eprintln!("{w}"); }                 // file:line:col: warning: …
//! let cfg: config::Config = loaded.config;
//! let q: config::QueuePolicy = cfg.queue("gmail.com", "mta1");    // once per queue; cache it
//! let s: config::SourcePolicy = cfg.source(peer_ip);              // once per connection
//! let lines = cfg.settings("yahoo.com", config::DEFAULT_VMTA);    // show settings / domain detail
//! ```
//!
//! * [`load`] / [`load_str`] never panic and never stop at the first problem: on failure
//!   the [`Diagnostics`] hold every error (and the warnings), each printed
//!   `file:line:col: error: message`.
//! * Globals are plain fields of [`Config`] (listeners, spool, control socket, name
//!   servers, logs, accounting files, DKIM keys, pattern lists, virtual MTAs, pools).
//! * [`Config::queue`] merges `<domain>` blocks per directive: scope first (inside the
//!   virtual MTA, then inside a pool holding it, then top level), then specificity
//!   (`*` < `[*.]x` < `*.x` < exact), whatever the file order.
//! * [`Config::source`] merges `<source>` blocks from the shortest matching prefix to the
//!   longest (`0/0` is the default); [`Config::source_named`] applies a named source last.
//! * Both vocabularies load: spec names (`route`, `tls`, `local` + `mailbox-command`, …)
//!   and PowerMTA names (`smtp-hosts`, `use-starttls`, `type pipe` + `command`, …) land
//!   in the same typed fields. Real PowerMTA directives pmtad does not act on yet load
//!   with a warning naming each; unknown names are errors with "did you mean".
//! * Relative paths in a file are relative to that file's directory.
//! * [`DIRECTIVES`] is the one table behind parsing, suggestions, `show settings` and
//!   `man/pmta.conf.5` ([`man::render`]).
#![forbid(unsafe_code)]

mod apply;
mod ciphers;
mod cluster;
mod consequences;
mod diag;
mod global;
mod http;
mod keys;
mod macros;
pub mod man;
mod model;
mod parse;
mod processor;
mod queue;
mod resolve;
mod rewrite;
pub mod roff;
mod select;
mod setting;
mod source;
mod table;
mod values;

pub use ciphers::{CipherList, CipherSuite};
pub use cluster::{Cluster, Fallback as ClusterFallback, is_redis_url, is_tls_url, redact_url};
pub use consequences::Consequence;
pub use diag::{Diagnostic, Diagnostics, Severity, Span};
pub use global::Config;
pub use http::{HttpAccess, HttpLevel, HttpMgmt, HttpTls};
pub use model::*;
pub use processor::{AddressEntry, ProcessorKind, ReturnProcessor};
pub use rewrite::{AddressPattern, FromDomainRule, FromPattern, RewriteList, RewriteRule};
pub use select::{Facts, SelectList, SelectOn, SelectRule};
pub use table::{BLOCKS, DIRECTIVES, DirectiveDef, Kind, NOT_YET_BLOCKS, Status, suggest};
pub use values::{DomainPattern, Host, HostLevels, HostPort, Rate};

use std::path::Path;

/// A config that loaded: no errors, maybe warnings.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
}

/// Loads the config file at `path` and every file it includes.
pub fn load(path: &Path) -> Result<Loaded, Diagnostics> {
    match std::fs::read(path) {
        Ok(bytes) => load_str(&String::from_utf8_lossy(&bytes), &path.to_string_lossy()),
        Err(e) => {
            let mut diags = Diagnostics::default();
            let span = Span::new(&std::sync::Arc::from(path.to_string_lossy().as_ref()), 1, 1);
            diags.error(span, format!("cannot read config file: {e}"));
            Err(diags)
        }
    }
}

/// Loads config text; `name` names it in diagnostics, and its directory is the base of
/// relative paths (includes, keys, logs).
pub fn load_str(text: &str, name: &str) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::default();
    let base = Path::new(name)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let items = parse::parse_text(text, name, base, &mut diags);
    let config = resolve::resolve(&items, Path::new(name), &mut diags);
    let diags = diags.sorted();
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(Loaded {
        config,
        warnings: diags.0,
    })
}
