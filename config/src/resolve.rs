//! Stage two: the raw tree to a typed [`Config`]. Checks every directive against the
//! table (known? allowed in this block? value well-formed?), builds virtual MTAs, pools,
//! sources, accounting files, pattern lists and the `<domain>` index, then runs the
//! cross-reference checks (unknown virtual MTA, pool member, pattern list, named source).

use crate::apply::{Setter, SpoolDraft, Target, UserDraft};
use crate::diag::{Diagnostics, Span};
use crate::global::Config;
use crate::keys::load_key;
use crate::macros::Macros;
use crate::model::{
    AcctFile, BounceCategoryRule, DEFAULT_VMTA, Delivery, DomainKey, MxPattern, MxRollup, Password,
    PatternAction, PatternRule, RecordType, SmtpListener, SmtpPatternList, SmtpUser, SourceGroup,
    SourceHost, VirtualMta, VmtaPool,
};
use crate::parse::{Block, Directive, Item, RawValue, resolve_path};
use crate::processor::{AddressEntry, ProcessorKind, ReturnProcessor, parse_address_entry};
use crate::queue::{DomainBlock, DomainIndex, Entry, PATTERN_LIST, Scope, TYPE};
use crate::setting::{Value, parse_kind, parse_value};
use crate::source::{SourceBlock, SourceIndex, SourceKey};
use crate::table::{
    self, ACCT, ADDR_LIST, BLOCKS, BOUNCE_CATS, BOUNCE_PROC, DIRECTIVES, DOMAIN, DirectiveDef,
    FBL_PROC, GLOBAL, LISTENER, MX_ROLLUP, NOT_YET_BLOCKS, PATTERNS, POOL, REWRITE, SELECT, SOURCE,
    SOURCE_GROUP, SPOOL, Scopes, Status, USER, VMTA,
};
use crate::values::{self as v, Bad, DomainPattern, VResult, bad, split_items};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Builds the config from the parsed items, pushing every problem into `diags`.
pub(crate) fn resolve(items: &[Item], path: &Path, diags: &mut Diagnostics) -> Config {
    let mut r = Resolver {
        diags,
        cfg: empty_config(path),
        refs: Vec::new(),
        pipes: Vec::new(),
        macros: Macros::default(),
        cluster_tls_span: None,
    };
    r.define_macros(items);
    for item in items {
        match item {
            Item::Directive(d) => r.global_directive(d),
            Item::Block(b) => r.block(b, GLOBAL, &Scope::Global),
        }
    }
    r.finish();
    r.cfg
}

fn empty_config(path: &Path) -> Config {
    Config {
        path: path.to_path_buf(),
        host_name: None,
        smtp_listeners: Vec::new(),
        spool_dirs: Vec::new(),
        spool_min_free_space: 0,
        completion_sync_delay: Duration::from_secs(1),
        body_cache_size: 64 << 20,
        control_socket: PathBuf::from("/run/pmtad/control.sock"),
        name_servers: Vec::new(),
        log_file: PathBuf::from("/var/log/pmtad/pmtad.log"),
        log_rotate: 8,
        smtp_server_tls_certificate: None,
        smtp_server_tls12: true,
        smtp_server_tls13: true,
        smtp_server_tls_ciphers: None,
        smtp_server_tls13_suites: None,
        smtp_users: BTreeMap::new(),
        pattern_lists: BTreeMap::new(),
        rewrite_lists: BTreeMap::new(),
        log_domain: None,
        postmaster: None,
        relay_domains: Vec::new(),
        total_max_smtp_in: 100,
        source_groups: BTreeMap::new(),
        total_max_smtp_out: 1200,
        acct_files: Vec::new(),
        domain_keys: Vec::new(),
        source_hosts: Vec::new(),
        smtp_pattern_lists: BTreeMap::new(),
        virtual_mtas: BTreeMap::new(),
        pools: BTreeMap::new(),
        http: crate::http::HttpMgmt::default(),
        cluster: crate::cluster::Cluster::default(),
        domains: DomainIndex::default(),
        sources: SourceIndex::default(),
        bounce_category_patterns: Vec::new(),
        mx_rollups: Vec::new(),
        bounce_processor: None,
        feedback_loop_processor: None,
    }
}

/// A name used somewhere that must be defined somewhere (checked after the walk).
pub(crate) enum RefKind {
    Vmta,
    PoolMember,
    PatternList,
    NamedSource,
    SelectList,
    RewriteList,
    SourceGroup,
}

pub(crate) struct Resolver<'d> {
    pub(crate) diags: &'d mut Diagnostics,
    pub(crate) cfg: Config,
    pub(crate) refs: Vec<(RefKind, String, Span)>,
    /// `<domain>` blocks that set `type pipe`: each must end up with a command.
    pipes: Vec<(usize, Span)>,
    macros: Macros,
    /// Where the last `cluster-redis-*-file` was set, for [`Resolver::check_cluster_tls`].
    pub(crate) cluster_tls_span: Option<Span>,
}

