//! How the directives of the blocks that build one object (`<virtual-mta>`,
//! `<virtual-mta-pool>`, `<acct-file>`, the return-path processors, `<smtp-user>`,
//! `<spool>`, `<source-group>`) reach it: each table row carries its [`Setter`] for every
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
use crate::processor::{ReturnProcessor, parse_forward_address};
use crate::resolve::{RefKind, Resolver};
use crate::setting::Value;

/// Applies a parsed value to a block's object; false when the value is not of the kind the
/// setter takes (a table mistake, caught by this module's tests).
pub(crate) type SetFn<T> = for<'a, 'd> fn(&'a mut Resolver<'d>, &Directive, Value, &mut T) -> bool;

/// The setter of one row for one kind of block.
#[derive(Clone, Copy)]
pub(crate) enum Setter {
    Vmta(SetFn<VirtualMta>),
    Pool(SetFn<VmtaPool>),
    Acct(SetFn<AcctFile>),
    /// `<bounce-processor>` and `<feedback-loop-processor>`.
    Processor(SetFn<ReturnProcessor>),
    User(SetFn<UserDraft>),
    Spool(SetFn<SpoolDraft>),
    /// `<source-group>`: its directives are entries, applied once the block is read.
    Group(fn(&mut SourceGroup, &Value) -> bool),
}

impl std::fmt::Debug for Setter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let block = match self {
            Setter::Vmta(_) => "virtual-mta",
            Setter::Pool(_) => "virtual-mta-pool",
            Setter::Acct(_) => "acct-file",
            Setter::Processor(_) => "processor",
            Setter::User(_) => "smtp-user",
            Setter::Spool(_) => "spool",
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

#[cfg(test)]
mod tests;
