//! How the directives of the blocks that build one object (`<virtual-mta>`,
//! `<virtual-mta-pool>`, `<acct-file>`, the return-path processors, `<smtp-user>`,
//! `<spool>`, `<source-group>`, `<address-list>`, `<rewrite-list>`), and the top level,
//! reach it: each table row carries its [`Setter`] for every
//! such block it may stand in, and the resolver hands the setter the value the row's
//! [`Kind`](crate::table::Kind) parsed. A row's kind and its application therefore cannot
//! disagree: a setter receives only values of that kind (the test
//! `every_setter_takes_the_value_of_its_rows_kind` runs each one on a value of its kind),
//! and a block directive no longer has a hand-written parser of its own.
//!
//! Merged settings (`<domain>`, `<source>`) need no setter: their rows' values are kept by
//! slot and read by the policy code.

use std::path::PathBuf;

use crate::model::{AcctFile, Password, SourceGroup, SourceHost, VirtualMta, VmtaPool};
use crate::parse::Directive;
use crate::processor::{AddressEntry, ReturnProcessor, parse_address_entry, parse_forward_address};
use crate::resolve::{RefKind, Resolver};
use crate::rewrite::{RewriteList, parse_from_domain, parse_mail_from};
use crate::setting::Value;

/// Applies a parsed value to a block's object; false when the value is not of the kind the
/// setter takes (a table mistake, caught by this module's tests).
pub(crate) type SetFn<T> = for<'a, 'd> fn(&'a mut Resolver<'d>, &Directive, Value, &mut T) -> bool;

/// Applies a parsed top-level value (or `Value::Cleared` for `""`) to the config.
pub(crate) type GlobalFn = for<'a, 'd> fn(&'a mut Resolver<'d>, &Directive, Value) -> bool;

/// The setter of one row for one kind of block.
#[derive(Clone, Copy)]
pub(crate) enum Setter {
    /// The top level.
    Global(GlobalFn),
    Vmta(SetFn<VirtualMta>),
    Pool(SetFn<VmtaPool>),
    Acct(SetFn<AcctFile>),
    /// `<bounce-processor>` and `<feedback-loop-processor>`.
    Processor(SetFn<ReturnProcessor>),
    User(SetFn<UserDraft>),
    Spool(SetFn<SpoolDraft>),
    /// `<address-list>` of a return-path processor.
    Addresses(SetFn<Vec<AddressEntry>>),
    Rewrite(SetFn<RewriteList>),
    /// `<source-group>`: its directives are entries, applied once the block is read.
    Group(fn(&mut SourceGroup, &Value) -> bool),
}

impl std::fmt::Debug for Setter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let block = match self {
            Setter::Global(_) => "top level",
            Setter::Vmta(_) => "virtual-mta",
            Setter::Pool(_) => "virtual-mta-pool",
            Setter::Acct(_) => "acct-file",
            Setter::Processor(_) => "processor",
            Setter::User(_) => "smtp-user",
            Setter::Spool(_) => "spool",
            Setter::Addresses(_) => "address-list",
            Setter::Rewrite(_) => "rewrite-list",
            Setter::Group(_) => "source-group",
        };
        write!(f, "Setter({block})")
    }
}

/// An object a block's setters write to.
pub(crate) trait Target: Sized {
    fn pick(s: &Setter) -> Option<SetFn<Self>>;
}

macro_rules! target {
    ($t:ty, $variant:ident) => {
        impl Target for $t {
            fn pick(s: &Setter) -> Option<SetFn<Self>> {
                match s {
                    Setter::$variant(f) => Some(*f),
                    _ => None,
                }
            }
        }
    };
}
target!(VirtualMta, Vmta);
target!(VmtaPool, Pool);
target!(AcctFile, Acct);
target!(ReturnProcessor, Processor);
target!(UserDraft, User);
target!(SpoolDraft, Spool);
target!(Vec<AddressEntry>, Addresses);
target!(RewriteList, Rewrite);