/// Directory of the file a span is in: relative paths are relative to it.
fn base_dir(span: &Span) -> PathBuf {
    Path::new(span.file.as_ref())
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

impl Resolver<'_> {
    fn error_at(&mut self, value: &RawValue, bad: Bad) {
        self.diags.error(value.span_at(bad.at), bad.msg);
    }

    /// The table row for `d` if it is known and allowed in `scope`; diagnoses otherwise.
    fn known(&mut self, d: &Directive, scope: Scopes) -> Option<(usize, &'static DirectiveDef)> {
        match table::lookup(&d.name, scope) {
            None => {
                let mut msg = format!("unknown directive '{}'", d.name);
                if let Some(s) = table::suggest(&d.name, DIRECTIVES.iter().map(|d| d.name)) {
                    msg.push_str(&format!("; did you mean '{s}'?"));
                }
                self.diags.error(d.span.clone(), msg);
                None
            }
            Some((_, def)) if def.status == Status::NotYet => {
                let msg = format!(
                    "'{}' is a PowerMTA directive pmtad does not implement yet; it is ignored",
                    d.name
                );
                self.diags.warning(d.span.clone(), msg);
                None
            }
            Some((_, def)) if def.scopes & scope == 0 => {
                let msg = format!(
                    "'{}' has no meaning in {}; it belongs in {}",
                    d.name,
                    table::scope_list(scope),
                    table::scope_list(table::scopes_of(def.name))
                );
                self.diags.error(d.span.clone(), msg);
                None
            }
            found => found,
        }
    }

    /// The typed value of a mergeable directive.
    fn value(&mut self, def: &DirectiveDef, d: &Directive) -> Option<Value> {
        match parse_value(def.kind, &d.value, || base_dir(&d.span)) {
            Ok(v) => Some(v),
            Err(b) => {
                let b = Bad {
                    msg: format!("{}: {}", def.name, b.msg),
                    ..b
                };
                self.error_at(&d.value, b);
                None
            }
        }
    }

    /// Runs a value parser, reporting a failure at the right column.
    pub(crate) fn check<T>(&mut self, d: &Directive, result: VResult<T>) -> Option<T> {
        result
            .map_err(|b| {
                let b = Bad {
                    msg: format!("{}: {}", d.name, b.msg),
                    ..b
                };
                self.error_at(&d.value, b)
            })
            .ok()
    }

    fn path(&self, d: &Directive) -> PathBuf {
        resolve_path(&base_dir(&d.span), &d.value.text)
    }

    fn global_directive(&mut self, d: &Directive) {
        let Some((_, def)) = self.known(d, GLOBAL) else {
            return;
        };
        let clear = d.value.is_clear();
        if d.value.text.is_empty() && !clear {
            let msg = format!(
                "{}: a value is missing (expected {})",
                def.name,
                def.kind.syntax()
            );
            self.diags.error(d.value.span.clone(), msg);
            return;
        }
        let set = def.setters.iter().find_map(|s| match s {
            Setter::Global(f) => Some(*f),
            _ => None,
        });
        let Some(set) = set else {
            return; // none: `every_block_row_has_a_setter…` keeps this from happening
        };
        let value = match clear {
            true => Some(Value::Cleared),
            false => {
                let parsed = parse_kind(def.kind, &d.value, || base_dir(&d.span));
                self.check(d, parsed)
            }
        };
        if let Some(value) = value {
            let taken = set(self, d, value);
            debug_assert!(taken, "{}: setter does not take {:?}", def.name, def.kind);
        }
    }

    /// A `yes|no` whose `""` is read as written (an error), as `smtp-server-tls-allow-*`
    /// always did.
    pub(crate) fn flag(&mut self, d: &Directive, value: Value, default: bool) -> bool {
        match value {
            Value::Bool(b) => b,
            _ => self
                .check(d, v::parse_bool(&d.value.text))
                .unwrap_or(default),
        }
    }

    /// `cluster-redis-url`: checked for a scheme pmtad can speak, so a typo fails the load
    /// instead of leaving the node quietly outside the fleet.
    pub(crate) fn cluster_url(&mut self, d: &Directive, clear: bool) {
        let url = d.value.text.trim();
        if clear {
            self.cfg.cluster.redis_url = None;
        } else if crate::cluster::is_redis_url(url) {
            self.cfg.cluster.redis_url = Some(url.to_string());
        } else {
            let url = crate::cluster::redact_url(url);
            let msg =
                format!("cluster-redis-url: '{url}' is not a redis://, rediss:// or unix:// URL");
            self.diags.error(d.value.span.clone(), msg);
        }
    }

    /// `cluster-fallback divide|local|pause`.
    pub(crate) fn cluster_fallback(&mut self, d: &Directive, clear: bool) {
        let word = d.value.text.trim();
        match crate::cluster::Fallback::parse(word) {
            _ if clear => self.cfg.cluster.fallback = crate::cluster::Fallback::default(),
            Some(f) => self.cfg.cluster.fallback = f,
            None => {
                let msg = format!("cluster-fallback: '{word}' is not divide, local or pause");
                self.diags.error(d.value.span.clone(), msg);
            }
        }
    }

    /// The first `host-name` names the host (banner, EHLO); every one is also a domain
    /// this host accepts mail for, as in PowerMTA.
    pub(crate) fn host_name(&mut self, d: &Directive, clear: bool) {
        if clear {
            self.cfg.host_name = None;
            return;
        }
        let name = d.value.text.trim().to_string();
        if !v::is_hostname(&name) {
            let msg = format!("host-name: '{}' is not a host name", d.value.text);
            self.diags.error(d.value.span.clone(), msg);
            return;
        }
        if self.cfg.host_name.is_some() {
            let lower = name.to_ascii_lowercase();
            self.cfg.relay_domains.push(DomainPattern::Exact(lower));
        } else {
            self.cfg.host_name = Some(name);
        }
    }

    pub(crate) fn listener_directive(&mut self, d: &Directive) {
        if let Some(l) = self.check(d, parse_listener(&d.value.text)) {
            if let Some(src) = &l.source {
                self.refs
                    .push((RefKind::NamedSource, src.clone(), d.value.span.clone()));
            }
            self.cfg.smtp_listeners.push(l);
        }
    }

    pub(crate) fn name_servers(&mut self, d: &Directive) {
        for (at, item) in split_items(&d.value.text, ',') {
            match v::parse_name_server(item) {
                Ok(addr) => self.cfg.name_servers.push(addr),
                Err(b) => self.error_at(
                    &d.value,
                    Bad {
                        at: at + b.at,
                        msg: format!("name-server: {}", b.msg),
                    },
                ),
            }
        }
    }

    pub(crate) fn relay_domains(&mut self, d: &Directive) {
        for (at, item) in split_items(&d.value.text, ',') {
            match v::parse_domain_pattern(item) {
                Ok(p) => self.cfg.relay_domains.push(p),
                Err(b) => self.error_at(
                    &d.value,
                    Bad {
                        at: at + b.at,
                        msg: format!("relay-domain: {}", b.msg),
                    },
                ),
            }
        }
    }

    /// `SELECTOR, DOMAIN, FILE`: the file is read and checked now.
    pub(crate) fn domain_key(&mut self, d: &Directive) -> Option<DomainKey> {
        let items = split_items(&d.value.text, ',');
        if items.len() != 3 || items.iter().any(|(_, s)| s.is_empty()) {
            let msg = "domain-key: expected SELECTOR, DOMAIN, KEYFILE";
            self.diags.error(d.value.span.clone(), msg);
            return None;
        }
        let (selector, domain, (file_at, file)) = (items[0].1, items[1].1, items[2]);
        if domain != "*" && !v::is_hostname(domain) {
            let msg = format!("domain-key: '{domain}' is not a domain name");
            self.diags.error(d.value.span_at(items[1].0), msg);
            return None;
        }
        let path = resolve_path(&base_dir(&d.span), file);
        match load_key(selector, domain, &path) {
            Ok(key) => Some(key),
            Err(msg) => {
                self.diags.error(d.value.span_at(file_at), msg);
                None
            }
        }
    }

    /// `IP|CIDR HOSTNAME`: a CIDR (at most 256 addresses) stands for each of its hosts,
    /// except 127.0.0.1, as in PowerMTA.
    pub(crate) fn source_host(&mut self, d: &Directive) -> Vec<SourceHost> {
        let mut words = d.value.text.split_whitespace();
        let addr = words.next().unwrap_or_default();
        let name = words.next();
        if let Some(n) = name.filter(|n| !v::is_hostname(n)) {
            let at = d.value.text.find(n).unwrap_or(0);
            let msg = format!("smtp-source-host: '{n}' is not a host name");
            self.error_at(&d.value, Bad { at, msg });
            return Vec::new();
        }
        let Some(ips) = self.check(d, source_ips(addr)) else {
            return Vec::new();
        };
        let host_name = name.map(str::to_ascii_lowercase);
        ips.into_iter()
            .map(|ip| SourceHost {
                ip,
                host_name: host_name.clone(),
            })
            .collect()
    }

    fn block(&mut self, b: &Block, parent: Scopes, scope: &Scope) {
        let Some(&(_, own, allowed, _)) = BLOCKS.iter().find(|(k, ..)| *k == b.kind) else {
            self.unknown_block(b);
            return;
        };
        if own == ADDR_LIST && parent == GLOBAL {
            let msg = "a top-level <address-list> (a suppression list) is a PowerMTA block pmtad \
                       does not implement yet; its contents are ignored";
            self.diags.warning(b.span.clone(), msg);
            return;
        }
        if allowed & parent == 0 {
            let msg = format!(
                "<{}> cannot stand in {}; it belongs in {}",
                b.kind,
                table::scope_list(parent),
                table::scope_list(allowed)
            );
            self.diags.error(b.span.clone(), msg);
            return;
        }
        match own {
            DOMAIN => self.domain_block(b, scope),
            VMTA => self.vmta_block(b),
            POOL => self.pool_block(b),
            SOURCE => self.source_block(b),
            ACCT => self.acct_block(b),
            PATTERNS => self.patterns_block(b),
            SPOOL => self.spool_block(b),
            USER => self.user_block(b),
            SELECT => self.select_block(b),
            REWRITE => self.rewrite_block(b),
            BOUNCE_CATS => self.bounce_cats_block(b),
            MX_ROLLUP => self.rollup_block(b),
            BOUNCE_PROC => self.processor_block(b, ProcessorKind::Bounce),
            FBL_PROC => self.processor_block(b, ProcessorKind::FeedbackLoop),
            ADDR_LIST => {} // read by its processor (processor_block)
            SOURCE_GROUP => self.source_group_block(b),
            _ => self.listener_block(b),
        }
    }

    fn unknown_block(&mut self, b: &Block) {
        if NOT_YET_BLOCKS.contains(&b.kind.as_str()) {
            let msg = format!(
                "<{}> is a PowerMTA block pmtad does not implement yet; its contents are ignored",
                b.kind
            );
            self.diags.warning(b.span.clone(), msg);
            return;
        }
        let mut msg = format!("unknown block <{}>", b.kind);
        let names = BLOCKS
            .iter()
            .map(|(k, ..)| *k)
            .chain(NOT_YET_BLOCKS.iter().copied());
        if let Some(s) = table::suggest(&b.kind, names) {
            msg.push_str(&format!("; did you mean <{s}>?"));
        }
        self.diags.error(b.span.clone(), msg);
    }

    /// The argument of a block that needs a name.
    fn block_name(&mut self, b: &Block) -> Option<String> {
        let name = b.arg.text.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            let msg = format!("<{}> needs one name", b.kind);
            self.diags.error(b.arg.span.clone(), msg);
            return None;
        }
        Some(name.to_string())
    }

    /// Directives of a block become entries (slot, value, span).
    fn entries(&mut self, b: &Block, scope_bit: Scopes, scope: &Scope) -> Vec<Entry> {
        let mut entries = Vec::new();
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, scope_bit, scope),
                Item::Directive(d) => {
                    let Some((i, def)) = self.known(d, scope_bit) else {
                        continue;
                    };
                    if let Some(value) = self.value(def, d) {
                        let slot = table::slot_of(i);
                        self.warn_if_repeated(&entries, slot, d);
                        entries.push(Entry {
                            slot,
                            value,
                            span: d.span.clone(),
                        });
                    }
                }
            }
        }
        entries
    }

    /// A second value for the same setting in one block: legal (the later wins), but
    /// usually a mistake worth pointing at.
    fn warn_if_repeated(&mut self, entries: &[Entry], slot: usize, d: &Directive) {
        if let Some(first) = entries.iter().find(|e| e.slot == slot) {
            let msg = format!(
                "'{}' is set again in this block (first at line {}); the later value wins",
                d.name, first.span.line
            );
            self.diags.warning(d.span.clone(), msg);
        }
    }

    fn domain_block(&mut self, b: &Block, scope: &Scope) {
        let patterns = self.domain_patterns(&b.arg);
        let entries = self.entries(b, DOMAIN, scope);
        for e in &entries {
            if let (PATTERN_LIST, Value::Text(name)) = (e.slot, &e.value) {
                self.refs
                    .push((RefKind::PatternList, name.clone(), e.span.clone()));
            }
        }
        let pipe = entries
            .iter()
            .find(|e| {
                e.slot == TYPE && e.value == Value::Delivery(crate::model::DeliveryType::Pipe)
            })
            .map(|e| e.span.clone());
        let from_macro = b.arg.text.contains('$');
        let count = patterns.len();
        let mut entries = Some(entries);
        for (i, pattern) in patterns.into_iter().enumerate() {
            if let Some(span) = &pipe {
                self.pipes
                    .push((self.cfg.domains.blocks.len(), span.clone()));
            }
            // The last expansion takes the entries; earlier ones (macros only) copy them.
            let entries = if i + 1 == count {
                entries.take().unwrap_or_default()
            } else {
                entries.clone().unwrap_or_default()
            };
            let block = DomainBlock {
                scope: scope.clone(),
                pattern,
                entries,
                from_macro,
            };
            self.cfg.domains.push(block);
        }
    }

    /// The pattern of a `<domain>` tag, or one per `domain-macro` expansion.
    fn domain_patterns(&mut self, arg: &RawValue) -> Vec<DomainPattern> {
        let texts = match self.macros.expand(arg.text.trim()) {
            Ok(texts) => texts,
            Err(msg) => {
                self.diags.error(arg.span.clone(), msg);
                return Vec::new();
            }
        };
        let mut patterns = Vec::new();
        for text in texts {
            match v::parse_domain_pattern(&text) {
                Ok(p) => patterns.push(p),
                Err(e) if text == arg.text.trim() => self.error_at(arg, e),
                Err(e) => self.diags.error(
                    arg.span.clone(),
                    format!("'{text}' (from domain-macro): {}", e.msg),
                ),
            }
        }
        patterns
    }

    /// `domain-macro`s apply wherever they stand in the file, so they are read first.
    fn define_macros(&mut self, items: &[Item]) {
        let macros = items.iter().filter_map(|item| match item {
            Item::Directive(d) if d.name == "domain-macro" => Some(d),
            _ => None,
        });
        for d in macros {
            if let Err((at, msg)) = self.macros.define(d.value.text.trim()) {
                let msg = format!("domain-macro: {msg}");
                self.error_at(&d.value, Bad { at, msg });
            }
        }
    }

    fn vmta_block(&mut self, b: &Block) {
        let Some(name) = self.block_name(b) else {
            return;
        };
        if self.cfg.virtual_mtas.contains_key(&name) || name == DEFAULT_VMTA {
            let msg = format!("virtual MTA '{name}' is defined twice");
            self.diags.error(b.arg.span.clone(), msg);
            return;
        }
        let mut vmta = VirtualMta {
            name: name.clone(),
            source_hosts: Vec::new(),
            host_name: None,
            max_smtp_out: None,
            domain_keys: Vec::new(),
            cold_virtual_mta: None,
            rewrite_list: None,
            span: b.span.clone(),
        };
        let scope = Scope::Vmta(name.clone());
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, VMTA, &scope),
                Item::Directive(d) => self.apply(d, VMTA, &mut vmta),
            }
        }
        self.cfg.virtual_mtas.insert(name, vmta);
    }

    /// `rewrite-list NAME` of a virtual MTA or pool: must name a `<rewrite-list>` (checked
    /// after the walk).
    pub(crate) fn rewrite_ref(&mut self, d: &Directive) -> String {
        let name = d.value.text.trim().to_string();
        self.refs
            .push((RefKind::RewriteList, name.clone(), d.value.span.clone()));
        name
    }

    /// `cold-virtual-mta NAME`: must name a virtual MTA (checked after the walk).
    pub(crate) fn cold_vmta(&mut self, d: &Directive) -> Option<String> {
        let name = d.value.text.trim().to_string();
        self.refs
            .push((RefKind::PoolMember, name.clone(), d.value.span.clone()));
        Some(name)
    }

    fn pool_block(&mut self, b: &Block) {
        let Some(name) = self.block_name(b) else {
            return;
        };
        let mut pool = VmtaPool {
            name: name.clone(),
            members: Vec::new(),
            max_smtp_out: None,
            domain_keys: Vec::new(),
            cold_virtual_mta: None,
            rewrite_list: None,
            span: b.span.clone(),
        };
        let scope = Scope::Pool(name.clone());
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, POOL, &scope),
                Item::Directive(d) => self.apply(d, POOL, &mut pool),
            }
        }
        if self.cfg.pools.contains_key(&name) {
            self.diags.error(
                b.arg.span.clone(),
                format!("pool '{name}' is defined twice"),
            );
            return;
        }
        self.cfg.pools.insert(name, pool);
    }

    fn source_block(&mut self, b: &Block) {
        let arg = b.arg.text.trim();
        let key = match v::parse_cidr(arg) {
            Ok(net) => Some(SourceKey::Cidr(net)),
            Err(_) if is_source_name(arg) => Some(SourceKey::Named(arg.to_string())),
            Err(e) => {
                self.error_at(&b.arg, e);
                None
            }
        };
        let entries = self.entries(b, SOURCE, &Scope::Global);
        let Some(key) = key else { return };
        for e in &entries {
            let kind = match DIRECTIVES[e.slot].name {
                "default-virtual-mta" => RefKind::Vmta,
                "pattern-list" => RefKind::SelectList,
                "rewrite-list" => RefKind::RewriteList,
                "source-group" => RefKind::SourceGroup,
                _ => continue,
            };
            if let Value::Text(name) = &e.value {
                self.refs.push((kind, name.clone(), e.span.clone()));
            }
        }
        self.cfg.sources.blocks.push(SourceBlock { key, entries });
    }

    fn acct_block(&mut self, b: &Block) {
        let pipe = b.arg.text.strip_prefix('|').map(|c| c.trim().to_string());
        if b.arg.text.is_empty() || pipe.as_deref() == Some("") {
            let msg = "<acct-file> needs a file path or |COMMAND";
            self.diags.error(b.arg.span.clone(), msg);
            return;
        }
        let path = match &pipe {
            Some(_) => PathBuf::from(&b.arg.text),
            None => resolve_path(&base_dir(&b.span), &b.arg.text),
        };
        let mut acct = AcctFile {
            path,
            pipe,
            retry_interval: Duration::from_secs(300),
            write_timeout: Duration::from_secs(60),
            user_string: None,
            sync: false,
            records: vec![RecordType::Delivery, RecordType::Bounce],
            record_fields: Vec::new(),
            max_size: Some(250 << 20),
            move_interval: Duration::from_secs(86_400),
            move_to: None,
            delete_after: Some(Duration::from_secs(8 * 86_400)),
            span: b.span.clone(),
        };
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, ACCT, &Scope::Global),
                Item::Directive(d) => self.apply(d, ACCT, &mut acct),
            }
        }
        self.cfg.acct_files.push(acct);
    }

    fn patterns_block(&mut self, b: &Block) {
        let Some(name) = self.block_name(b) else {
            return;
        };
        let mut rules = Vec::new();
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, PATTERNS, &Scope::Global),
                Item::Directive(d) => {
                    if self.known(d, PATTERNS).is_some() {
                        rules.extend(self.check(d, parse_reply(&d.value.text)).map(
                            |(regex, actions)| PatternRule {
                                regex,
                                actions,
                                span: d.span.clone(),
                            },
                        ));
                    }
                }
            }
        }
        self.cfg
            .smtp_pattern_lists
            .insert(name.clone(), SmtpPatternList { name, rules });
    }

    /// A TLS 1.2 cipher string (OpenSSL's) or, for a `…ciphersuites` directive, a TLS 1.3
    /// list; named suites rustls lacks are left out with a warning, unknown words are
    /// errors.
    pub(crate) fn cipher_list(
        &mut self,
        d: &Directive,
        clear: bool,
    ) -> Option<Vec<crate::CipherSuite>> {
        let tls13 = d.name.ends_with("ciphersuites");
        let list = match (clear, tls13) {
            (true, _) => None,
            (false, true) => self.check(d, crate::ciphers::parse_tls13(&d.value.text)),
            (false, false) => self.check(d, crate::ciphers::parse_tls12(&d.value.text)),
        };
        if let Some(l) = list.as_ref().filter(|l| !l.absent.is_empty()) {
            let msg = format!(
                "{}: pmtad's TLS (rustls) does not implement {}; left out",
                d.name,
                l.absent.join(", ")
            );
            self.diags.warning(d.value.span.clone(), msg);
        }
        list.map(|l| l.suites)
    }

    /// `<rewrite-list NAME>`: envelope sender and `From:` domain rewriting rules.
    fn rewrite_block(&mut self, b: &Block) {
        let Some(name) = self.block_name(b) else {
            return;
        };
        let mut list = crate::rewrite::RewriteList {
            name: name.clone(),
            rules: Vec::new(),
            from_domains: Vec::new(),
        };
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, REWRITE, &Scope::Global),
                Item::Directive(d) => self.apply(d, REWRITE, &mut list),
            }
        }
        self.cfg.rewrite_lists.insert(name, list);
    }

    /// `<pattern-list NAME>`: virtual MTA selection rules; each result must name a virtual
    /// MTA or pool.
    fn select_block(&mut self, b: &Block) {
        let Some(name) = self.block_name(b) else {
            return;
        };
        let mut rules = Vec::new();
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, SELECT, &Scope::Global),
                Item::Directive(d) => rules.extend(self.select_rule(d)),
            }
        }
        let list = crate::select::SelectList {
            name: name.clone(),
            rules,
        };
        self.cfg.pattern_lists.insert(name, list);
    }

    fn select_rule(&mut self, d: &Directive) -> Option<crate::select::SelectRule> {
        self.known(d, SELECT)?;
        let span = d.span.clone();
        let (rule, ignored) =
            self.check(d, crate::select::parse_rule(&d.name, &d.value.text, span))?;
        if ignored {
            let msg = format!(
                "{}: recipient-priority is not acted on by pmtad; ignored",
                d.name
            );
            self.diags.warning(d.value.span.clone(), msg);
        }
        self.refs.push((
            RefKind::Vmta,
            rule.virtual_mta.clone(),
            d.value.span.clone(),
        ));
        Some(rule)
    }

    /// `<smtp-user NAME>`: a password (plain or an Argon2 hash) and maybe a named source.
    fn user_block(&mut self, b: &Block) {
        let name = self.block_name(b);
        let mut user = UserDraft::default();
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, USER, &Scope::Global),
                Item::Directive(d) => self.apply(d, USER, &mut user),
            }
        }
        let UserDraft { password, source } = user;
        let Some(name) = name else { return };
        let Some(password) = password else {
            if b.items
                .iter()
                .any(|i| matches!(i, Item::Directive(d) if d.name == "password"))
            {
                return; // a bad password value, already reported
            }
            let msg = format!("<smtp-user {name}> needs a password");
            self.diags.error(b.span.clone(), msg);
            return;
        };
        if self.cfg.smtp_users.contains_key(&name) {
            let msg = format!("<smtp-user {name}> is defined twice");
            self.diags.error(b.arg.span.clone(), msg);
            return;
        }
        let user = SmtpUser {
            name: name.clone(),
            password,
            source,
            span: b.span.clone(),
        };
        self.cfg.smtp_users.insert(name, user);
    }

    /// `password` of an `<smtp-user>`: plain text, or an Argon2 hash in PHC form.
    pub(crate) fn password(&mut self, d: &Directive, text: &str, out: &mut Option<Password>) {
        if text.is_empty() {
            self.diags
                .error(d.value.span.clone(), "password: a value is missing");
            return;
        }
        match Password::parse(text) {
            Password::Argon2(h) if !is_phc(&h) => self.diags.error(
                d.value.span.clone(),
                "password: not a valid Argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$SALT$HASH)",
            ),
            p => *out = Some(p),
        }
    }

    /// A directive of a block that builds one object: checked against the table, parsed by
    /// its row's kind, applied by the row's setter for this block (see [`crate::apply`]).
    fn apply<T: Target>(&mut self, d: &Directive, scope: Scopes, target: &mut T) {
        let Some((_, def)) = self.known(d, scope) else {
            return;
        };
        let Some(set) = def.setters.iter().find_map(T::pick) else {
            return; // none: `every_block_row_has_a_setter` keeps this from happening
        };
        let value = parse_kind(def.kind, &d.value, || base_dir(&d.span));
        if let Some(value) = self.check(d, value) {
            let taken = set(self, d, value, target);
            debug_assert!(taken, "{}: setter does not take {:?}", def.name, def.kind);
        }
    }

    /// `<bounce-category-patterns>`: lines `/REGEX/ CATEGORY`, in file order (several blocks
    /// add up). Each regex is compiled now, so a bad one is an error at its line.
    fn bounce_cats_block(&mut self, b: &Block) {
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, BOUNCE_CATS, &Scope::Global),
                Item::Directive(d) => {
                    if let Some(rule) = self.bounce_cat_rule(d) {
                        self.cfg.bounce_category_patterns.push(rule);
                    }
                }
            }
        }
    }

    fn bounce_cat_rule(&mut self, d: &Directive) -> Option<BounceCategoryRule> {
        let Some(src) = d.name.strip_prefix('/').and_then(|n| n.strip_suffix('/')) else {
            let msg = format!("expected /REGEX/ CATEGORY, found '{}'", d.name);
            self.diags.error(d.span.clone(), msg);
            return None;
        };
        let category = d.value.text.trim();
        if category.is_empty() || category.contains(char::is_whitespace) {
            let msg = "a bounce category pattern needs one category word after /REGEX/";
            self.diags.error(d.value.span.clone(), msg);
            return None;
        }
        if let Err(e) = regex::RegexBuilder::new(src)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
        {
            let msg = format!("bad regex: {}", e.to_string().lines().last().unwrap_or(""));
            self.diags.error(d.span.at_col(d.span.col + 1), msg);
            return None;
        }
        Some(BounceCategoryRule {
            regex: src.to_string(),
            category: category.to_ascii_lowercase(),
            span: d.span.clone(),
        })
    }

    /// `<bounce-processor>` / `<feedback-loop-processor>`: a second block of the same kind
    /// adds its addresses to the first, and its settings replace the first's.
    fn processor_block(&mut self, b: &Block, kind: ProcessorKind) {
        let slot = match kind {
            ProcessorKind::Bounce => &mut self.cfg.bounce_processor,
            ProcessorKind::FeedbackLoop => &mut self.cfg.feedback_loop_processor,
        };
        let mut proc = slot
            .take()
            .unwrap_or_else(|| ReturnProcessor::new(kind, b.span.clone()));
        let own = match kind {
            ProcessorKind::Bounce => BOUNCE_PROC,
            ProcessorKind::FeedbackLoop => FBL_PROC,
        };
        for item in &b.items {
            match item {
                Item::Block(inner) if inner.kind == "address-list" => {
                    self.address_list(inner, &mut proc.addresses)
                }
                Item::Block(inner) => self.block(inner, own, &Scope::Global),
                Item::Directive(d) => self.apply(d, own, &mut proc),
            }
        }
        if proc.addresses.is_empty() {
            let msg = format!(
                "<{}> has no <address-list> address: it receives nothing",
                b.kind
            );
            self.diags.warning(b.span.clone(), msg);
        }
        match kind {
            ProcessorKind::Bounce => self.cfg.bounce_processor = Some(proc),
            ProcessorKind::FeedbackLoop => self.cfg.feedback_loop_processor = Some(proc),
        }
    }

    /// `<address-list>` inside a processor: `address`, `domain` and `address-file` lines.
    fn address_list(&mut self, b: &Block, out: &mut Vec<AddressEntry>) {
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, ADDR_LIST, &Scope::Global),
                Item::Directive(d) => self.apply(d, ADDR_LIST, out),
            }
        }
    }

    pub(crate) fn address_domains(&mut self, d: &Directive, out: &mut Vec<AddressEntry>) {
        for (at, item) in split_items(&d.value.text, ',') {
            match v::parse_domain_pattern(item) {
                Ok(p) => out.push(AddressEntry::Domain(p)),
                Err(b) => self.error_at(
                    &d.value,
                    Bad {
                        at: at + b.at,
                        msg: format!("domain: {}", b.msg),
                    },
                ),
            }
        }
    }

    /// `address-file FILE`: one address form per line, `#` comments; read now.
    pub(crate) fn address_file(&mut self, d: &Directive, out: &mut Vec<AddressEntry>) {
        let path = self.path(d);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("address-file: cannot read {}: {e}", path.display());
                self.diags.error(d.value.span.clone(), msg);
                return;
            }
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            match parse_address_entry(line) {
                Ok(e) => out.push(e),
                Err(b) => {
                    let msg = format!("address-file {}:{}: {}", path.display(), n + 1, b.msg);
                    self.diags.error(d.value.span.clone(), msg);
                }
            }
        }
    }

    /// `<source-group NAME>`: `max-smtp-in` and `reserved-smtp-in` shared by its sources.
    fn source_group_block(&mut self, b: &Block) {
        let name = self.block_name(b);
        let entries = self.entries(b, SOURCE_GROUP, &Scope::Global);
        let Some(name) = name else { return };
        let mut group = SourceGroup {
            name: name.clone(),
            max_smtp_in: None,
            reserved_smtp_in: 0,
            span: b.span.clone(),
        };
        for e in &entries {
            let setters = DIRECTIVES[e.slot].setters.iter();
            for set in setters.filter_map(|s| match s {
                Setter::Group(f) => Some(f),
                _ => None,
            }) {
                let taken = set(&mut group, &e.value);
                debug_assert!(
                    taken || e.value == Value::Cleared,
                    "{}",
                    DIRECTIVES[e.slot].name
                );
            }
        }
        if group
            .max_smtp_in
            .is_some_and(|max| group.reserved_smtp_in > max)
        {
            let msg = format!(
                "<source-group {name}> reserves {} connections but allows at most {} (max-smtp-in)",
                group.reserved_smtp_in,
                group.max_smtp_in.unwrap_or_default()
            );
            self.diags.error(b.span.clone(), msg);
        }
        if self.cfg.source_groups.contains_key(&name) {
            let msg = format!("<source-group {name}> is defined twice");
            self.diags.error(b.arg.span.clone(), msg);
            return;
        }
        self.cfg.source_groups.insert(name, group);
    }

    /// `<mx-rollup-list>`: `mx PATTERN NAME.rollup [rollup-by-ip]` lines; the lines of one
    /// name add up (every pattern must match), names keep their first-seen order.
    fn rollup_block(&mut self, b: &Block) {
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, MX_ROLLUP, &Scope::Global),
                Item::Directive(d) => {
                    if self.known(d, MX_ROLLUP).is_none() {
                        continue;
                    }
                    if let Some((name, pattern)) = self.check(d, parse_rollup_line(&d.value.text)) {
                        self.add_rollup(name, pattern, &d.span);
                    }
                }
            }
        }
    }

    fn add_rollup(&mut self, name: String, pattern: MxPattern, span: &Span) {
        match self.cfg.mx_rollups.iter_mut().find(|r| r.name == name) {
            Some(r) => r.patterns.push(pattern),
            None => self.cfg.mx_rollups.push(MxRollup {
                name,
                patterns: vec![pattern],
                span: span.clone(),
            }),
        }
    }

    fn spool_block(&mut self, b: &Block) {
        // Only the first spool directory is used, so only its settings count.
        let first = self.cfg.spool_dirs.is_empty();
        if b.arg.text.is_empty() {
            self.diags
                .error(b.arg.span.clone(), "<spool> needs a directory");
        } else {
            let dir = resolve_path(&base_dir(&b.span), &b.arg.text);
            self.cfg.spool_dirs.push(dir);
        }
        let mut spool = SpoolDraft { first };
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, SPOOL, &Scope::Global),
                Item::Directive(d) => self.apply(d, SPOOL, &mut spool),
            }
        }
    }

    fn listener_block(&mut self, b: &Block) {
        let listener = match parse_listener(&b.arg.text) {
            Ok(l) => Some(l),
            Err(e) => {
                self.error_at(&b.arg, e);
                None
            }
        };
        let mut source = None;
        for item in &b.items {
            match item {
                Item::Block(inner) => self.block(inner, LISTENER, &Scope::Global),
                Item::Directive(d) => {
                    if self.known(d, LISTENER).is_some() {
                        self.refs.push((
                            RefKind::NamedSource,
                            d.value.text.clone(),
                            d.value.span.clone(),
                        ));
                        source = Some(d.value.text.clone());
                    }
                }
            }
        }
        if let Some(mut l) = listener {
            l.source = source.or(l.source);
            self.cfg.smtp_listeners.push(l);
        }
    }

    /// Defaults for what the file left out, then the cross-reference checks.
    fn finish(&mut self) {
        if self.cfg.smtp_listeners.is_empty() {
            self.cfg
                .smtp_listeners
                .push(parse_listener("0/0:25").expect("valid literal"));
        }
        if self.cfg.spool_dirs.is_empty() {
            self.cfg.spool_dirs.push(PathBuf::from("/var/spool/pmtad"));
        }
        self.check_refs();
        self.check_reservations();
        self.check_tls();
        self.check_pipes();
        self.check_pools();
        self.check_cluster_tls();
    }

    /// The `cluster-redis-*-file` TLS settings only mean something with a `rediss://` URL,
    /// and a client certificate needs its key (and the key its certificate).
    fn check_cluster_tls(&mut self) {
        let c = &self.cfg.cluster;
        let tls = c
            .redis_url
            .as_deref()
            .is_some_and(crate::cluster::is_tls_url);
        let mut problems = Vec::new();
        let files = [&c.redis_ca_file, &c.redis_cert_file, &c.redis_key_file];
        if !tls && files.iter().any(|f| f.is_some()) {
            problems.push("cluster-redis-ca-file, -cert-file and -key-file need a rediss:// cluster-redis-url");
        }
        if c.redis_cert_file.is_some() != c.redis_key_file.is_some() {
            problems.push("cluster-redis-cert-file and cluster-redis-key-file go together");
        }
        for msg in problems {
            let span = self
                .cluster_tls_span
                .clone()
                .unwrap_or_else(|| self.file_span());
            self.diags.error(span, msg);
        }
    }

    /// Line 1 of the main file, for a problem of the whole config.
    fn file_span(&self) -> Span {
        Span::new(
            &std::sync::Arc::from(self.cfg.path.to_string_lossy().as_ref()),
            1,
            1,
        )
    }

    fn check_refs(&mut self) {
        for (kind, name, span) in std::mem::take(&mut self.refs) {
            let (ok, what) = match kind {
                RefKind::Vmta => (self.cfg.vmta_exists(&name), "virtual MTA or pool"),
                RefKind::PoolMember => (self.cfg.virtual_mtas.contains_key(&name), "virtual MTA"),
                RefKind::PatternList => (
                    self.cfg.smtp_pattern_lists.contains_key(&name),
                    "<smtp-pattern-list>",
                ),
                RefKind::NamedSource => (self.cfg.sources.has_named(&name), "named <source>"),
                RefKind::SelectList => {
                    (self.cfg.pattern_lists.contains_key(&name), "<pattern-list>")
                }
                RefKind::RewriteList => {
                    (self.cfg.rewrite_lists.contains_key(&name), "<rewrite-list>")
                }
                RefKind::SourceGroup => {
                    (self.cfg.source_groups.contains_key(&name), "<source-group>")
                }
            };
            if !ok {
                self.diags
                    .error(span, format!("{what} '{name}' is not defined"));
            }
        }
    }

    /// The slots all groups reserve must fit in `total-max-smtp-in`, or some reservation
    /// could never be honoured.
    fn check_reservations(&mut self) {
        let reserved: u64 = self
            .cfg
            .source_groups
            .values()
            .map(|g| g.reserved_smtp_in)
            .sum();
        let total = self.cfg.total_max_smtp_in;
        if reserved <= total {
            return;
        }
        let Some(last) = self.cfg.source_groups.values().max_by_key(|g| g.span.line) else {
            return;
        };
        let msg = format!(
            "the <source-group>s reserve {reserved} inbound connections (reserved-smtp-in), more than total-max-smtp-in {total}"
        );
        self.diags.error(last.span.clone(), msg);
    }

    /// A source that requires TLS needs a certificate to offer it; and some TLS version
    /// must be left to negotiate.
    fn check_tls(&mut self) {
        if !self.cfg.smtp_server_tls12 && !self.cfg.smtp_server_tls13 {
            let span = self.file_span();
            self.diags.error(
                span,
                "smtp-server-tls-allow-tlsv1.2 and -tlsv1.3 are both no: inbound TLS could not negotiate any version",
            );
        }
        if self.cfg.smtp_server_tls_certificate.is_some() {
            return;
        }
        let demands: Vec<Span> = self
            .cfg
            .sources
            .blocks
            .iter()
            .flat_map(|b| &b.entries)
            .filter(|e| {
                DIRECTIVES[e.slot].name.starts_with("require-starttls")
                    && e.value == Value::Bool(true)
            })
            .map(|e| e.span.clone())
            .collect();
        for span in demands {
            self.diags.error(
                span,
                "this source requires STARTTLS, but no smtp-server-tls-certificate is configured",
            );
        }
    }

    fn check_pools(&mut self) {
        let clashes: Vec<(String, Span)> = self
            .cfg
            .pools
            .values()
            .filter(|p| self.cfg.virtual_mtas.contains_key(&p.name))
            .map(|p| (p.name.clone(), p.span.clone()))
            .collect();
        for (name, span) in clashes {
            self.diags.error(span, format!("pool '{name}' has the name of a virtual MTA; pools and virtual MTAs share one namespace"));
        }
        self.check_pool_domains();
    }

    /// A virtual MTA may not belong to two pools that both hold `<domain>` blocks: which
    /// pool's settings apply would be ambiguous.
    fn check_pool_domains(&mut self) {
        let with_domains: Vec<&VmtaPool> = self
            .cfg
            .pools
            .values()
            .filter(|p| {
                self.cfg
                    .domains
                    .blocks
                    .iter()
                    .any(|b| b.scope == Scope::Pool(p.name.clone()))
            })
            .collect();
        let mut errors = Vec::new();
        for (i, a) in with_domains.iter().enumerate() {
            for b in &with_domains[i + 1..] {
                if let Some(m) = a.members.iter().find(|m| b.members.contains(m)) {
                    let msg = format!(
                        "virtual MTA '{m}' is in pools '{}' and '{}', which both hold <domain> blocks",
                        a.name, b.name
                    );
                    errors.push((b.span.clone(), msg));
                }
            }
        }
        for (span, msg) in errors {
            self.diags.error(span, msg);
        }
    }

    /// Every block that sets `type pipe` / `local yes` must end up with a command.
    fn check_pipes(&mut self) {
        for (id, span) in std::mem::take(&mut self.pipes) {
            let block = &self.cfg.domains.blocks[id];
            let domain = representative(&block.pattern);
            let vmta = match &block.scope {
                Scope::Global => DEFAULT_VMTA.to_string(),
                Scope::Pool(n) | Scope::Vmta(n) => n.clone(),
            };
            let policy = self.cfg.queue(&domain, &vmta);
            if matches!(policy.delivery, Delivery::Local { ref argv } if argv.is_empty()) {
                let msg =
                    "local delivery (type pipe / local yes) needs a mailbox-command (or command)";
                self.diags.error(span, msg);
            }
        }
    }
}

/// A domain a pattern matches, to evaluate a block's effective settings.
fn representative(p: &DomainPattern) -> String {
    match p {
        DomainPattern::Any => "pmtad-check.invalid".into(),
        DomainPattern::Exact(d) | DomainPattern::SelfAndSubdomains(d) => d.clone(),
        DomainPattern::Subdomains(d) => format!("pmtad-check.{d}"),
        DomainPattern::IpLiteral(n) => format!("[{}]", n.addr()),
    }
}

/// A PHC string of Argon2: `$argon2X$v=N$params$salt$hash` (checked fully at login).
fn is_phc(s: &str) -> bool {
    let parts: Vec<&str> = s.split('$').collect();
    parts.len() == 6
        && parts[0].is_empty()
        && parts[2].starts_with("v=")
        && parts[3].contains("m=")
        && !parts[4].is_empty()
        && !parts[5].is_empty()
}

/// Named sources: `{auth}`, `{pickup}`, or a word of letters, digits, `-`, `_`, `.`.
fn is_source_name(s: &str) -> bool {
    let word =
        |w: &str| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c));
    let braced = s.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
    braced.map_or_else(
        || word(s) && !s.starts_with(|c: char| c.is_ascii_digit()),
        word,
    )
}

/// The addresses of `smtp-source-host`'s first word: one IP, or the hosts of a CIDR.
fn source_ips(addr: &str) -> VResult<Vec<std::net::IpAddr>> {
    if !addr.contains('/') {
        return v::parse_ip(addr).map(|ip| vec![ip]);
    }
    let net = v::parse_cidr(addr)?;
    if net.max_prefix_len() - net.prefix_len() > 8 {
        return bad(
            0,
            format!("'{addr}' is too large for smtp-source-host (at most 256 addresses)"),
        );
    }
    let loopback: std::net::IpAddr = std::net::Ipv4Addr::LOCALHOST.into();
    let ips: Vec<_> = net.hosts().filter(|ip| *ip != loopback).collect();
    Ok(ips)
}