/// What an `<smtp-user>` block has said so far.
#[derive(Debug, Default)]
pub(crate) struct UserDraft {
    pub password: Option<Password>,
    pub source: Option<String>,
}

/// A `<spool>` block: only the first spool directory is used, so only its settings count.
#[derive(Debug, Default)]
pub(crate) struct SpoolDraft {
    pub first: bool,
}

/// `fn NAME(r, d, value, target) -> bool` taking one [`Value`] variant.
macro_rules! setter {
    ($name:ident, $t:ty, $pat:pat, |$r:ident, $d:ident, $o:ident| $body:expr) => {
        pub(crate) fn $name($r: &mut Resolver<'_>, $d: &Directive, v: Value, $o: &mut $t) -> bool {
            let $pat = v else { return false };
            $body;
            true
        }
    };
}

// ---- <virtual-mta> ----
setter!(vmta_host_name, VirtualMta, Value::Text(t), |_r, _d, m| {
    m.host_name = Some(t.to_ascii_lowercase())
});
setter!(vmta_bind_ip, VirtualMta, Value::Ip(ip), |_r, _d, m| {
    m.source_hosts.push(SourceHost {
        ip,
        host_name: None,
    })
});
setter!(vmta_source_host, VirtualMta, Value::Text(_), |r, d, m| {
    m.source_hosts.extend(r.source_host(d))
});
setter!(vmta_domain_key, VirtualMta, Value::Text(_), |r, d, m| {
    m.domain_keys.extend(r.domain_key(d))
});
setter!(vmta_cold, VirtualMta, Value::Text(_), |r, d, m| {
    m.cold_virtual_mta = r.cold_vmta(d)
});
setter!(vmta_rewrite_list, VirtualMta, Value::Text(_), |r, d, m| {
    m.rewrite_list = Some(r.rewrite_ref(d))
});
setter!(
    vmta_max_smtp_out,
    VirtualMta,
    Value::Limit(n),
    |_r, _d, m| { m.max_smtp_out = n }
);

// ---- <virtual-mta-pool> ----
setter!(pool_member, VmtaPool, Value::Text(t), |r, d, p| {
    let member = t.trim().to_string();
    r.refs
        .push((RefKind::PoolMember, member.clone(), d.value.span.clone()));
    p.members.push(member)
});
setter!(pool_domain_key, VmtaPool, Value::Text(_), |r, d, p| {
    p.domain_keys.extend(r.domain_key(d))
});
setter!(pool_cold, VmtaPool, Value::Text(_), |r, d, p| {
    p.cold_virtual_mta = r.cold_vmta(d)
});
setter!(pool_rewrite_list, VmtaPool, Value::Text(_), |r, d, p| {
    p.rewrite_list = Some(r.rewrite_ref(d))
});
setter!(pool_max_smtp_out, VmtaPool, Value::Limit(n), |_r, _d, p| {
    p.max_smtp_out = n
});

// ---- <acct-file> ----
setter!(acct_records, AcctFile, Value::Records(r), |_r, _d, a| {
    a.records = r
});
setter!(
    acct_record_fields,
    AcctFile,
    Value::RecordFields(f),
    |_r, _d, a| { a.record_fields.push(f) }
);
setter!(acct_max_size, AcctFile, Value::Size(n), |_r, _d, a| {
    a.max_size = n
});
setter!(
    acct_move_interval,
    AcctFile,
    Value::Duration(t),
    |_r, _d, a| { a.move_interval = t }
);
setter!(acct_move_to, AcctFile, Value::Text(p), |_r, _d, a| {
    a.move_to = Some(PathBuf::from(p))
});
setter!(
    acct_retry_interval,
    AcctFile,
    Value::Duration(t),
    |_r, _d, a| { a.retry_interval = t }
);
setter!(
    acct_write_timeout,
    AcctFile,
    Value::Duration(t),
    |_r, _d, a| { a.write_timeout = t }
);
setter!(acct_user_string, AcctFile, Value::Text(t), |_r, _d, a| {
    a.user_string = Some(t)
});
setter!(acct_sync, AcctFile, Value::Bool(b), |_r, _d, a| a.sync = b);
setter!(
    acct_delete_after,
    AcctFile,
    Value::MaybeDuration(t),
    |_r, _d, a| { a.delete_after = t }
);