/// `CIDR:PORT [source=NAME]` (`0/0:25`, `127.0.0.1:2525`, `[::1]:25`).
pub(crate) fn parse_listener(s: &str) -> VResult<SmtpListener> {
    let mut words = s.split_whitespace();
    let addr = words.next().unwrap_or_default();
    let Some((net, port)) = addr.rsplit_once(':') else {
        return bad(
            0,
            format!("'{addr}' needs a port (like 0/0:25 or 127.0.0.1:2525)"),
        );
    };
    let net_text = net.trim_start_matches('[').trim_end_matches(']');
    let net = v::parse_cidr(net_text)?;
    // Port 0 asks the OS for a free port (tests; pmtad prints the port it bound).
    let port = match port {
        "0" => 0,
        p => v::parse_port(p).map_err(|b| Bad {
            at: addr.len() - p.len(),
            msg: b.msg,
        })?,
    };
    let mut source = None;
    for word in words {
        let at = s.find(word).unwrap_or(0);
        match word.strip_prefix("source=") {
            Some(name) if !name.is_empty() => source = Some(name.to_string()),
            _ => {
                return bad(
                    at,
                    format!("unexpected '{word}' (only source=NAME may follow)"),
                );
            }
        }
    }
    Ok(SmtpListener { net, port, source })
}

/// `PATTERN NAME.rollup [rollup-by-ip]`.
fn parse_rollup_line(s: &str) -> VResult<(String, MxPattern)> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let by_ip = match words.get(2) {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("rollup-by-ip") => true,
        Some(w) => {
            let at = s.find(w).unwrap_or(0);
            return bad(
                at,
                format!("unexpected '{w}' (only rollup-by-ip may follow)"),
            );
        }
    };
    let (Some(pattern), Some(name), None) = (words.first(), words.get(1), words.get(3)) else {
        return bad(0, "expected MX-PATTERN NAME.rollup [rollup-by-ip]");
    };
    let name = name.to_ascii_lowercase();
    let name_at = s.find(words[1]).unwrap_or(0);
    if !name.ends_with(".rollup") || !v::is_hostname(&name) {
        return bad(
            name_at,
            format!("'{name}' is not a rollup name (it must end in .rollup)"),
        );
    }
    let pattern = if by_ip {
        MxPattern::Net(
            v::parse_cidr(pattern).or_else(|_| v::parse_ip(pattern).map(ipnet::IpNet::from))?,
        )
    } else {
        MxPattern::Host(v::parse_domain_pattern(pattern)?)
    };
    Ok((name, pattern))
}

/// `/REGEX/ ACTION[,ACTION…]`; regexes are case-insensitive unless they say `(?-i)`.
fn parse_reply(s: &str) -> VResult<(regex::Regex, Vec<PatternAction>)> {
    let end = s.rfind('/').filter(|&e| s.starts_with('/') && e > 0);
    let Some(end) = end else {
        return bad(0, "expected /REGEX/ followed by actions");
    };
    let regex = regex::RegexBuilder::new(&s[1..end])
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| Bad {
            at: 1,
            msg: format!("bad regex: {}", e.to_string().lines().last().unwrap_or("")),
        })?;
    let rest = &s[end + 1..];
    if rest.trim().is_empty() {
        return bad(end + 1, "a reply rule needs at least one action");
    }
    let offset = end + 1;
    let actions = split_items(rest, ',')
        .into_iter()
        .map(|(at, a)| {
            parse_action(a).map_err(|b| Bad {
                at: offset + at,
                msg: b.msg,
            })
        })
        .collect::<VResult<Vec<_>>>()?;
    Ok((regex, actions))
}