// ---- <bounce-processor>, <feedback-loop-processor> ----
setter!(
    proc_deliver_unmatched,
    ReturnProcessor,
    Value::Bool(b),
    |_r, _d, p| { p.deliver_unmatched = b }
);
setter!(
    proc_deliver_matched,
    ReturnProcessor,
    Value::Bool(b),
    |_r, _d, p| { p.deliver_matched = b }
);
setter!(
    proc_forward_unmatched,
    ReturnProcessor,
    Value::Text(t),
    |r, d, p| { p.forward_unmatched_to = r.check(d, parse_forward_address(&t)) }
);
setter!(
    proc_forward_errors,
    ReturnProcessor,
    Value::Text(t),
    |r, d, p| { p.forward_errors_to = r.check(d, parse_forward_address(&t)) }
);

// ---- <address-list> (in a processor) ----
setter!(
    addr_address,
    Vec<AddressEntry>,
    Value::Text(t),
    |r, d, out| { out.extend(r.check(d, parse_address_entry(&t))) }
);
setter!(
    addr_domain,
    Vec<AddressEntry>,
    Value::Text(_),
    |r, d, out| { r.address_domains(d, out) }
);
setter!(addr_file, Vec<AddressEntry>, Value::Text(_), |r, d, out| {
    r.address_file(d, out)
});

// ---- <rewrite-list> ----
setter!(rewrite_mail_from, RewriteList, Value::Text(t), |r, d, l| {
    let rule = parse_mail_from(&t, d.span.clone());
    l.rules.extend(r.check(d, rule))
});
setter!(
    rewrite_from_domain,
    RewriteList,
    Value::Text(t),
    |r, d, l| {
        let rule = parse_from_domain(&t, d.span.clone());
        l.from_domains.extend(r.check(d, rule))
    }
);

// ---- <smtp-user> ----
setter!(user_password, UserDraft, Value::Text(t), |r, d, u| {
    r.password(d, t.trim(), &mut u.password)
});
setter!(user_auth_method, UserDraft, Value::Text(t), |r, d, _u| {
    let method = t.trim();
    if !method.eq_ignore_ascii_case("password") {
        let msg =
            format!("authentication-method: '{method}' is not supported by pmtad (only password)");
        r.diags.error(d.value.span.clone(), msg);
    }
});
setter!(user_source, UserDraft, Value::Text(t), |r, d, u| {
    let name = t.trim().to_string();
    r.refs
        .push((RefKind::NamedSource, name.clone(), d.value.span.clone()));
    u.source = Some(name)
});

// ---- <spool> ----
setter!(
    spool_min_free_space,
    SpoolDraft,
    Value::Size(n),
    |r, _d, s| {
        if s.first {
            r.cfg.spool_min_free_space = n.unwrap_or(0);
        }
    }
);

// ---- <source-group> ----
pub(crate) fn group_max_smtp_in(g: &mut SourceGroup, v: &Value) -> bool {
    let Value::Limit(n) = v else { return false };
    g.max_smtp_in = *n;
    true
}

pub(crate) fn group_reserved_smtp_in(g: &mut SourceGroup, v: &Value) -> bool {
    let Value::Count(n) = v else { return false };
    g.reserved_smtp_in = *n;
    true
}

// ---- top level ----
// A top-level `""` clears: each setter gets `Value::Cleared` for it and does what the
// directive's clearing means (back to the default, or nothing to clear).