const ACTIONS: [&str; 9] = [
    "mode=backoff",
    "mode=normal",
    "backoff-to-normal-after=",
    "bounce-rcpt",
    "bounce-queue",
    "defer-queue",
    "skip-mx",
    "disable-source-ip",
    "reenable-after=",
];

fn parse_action(a: &str) -> VResult<PatternAction> {
    let lower = a.to_ascii_lowercase();
    let timed = |prefix: &str| lower.strip_prefix(prefix).map(v::parse_duration);
    Ok(match lower.as_str() {
        "mode=backoff" => PatternAction::ModeBackoff,
        "mode=normal" => PatternAction::ModeNormal,
        "bounce-rcpt" => PatternAction::BounceRcpt,
        "bounce-queue" => PatternAction::BounceQueue,
        "defer-queue" => PatternAction::DeferQueue,
        "skip-mx" => PatternAction::SkipMx,
        "disable-source-ip" => PatternAction::DisableSourceIp,
        _ => {
            if let Some(d) = timed("backoff-to-normal-after=") {
                return d.map(PatternAction::BackoffToNormalAfter);
            }
            if let Some(d) = timed("reenable-after=") {
                return d.map(PatternAction::ReenableAfter);
            }
            let mut msg = format!("unknown action '{a}'");
            if let Some(s) = table::suggest(&lower, ACTIONS.iter().copied()) {
                msg.push_str(&format!("; did you mean '{s}'?"));
            }
            return bad(0, msg);
        }
    })
}