/// `fn NAME(r, d, value) -> bool` for a top-level directive: `$clear` is true for `""`.
macro_rules! global {
    ($name:ident, $pat:pat, |$r:ident, $d:ident, $v:ident, $clear:ident| $body:expr) => {
        pub(crate) fn $name($r: &mut Resolver<'_>, $d: &Directive, $v: Value) -> bool {
            let $clear = matches!($v, Value::Cleared);
            if !$clear && !matches!($v, $pat) {
                return false;
            }
            $body;
            true
        }
    };
}

/// The text of a `Text` value (a path comes resolved), `None` for `Cleared`.
fn text(v: Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

global!(global_host_name, Value::Text(_), |r, d, _v, clear| r
    .host_name(d, clear));
global!(global_postmaster, Value::Text(_), |r, _d, v, _c| r
    .cfg
    .postmaster =
    text(v));
global!(global_log_domain, Value::Text(_), |r, _d, v, _c| r
    .cfg
    .log_domain =
    text(v));
global!(
    global_log_file,
    Value::Text(_),
    |r, _d, v, _c| if let Some(p) = text(v) {
        r.cfg.log_file = PathBuf::from(p)
    }
);
global!(global_tls_certificate, Value::Text(_), |r, _d, v, _c| {
    r.cfg.smtp_server_tls_certificate = text(v).map(PathBuf::from)
});
global!(
    global_control_socket,
    Value::Text(_),
    |r, _d, v, _c| if let Some(p) = text(v) {
        r.cfg.control_socket = PathBuf::from(p)
    }
);
global!(
    global_spool,
    Value::Text(_),
    |r, _d, v, _c| if let Some(p) = text(v) {
        r.cfg.spool_dirs.push(PathBuf::from(p))
    }
);
global!(global_listener, Value::Text(_), |r, d, _v, _c| r
    .listener_directive(d));
global!(global_tls12, Value::Bool(_), |r, d, v, _c| {
    r.cfg.smtp_server_tls12 = r.flag(d, v, true)
});
global!(global_tls13, Value::Bool(_), |r, d, v, _c| {
    r.cfg.smtp_server_tls13 = r.flag(d, v, true)
});
global!(
    global_body_cache,
    Value::Size(_),
    |r, _d, v, _c| if let Value::Size(n) = v {
        r.cfg.body_cache_size = n.unwrap_or(u64::MAX)
    }
);
global!(
    global_sync_delay,
    Value::Duration(_),
    |r, _d, v, _c| if let Value::Duration(t) = v {
        r.cfg.completion_sync_delay = t
    }
);
global!(global_tls_ciphers, Value::Text(_), |r, d, _v, clear| {
    r.cfg.smtp_server_tls_ciphers = r.cipher_list(d, clear)
});
global!(global_tls13_suites, Value::Text(_), |r, d, _v, clear| {
    r.cfg.smtp_server_tls13_suites = r.cipher_list(d, clear)
});
global!(global_name_servers, Value::Text(_), |r, d, _v, _c| r
    .name_servers(d));
global!(global_relay_domains, Value::Text(_), |r, d, _v, _c| r
    .relay_domains(d));
global!(
    global_max_smtp_in,
    Value::Count(_),
    |r, _d, v, _c| if let Value::Count(n) = v {
        r.cfg.total_max_smtp_in = n
    }
);
global!(
    global_max_smtp_out,
    Value::Count(_),
    |r, _d, v, _c| if let Value::Count(n) = v {
        r.cfg.total_max_smtp_out = n
    }
);
global!(
    global_log_rotate,
    Value::Count(_),
    |r, _d, v, _c| if let Value::Count(n) = v {
        r.cfg.log_rotate = n
    }
);
global!(global_domain_key, Value::Text(_), |r, d, _v, _c| {
    if let Some(key) = r.domain_key(d) {
        r.cfg.domain_keys.push(key)
    }
});
global!(global_source_host, Value::Text(_), |r, d, _v, _c| {
    let hosts = r.source_host(d);
    r.cfg.source_hosts.extend(hosts)
});
/// `domain-macro`: read before the walk (macros apply wherever they stand).
pub(crate) fn global_macro(_: &mut Resolver<'_>, _: &Directive, v: Value) -> bool {
    matches!(v, Value::Text(_) | Value::Cleared)
}
global!(global_cluster_url, Value::Text(_), |r, d, _v, clear| r
    .cluster_url(d, clear));
global!(global_cluster_ca, Value::Text(_), |r, d, v, _c| {
    r.cluster_tls_span = Some(d.span.clone());
    r.cfg.cluster.redis_ca_file = text(v).map(PathBuf::from)
});
global!(global_cluster_cert, Value::Text(_), |r, d, v, _c| {
    r.cluster_tls_span = Some(d.span.clone());
    r.cfg.cluster.redis_cert_file = text(v).map(PathBuf::from)
});
global!(global_cluster_key, Value::Text(_), |r, d, v, _c| {
    r.cluster_tls_span = Some(d.span.clone());
    r.cfg.cluster.redis_key_file = text(v).map(PathBuf::from)
});
global!(global_cluster_node, Value::Text(_), |r, _d, v, _c| {
    r.cfg.cluster.node_id = text(v).map(|t| t.trim().to_string())
});
global!(
    global_cluster_fallback,
    Value::Text(_),
    |r, d, _v, clear| r.cluster_fallback(d, clear)
);

// ---- the HTTP management interface (top level) ----
global!(
    http_mgmt_port,
    Value::Text(_),
    |r, d, v, _c| match text(v) {
        None => r.cfg.http.listen = None,
        Some(t) => {
            if let Some(listen) = r.check(d, crate::http::parse_mgmt_port(&t)) {
                r.cfg.http.listen = listen
            }
        }
    }
);
global!(http_access, Value::Text(_), |r, d, v, _c| match text(v) {
    None => r.cfg.http.access.clear(),
    Some(t) => {
        if let Some(a) = r.check(d, crate::http::parse_access(&t)) {
            r.cfg.http.access.push(a)
        }
    }
});
global!(http_api_key, Value::Text(_), |r, d, v, _c| match text(v) {
    None => r.cfg.http.api_keys.clear(),
    Some(t) => {
        if let Some(k) = r.check(d, crate::http::parse_api_key(&t)) {
            r.cfg.http.api_keys.push(k)
        }
    }
});
global!(http_max_items, Value::Count(_), |r, _d, v, _c| {
    r.cfg.http.default_max_items = match v {
        Value::Count(n) => n,
        _ => crate::http::HttpMgmt::default().default_max_items,
    }
});
global!(http_top_queues, Value::Count(_), |r, _d, v, _c| {
    r.cfg.http.metrics_top_queues = match v {
        Value::Count(n) => n,
        _ => crate::http::HttpMgmt::default().metrics_top_queues,
    }
});
global!(http_tls_certificate, Value::Text(_), |r, _d, v, _c| {
    r.cfg.http.tls.certificate = text(v).map(PathBuf::from)
});
global!(http_tls12, Value::Bool(_), |r, _d, v, _c| {
    r.cfg.http.tls.tls12 = bool_or(v, crate::http::HttpTls::default().tls12)
});
global!(http_tls13, Value::Bool(_), |r, _d, v, _c| {
    r.cfg.http.tls.tls13 = bool_or(v, crate::http::HttpTls::default().tls13)
});
global!(http_redirect, Value::Bool(_), |r, _d, v, _c| {
    r.cfg.http.tls.redirect_to_https = bool_or(v, crate::http::HttpTls::default().redirect_to_https)
});
global!(http_tls_ciphers, Value::Text(_), |r, d, _v, clear| {
    r.cfg.http.tls.ciphers = r.cipher_list(d, clear)
});
global!(http_tls13_suites, Value::Text(_), |r, d, _v, clear| {
    r.cfg.http.tls.tls13_suites = r.cipher_list(d, clear)
});

/// A `Bool` value, or `default` for `""`.
fn bool_or(v: Value, default: bool) -> bool {
    match v {
        Value::Bool(b) => b,
        _ => default,
    }
}

#[cfg(test)]
mod tests;
