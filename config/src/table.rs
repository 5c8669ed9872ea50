//! The one directive table: name, blocks where it may stand, value type, default, doc,
//! and status. It drives the parser's checks, "did you mean", `show settings`, and the
//! man page (`man/pmta.conf.5`), so none of them can drift from the others.

use std::collections::HashMap;

use crate::apply::{self as a, Setter as S};
use std::sync::OnceLock;

/// Where a directive may stand (bit set).
pub type Scopes = u32;
pub const GLOBAL: Scopes = 1;
pub const DOMAIN: Scopes = 1 << 1;
pub const VMTA: Scopes = 1 << 2;
pub const POOL: Scopes = 1 << 3;
pub const SOURCE: Scopes = 1 << 4;
pub const ACCT: Scopes = 1 << 5;
pub const PATTERNS: Scopes = 1 << 6;
pub const SPOOL: Scopes = 1 << 7;
pub const LISTENER: Scopes = 1 << 8;
pub const USER: Scopes = 1 << 9;
pub const BOUNCE_CATS: Scopes = 1 << 10;
pub const SELECT: Scopes = 1 << 11;
pub const REWRITE: Scopes = 1 << 12;
pub const MX_ROLLUP: Scopes = 1 << 13;
pub const BOUNCE_PROC: Scopes = 1 << 14;
pub const FBL_PROC: Scopes = 1 << 15;
pub const ADDR_LIST: Scopes = 1 << 16;
/// Both return-path processors (they take the same directives).
pub const PROCESSORS: Scopes = BOUNCE_PROC | FBL_PROC;
pub const SOURCE_GROUP: Scopes = 1 << 17;

/// Block names for each scope bit, in bit order (for messages and the man page).
pub const SCOPE_NAMES: [(Scopes, &str); 18] = [
    (GLOBAL, "top level"),
    (DOMAIN, "<domain>"),
    (VMTA, "<virtual-mta>"),
    (POOL, "<virtual-mta-pool>"),
    (SOURCE, "<source>"),
    (ACCT, "<acct-file>"),
    (PATTERNS, "<smtp-pattern-list>"),
    (SPOOL, "<spool>"),
    (LISTENER, "<smtp-listener>"),
    (USER, "<smtp-user>"),
    (BOUNCE_CATS, "<bounce-category-patterns>"),
    (SELECT, "<pattern-list>"),
    (REWRITE, "<rewrite-list>"),
    (MX_ROLLUP, "<mx-rollup-list>"),
    (BOUNCE_PROC, "<bounce-processor>"),
    (FBL_PROC, "<feedback-loop-processor>"),
    (ADDR_LIST, "<address-list>"),
    (SOURCE_GROUP, "<source-group>"),
];

/// The value type of a directive; each has one parser in `resolve::parse_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// Whole number.
    Count,
    /// Whole number or `unlimited`.
    Limit,
    Size,
    Duration,
    DurationOrNever,
    DurationList,
    Rate,
    /// Free text (names, addresses, command lines).
    Text,
    /// A file or directory path (relative to the config file's directory).
    Path,
    /// `host[:port], …; …` preference levels.
    Hosts,
    Ip,
    Port,
    /// `no|optional|required`.
    Tls,
    /// `smtp|pipe|discard`.
    DeliveryType,
    /// `local yes|no`, stored as a delivery type.
    Local,
    /// `yes|no|TIME|never`.
    BounceNoMx,
    /// 0..=100.
    Priority,
    /// `rsa-sha256|ed25519-sha256`.
    DkimAlgorithm,
    /// `CIDR N`.
    SourceIpLimit,
    /// `CIDR:PORT [source=NAME]`.
    Listener,
    /// `IP[:PORT], …`.
    NameServers,
    /// `SELECTOR, DOMAIN, FILE`.
    DomainKey,
    /// `IP HOSTNAME`.
    SourceHost,
    /// `d,b,t,tq,r,f,rb,rs`.
    Records,
    /// `TYPE FIELD,…`.
    RecordFields,
    /// `/REGEX/ ACTION,…`.
    Reply,
    /// `MX-PATTERN NAME.rollup [rollup-by-ip]`.
    MxRollup,
    /// `N/day[,N/day…]`, the last repeating.
    DailyLimits,
    /// `ADDRESS|/REGEX/|LOCALPART` of an `<address-list>`.
    AddressEntry,
    /// A comma-separated list of domain patterns.
    DomainList,
    /// The name of a virtual MTA or pool.
    VmtaName,
    /// A comma-separated list of words.
    Words,
    /// `NAME VALUE[, VALUE…]`.
    Macro,
    /// `[IP:]PORT` of the HTTP management interface (`0` = off).
    HttpPort,
    /// `CIDR none|monitor|operator|admin`.
    HttpAccess,
    /// Not checked (PowerMTA directives we accept with a warning).
    Any,
}

impl Kind {
    /// How the value is written, for the man page.
    pub fn syntax(self) -> &'static str {
        match self {
            Kind::Bool => "yes|no",
            Kind::Count => "N",
            Kind::Limit => "N|unlimited",
            Kind::Size => "SIZE|unlimited",
            Kind::Duration => "TIME",
            Kind::DurationOrNever => "TIME|never",
            Kind::DurationList => "TIME[,TIME…]",
            Kind::Rate => "N/TIME|unlimited",
            Kind::Text => "TEXT",
            Kind::Path => "PATH",
            Kind::Hosts => "HOST[:PORT][, …][; …]",
            Kind::Ip => "IP",
            Kind::Port => "PORT",
            Kind::Tls => "no|optional|required",
            Kind::DeliveryType => "smtp|pipe|discard",
            Kind::Local => "yes|no",
            Kind::BounceNoMx => "yes|no|TIME|never",
            Kind::Priority => "0..100",
            Kind::DkimAlgorithm => "rsa-sha256|ed25519-sha256",
            Kind::SourceIpLimit => "CIDR N",
            Kind::Listener => "CIDR:PORT [source=NAME]",
            Kind::NameServers => "IP[:PORT][, …]",
            Kind::DomainKey => "SELECTOR, DOMAIN, KEYFILE",
            Kind::SourceHost => "IP|CIDR HOSTNAME",
            Kind::Records => "TYPE[,TYPE…]",
            Kind::RecordFields => "TYPE FIELD[,FIELD…]",
            Kind::Reply => "/REGEX/ ACTION[,ACTION…]",
            Kind::MxRollup => "MX-PATTERN NAME.rollup [rollup-by-ip]",
            Kind::DailyLimits => "N/day[,N/day…]",
            Kind::AddressEntry => "ADDRESS|/REGEX/|LOCALPART",
            Kind::DomainList => "DOMAIN[, …]",
            Kind::VmtaName => "NAME",
            Kind::Words => "WORD[,WORD…]",
            Kind::Macro => "NAME VALUE[, …]",
            Kind::HttpPort => "[IP:]PORT",
            Kind::HttpAccess => "CIDR none|monitor|operator|admin",
            Kind::Any => "…",
        }
    }
}

/// Whether pmtad acts on a directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Implemented,
    /// Another name for the directive named here (same slot in the resolved settings).
    AliasOf(&'static str),
    /// A real PowerMTA directive pmtad does not act on yet: loads with a warning.
    NotYet,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct DirectiveDef {
    pub name: &'static str,
    pub scopes: Scopes,
    pub kind: Kind,
    /// The default as written in a config ("" = none).
    pub default: &'static str,
    pub doc: &'static str,
    pub status: Status,
    /// May appear more than once in one block (values accumulate).
    pub repeatable: bool,
    /// What shows an implemented directive acts: `test:FN` (a test outside `config/` that
    /// sets it), `field:NAME` (the resolved model's field it sets, read by pmtad) or
    /// `config:FN` (it acts inside the config crate: a config test). Checked by `tests/readers.rs`.
    pub reads: &'static str,
    /// How the value is applied in each block that builds one object (`<virtual-mta>`,
    /// `<acct-file>`, …); empty for merged settings and top-level directives.
    pub(crate) setters: &'static [S],
}

impl DirectiveDef {
    /// The row with its reader reference (see [`DirectiveDef::reads`]).
    const fn by(self, reads: &'static str) -> DirectiveDef {
        DirectiveDef { reads, ..self }
    }

    /// The row with its setters (see [`crate::apply`]).
    const fn set(self, setters: &'static [S]) -> DirectiveDef {
        DirectiveDef { setters, ..self }
    }
}

const fn imp(
    name: &'static str,
    scopes: Scopes,
    kind: Kind,
    default: &'static str,
    doc: &'static str,
) -> DirectiveDef {
    DirectiveDef {
        name,
        scopes,
        kind,
        default,
        doc,
        status: Status::Implemented,
        repeatable: false,
        reads: "",
        setters: &[],
    }
}

const fn rep(name: &'static str, scopes: Scopes, kind: Kind, doc: &'static str) -> DirectiveDef {
    DirectiveDef {
        name,
        scopes,
        kind,
        default: "",
        doc,
        status: Status::Implemented,
        repeatable: true,
        reads: "",
        setters: &[],
    }
}

const fn alias(
    name: &'static str,
    of: &'static str,
    scopes: Scopes,
    kind: Kind,
    doc: &'static str,
) -> DirectiveDef {
    DirectiveDef {
        name,
        scopes,
        kind,
        default: "",
        doc,
        status: Status::AliasOf(of),
        repeatable: false,
        reads: "",
        setters: &[],
    }
}

const fn not_yet(name: &'static str, scopes: Scopes, doc: &'static str) -> DirectiveDef {
    DirectiveDef {
        name,
        scopes,
        kind: Kind::Any,
        default: "",
        doc,
        status: Status::NotYet,
        repeatable: true,
        reads: "",
        setters: &[],
    }
}

use Kind as K;

/// Every directive pmtad knows.
#[rustfmt::skip]
pub const DIRECTIVES: &[DirectiveDef] = &[
    // ---- global ----
    imp("host-name", GLOBAL | VMTA, K::Text, "", "name used in the SMTP banner and EHLO (global), or the EHLO name of a virtual MTA; default: the system host name").by("test:global_host_name").set(&[S::Global(a::global_host_name), S::Vmta(a::vmta_host_name)]),
    rep("smtp-listener", GLOBAL, K::Listener, "listen for feeders on CIDR:PORT (0/0:25 = every IPv4 address, port 25); repeatable; default 0/0:25").by("test:global_smtp_listener").set(&[S::Global(a::global_listener)]),
    imp("spool", GLOBAL, K::Path, "/var/spool/pmtad", "spool directory (also <spool DIR>)").by("test:global_spool").set(&[S::Global(a::global_spool)]),
    imp("body-cache-size", GLOBAL, K::Size, "64M", "bytes of freshly accepted messages kept in memory so their delivery needs no spool read; past it the oldest go first and are read back from the spool, as is everything after a restart (show status: body cache size and hit rate); 0 = no cache; read at start").by("field:body_cache_size").set(&[S::Global(a::global_body_cache)]),
    imp("completion-sync-delay", GLOBAL, K::Duration, "1s", "longest a delivery outcome (delivered, bounced) stays unsynced in the spool when no new message is stored meanwhile (outcomes ride the next message's fsync); a crash before it is synced re-delivers that message once after the restart (at-least-once, never lost); 0 = sync with the next write at once").by("test:kill_9_with_unsynced_completions_redelivers_and_counts").set(&[S::Global(a::global_sync_delay)]),
    imp("control-socket", GLOBAL, K::Path, "/run/pmtad/control.sock", "Unix socket pmtactl talks to (mode 0660)").by("test:global_control_socket").set(&[S::Global(a::global_control_socket)]),
    imp("name-server", GLOBAL, K::NameServers, "", "DNS servers to use instead of /etc/resolv.conf, IP[:PORT] (port 53 when absent)").by("test:global_name_server").set(&[S::Global(a::global_name_servers)]),
    imp("smtp-server-tls-certificate", GLOBAL, K::Path, "", "PEM file with the certificate chain and private key; the SMTP listener offers STARTTLS with it. pmtactl reload reads it again (with the TLS versions and ciphers): sessions that start afterwards get the new certificate, those under way keep theirs; a file that cannot be used fails the reload and the old certificate stays").by("test:the_listener_offers_starttls_with_the_configured_certificate").set(&[S::Global(a::global_tls_certificate)]),
    imp("smtp-server-tls-allow-tlsv1.2", GLOBAL, K::Bool, "yes", "inbound STARTTLS may negotiate TLS 1.2").by("field:smtp_server_tls12").set(&[S::Global(a::global_tls12)]),
    imp("smtp-server-tls-allow-tlsv1.3", GLOBAL, K::Bool, "yes", "inbound STARTTLS may negotiate TLS 1.3 (at least one of 1.2 and 1.3 must be allowed; older versions are never offered)").by("test:a_reload_swaps_certificate_and_tls_policy_and_a_failed_one_keeps_them").set(&[S::Global(a::global_tls13)]),
    imp("log-file", GLOBAL, K::Path, "/var/log/pmtad/pmtad.log", "main log file").by("test:global_log_file").set(&[S::Global(a::global_log_file)]),
    imp("log-rotate", GLOBAL, K::Count, "8", "generations of the main log kept when it rotates (at midnight and on request)").by("field:log_rotate").set(&[S::Global(a::global_log_rotate)]),
    imp("log-domain", GLOBAL, K::Path, "", "per-domain delivery log; %d expands to the recipient domain").by("test:global_log_domain").set(&[S::Global(a::global_log_domain)]),
    imp("postmaster", GLOBAL, K::Text, "", "address that receives administrative mail and sends DSNs").by("test:global_postmaster").set(&[S::Global(a::global_postmaster)]),
    rep("domain-macro", GLOBAL, K::Macro, "NAME VALUE[, VALUE…]: <domain> patterns may say $NAME, one block per value (macros may nest); an explicit pattern beats the same one made by a macro").by("config:domain_macros_expand_and_lose_to_explicit_patterns").set(&[S::Global(a::global_macro)]),
    rep("relay-domain", GLOBAL, K::DomainList, "domains this host accepts mail for from any source (repeatable)").by("field:relay_domains").set(&[S::Global(a::global_relay_domains)]),
    imp("total-max-smtp-in", GLOBAL, K::Count, "100", "most simultaneous inbound SMTP connections; the next one is told 421 4.3.2 and closed at once (reloadable: open connections are never cut)").by("field:total_max_smtp_in").set(&[S::Global(a::global_max_smtp_in)]),
    imp("total-max-smtp-out", GLOBAL, K::Count, "1200", "most simultaneous outbound SMTP connections across all queues").by("field:total_max_smtp_out").set(&[S::Global(a::global_max_smtp_out)]),
    rep("domain-key", GLOBAL | VMTA | POOL, K::DomainKey, "DKIM key: selector, signing domain (or *), PEM private key file (RSA or Ed25519); repeatable").by("test:global_domain_key").set(&[S::Global(a::global_domain_key), S::Vmta(a::vmta_domain_key), S::Pool(a::pool_domain_key)]),
    rep("smtp-source-host", GLOBAL | VMTA, K::SourceHost, "local source address for outgoing connections and its EHLO name; several are used round-robin").by("test:smtp_source_host_addresses_are_used_round_robin_with_their_names").set(&[S::Global(a::global_source_host), S::Vmta(a::vmta_source_host)]),
    // ---- HTTP management interface ----
    imp("http-mgmt-port", GLOBAL, K::HttpPort, "0", "HTTP management interface (PowerMTA's web monitor API, /metrics and a web page): a bare PORT listens on 127.0.0.1 only, IP:PORT on that address ([::]:PORT or 0.0.0.0:PORT for all); 0 = off (PowerMTA's default is 8080); IP:0 takes a free port; plain HTTP, or HTTPS with http-tls-certificate; a reload that changes it rebinds").by("test:reload_rebinds_keeps_the_old_listener_on_failure_and_can_turn_it_off").set(&[S::Global(a::http_mgmt_port)]),
    rep("http-access", GLOBAL, K::HttpAccess, "who may use the HTTP interface: the longest matching CIDR decides; none (403), monitor (read only, /metrics), operator (+ read-only /command), admin (+ /command changes); no matching line = none; repeatable").by("test:access_levels_and_the_api_key_are_enforced").set(&[S::Global(a::http_access)]),
    rep("http-api-key", GLOBAL, K::Text, "32-128 characters [A-Za-z0-9_]: a request with the header X-API-Key: KEY gets admin access from any address; a wrong key is refused (403); repeatable").by("test:http_config").set(&[S::Global(a::http_api_key)]),
    imp("http-tls-certificate", GLOBAL, K::Path, "", "PEM file with the certificate chain and private key: the HTTP management listener speaks HTTPS with it (PowerMTA has no such directive: it serves /var/lib/pmta/webmon.pem); plain-HTTP requests on the same port get http-redirect-to-https's answer; pmtactl reload reads the file again (a file that cannot be used keeps the old certificate and logs why)").by("test:the_management_listener_speaks_https_with_the_configured_certificate").set(&[S::Global(a::http_tls_certificate)]),
    imp("http-tls-allow-tlsv1.2", GLOBAL, K::Bool, "yes", "HTTPS may negotiate TLS 1.2").by("field:tls12").set(&[S::Global(a::http_tls12)]),
    imp("http-tls-allow-tlsv1.3", GLOBAL, K::Bool, "yes", "HTTPS may negotiate TLS 1.3 (at least one of 1.2 and 1.3 must be allowed)").by("field:tls13").set(&[S::Global(a::http_tls13)]),
    imp("http-tls-ciphers", GLOBAL, K::Text, "", "OpenSSL cipher string of the TLS 1.2 suites HTTPS offers, read as smtp-server-tls-ciphers (default: all pmtad has)").by("field:ciphers").set(&[S::Global(a::http_tls_ciphers)]),
    imp("http-tls-tlsv1.3-ciphersuites", GLOBAL, K::Text, "", "the TLS 1.3 suites HTTPS offers, read as smtp-server-tls-v1.3-ciphersuites (default: all three)").by("field:tls13_suites").set(&[S::Global(a::http_tls13_suites)]),
    imp("http-redirect-to-https", GLOBAL, K::Bool, "yes", "with http-tls-certificate: a plain-HTTP request on the listener is answered 301 to the same URL over https:// (PowerMTA v5's default); no = plain HTTP is served too").by("test:the_management_listener_speaks_https_with_the_configured_certificate").set(&[S::Global(a::http_redirect)]),
    imp("http-default-max-items", GLOBAL, K::Count, "10", "rows of /queues and /domains when the request has no maxitems=").by("field:default_max_items").set(&[S::Global(a::http_max_items)]),
    imp("http-metrics-top-queues", GLOBAL, K::Count, "100", "/metrics gives this many queues (the most recipients queued, then the most traffic) their own series; the others are summed under queue=\"other\"").by("test:only_the_top_queues_get_their_own_series").set(&[S::Global(a::http_top_queues)]),
    imp("cluster-redis-url", GLOBAL, K::Text, "", "join a fleet: redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://… for TLS (see cluster-redis-ca-file), or unix:///PATH, of the Redis or Valkey server the nodes share; the cluster-* limits of every node that names it are fleet-wide (see CLUSTER); empty = not in a fleet, cluster-* limits ignored").by("field:redis_url").set(&[S::Global(a::global_cluster_url)]),
    imp("cluster-redis-ca-file", GLOBAL, K::Path, "", "with a rediss:// cluster-redis-url: PEM file of the certificate authorities the Redis server's certificate must chain to (its name must match the URL's host); default: the system's roots").by("field:redis_ca_file").set(&[S::Global(a::global_cluster_ca)]),
    imp("cluster-redis-cert-file", GLOBAL, K::Path, "", "with a rediss:// cluster-redis-url: PEM certificate this node presents to a Redis that verifies its clients (tls-auth-clients yes); needs cluster-redis-key-file").by("field:redis_cert_file").set(&[S::Global(a::global_cluster_cert)]),
    imp("cluster-redis-key-file", GLOBAL, K::Path, "", "the PEM private key of cluster-redis-cert-file").by("field:redis_key_file").set(&[S::Global(a::global_cluster_key)]),
    imp("cluster-node-id", GLOBAL, K::Text, "", "this node's name in the fleet (its connection leases and heartbeat carry it); default: the host-name; two nodes must not share one").by("field:node_id").set(&[S::Global(a::global_cluster_node)]),
    imp("cluster-fallback", GLOBAL, K::Text, "divide", "what the cluster-* limits become while Redis does not answer: divide = each node applies N / (nodes last seen), at least 1; local = each node applies N on its own (the fleet may reach nodes x N); pause = no new connection or message of a queue with a cluster-* limit until Redis answers (see CLUSTER)").by("test:cluster_fallback_pause_is_flagged_and_lifted_and_the_node_id_does_not_reload").set(&[S::Global(a::global_cluster_fallback)]),
    // ---- virtual-mta / pool ----
    rep("bind-to-source-ip", VMTA, K::Ip, "local address outgoing connections of this virtual MTA bind to").by("test:bind_to_source_ip_is_the_address_the_server_sees").set(&[S::Vmta(a::vmta_bind_ip)]),
    rep("virtual-mta", POOL, K::VmtaName, "a member of the pool (members are used round-robin)").by("test:a_virtual_mta_pool_uses_its_members_round_robin").set(&[S::Pool(a::pool_member)]),
    imp("rewrite-list", VMTA | POOL, K::Text, "", "name of the <rewrite-list> applied at intake to mail assigned to this virtual MTA or pool, after the source's own rewrite-list").by("test:a_rewritten_from_is_what_dkim_signs").set(&[S::Vmta(a::vmta_rewrite_list), S::Pool(a::pool_rewrite_list)]),
    imp("cold-virtual-mta", VMTA | POOL, K::VmtaName, "", "IP warm-up: mail injected into this (warm) virtual MTA or pool goes through the named cold one while the recipient queue's max-cold-virtual-mta-msg allowance for the UTC day lasts, then through this one").by("test:a_cold_vmta_sends_its_daily_allowance_then_the_warm_one_carries_the_rest").set(&[S::Vmta(a::vmta_cold), S::Pool(a::pool_cold)]),
    // ---- per-domain (per-queue) ----
    imp("max-smtp-out", DOMAIN, K::Count, "20", "most simultaneous outbound connections for the queue").by("test:directive_max_smtp_out"),
    imp("max-smtp-out", VMTA | POOL, K::Limit, "unlimited", "most simultaneous outbound connections across all the queues of the virtual MTA or pool").by("field:max_smtp_out").set(&[S::Vmta(a::vmta_max_smtp_out), S::Pool(a::pool_max_smtp_out)]),
    imp("cluster-max-smtp-out", DOMAIN, K::Limit, "unlimited", "with cluster-redis-url: most simultaneous connections of the queue across every node of the fleet (each connection holds a lease in Redis, renewed while it lives, so a node that dies gives its share back within seconds); max-smtp-out still caps each node; when Redis is unreachable each node allows N / (nodes last seen), at least 1").by("field:cluster_max_smtp_out"),
    imp("cluster-max-msg-rate", DOMAIN, K::Rate, "unlimited", "with cluster-redis-url: most recipients attempted per interval across every node of the fleet (a GCRA in Redis; a node takes a few tokens per round trip, see CLUSTER); max-msg-rate still caps each node; when Redis is unreachable each node allows N / (nodes last seen)").by("field:cluster_max_msg_rate"),
    imp("cluster-max-connect-rate", DOMAIN, K::Rate, "unlimited", "with cluster-redis-url: most new connections per interval across every node of the fleet (one Redis round trip per connection opened); max-connect-rate still caps each node; when Redis is unreachable each node allows N / (nodes last seen)").by("field:cluster_max_connect_rate"),
    imp("max-smtp-out-per-ip", DOMAIN, K::Limit, "unlimited", "most simultaneous connections to any one destination IP address").by("test:directive_max_smtp_out_per_ip"),
    imp("source-ip-max-smtp-out", DOMAIN, K::SourceIpLimit, "", "most simultaneous connections of the queue from local source addresses in CIDR").by("test:source_ip_max_smtp_out_caps_connections_per_local_address"),
    alias("max-smtp-out-per-source-ip", "source-ip-max-smtp-out", DOMAIN, K::SourceIpLimit, "old name of source-ip-max-smtp-out"),
    imp("smtp-pipeline-depth", DOMAIN, K::Count, "0", "when the server offers PIPELINING, send up to N commands before reading replies (0 or 1 = no pipelining)").by("test:directive_smtp_pipeline_depth"),
    imp("ignore-pipelining", DOMAIN, K::Bool, "no", "never pipeline, even if the server offers PIPELINING").by("test:ignore_pipelining_sends_one_command_at_a_time"),
    imp("delivery-interval", DOMAIN, K::Duration, "0s", "least time between two new connection attempts for the queue").by("test:directive_delivery_interval"),
    imp("connection-idle-timeout", DOMAIN, K::Duration, "5s", "keep a connection whose queue ran out of mail open this long for new mail before QUIT (at most 10m; 0 = QUIT at once, PowerMTA's default)").by("test:the_next_message_rides_on_the_idle_connection"),
    imp("smtp-port", DOMAIN, K::Port, "25", "destination TCP port of the MX hosts").by("test:directive_smtp_port"),
    alias("default-smtp-port", "smtp-port", DOMAIN, K::Port, "PowerMTA name of smtp-port"),
    imp("route", DOMAIN, K::Hosts, "", "send through these hosts instead of the MX hosts; `;` separates preference levels, `,` hosts of one level; [IP] literals skip DNS").by("test:directive_route"),
    alias("smtp-hosts", "route", DOMAIN, K::Hosts, "PowerMTA name of route"),
    imp("resolve-to", DOMAIN, K::Ip, "", "skip the MX lookup and connect to this address").by("test:directive_resolve_to"),
    imp("max-message-size", DOMAIN, K::Size, "unlimited", "larger messages for this domain are refused (552 5.3.4)").by("test:directive_max_message_size"),
    imp("max-message-size", SOURCE, K::Size, "10M", "larger messages from this source are refused at SIZE and at DATA (552 5.3.4); PowerMTA's default is unlimited, pmtad's is Postfix's 10 MB").by("field:max_message_size"),
    imp("require-rdns", DOMAIN | SOURCE, K::Bool, "no", "refuse clients whose IP has no reverse DNS name resolving back to it (550 5.7.25)").by("test:directive_require_rdns"),
    imp("dkim-sign", DOMAIN, K::Bool, "no", "sign outgoing mail with the matching domain-key").by("test:directive_dkim_sign"),
    imp("dkim-identity", DOMAIN, K::Text, "sender-or-from", "signing identity: @domain, user@domain or sender-or-from; the key is the first domain-key whose domain equals or is a parent of it").by("test:dkim_identity_algorithm_and_headers_shape_the_signature"),
    imp("dkim-headers", DOMAIN, K::Words, "", "extra header names to sign besides the fixed base list").by("test:dkim_identity_algorithm_and_headers_shape_the_signature"),
    imp("dkim-algorithm", DOMAIN, K::DkimAlgorithm, "rsa-sha256", "signature algorithm when the key allows a choice").by("test:dkim_identity_algorithm_and_headers_shape_the_signature"),
    imp("tls", DOMAIN, K::Tls, "optional", "STARTTLS: never; when offered (plain-text fallback); or always (else temporary failure)").by("test:directive_tls"),
    imp("use-starttls", DOMAIN, K::Bool, "", "PowerMTA: yes = tls optional, no = tls no").by("test:use_starttls_and_require_starttls_decide_tls"),
    imp("require-starttls", DOMAIN, K::Bool, "", "PowerMTA: yes = tls required").by("test:use_starttls_and_require_starttls_decide_tls"),
    imp("type", DOMAIN, K::DeliveryType, "smtp", "delivery: by SMTP, through a command (pipe), or discarded").by("test:type_pipe_runs_the_command_and_type_discard_drops"),
    alias("local", "type", DOMAIN, K::Local, "yes = deliver on this host through mailbox-command (type pipe); no = type smtp"),
    imp("mailbox-command", DOMAIN, K::Text, "", "command run once per recipient with the message on stdin; exit 0 delivered, 75 retry, else bounce; $to $from $domain $user expand").by("test:directive_mailbox_command"),
    alias("command", "mailbox-command", DOMAIN, K::Text, "PowerMTA name of mailbox-command"),
    imp("log-entries", DOMAIN, K::Bool, "no", "write accounting records for this domain to its accounting-log").by("test:directive_log_entries"),
    imp("accounting-log", DOMAIN, K::Path, "", "per-domain accounting CSV file").by("test:directive_accounting_log"),
    imp("retry-after", DOMAIN, K::DurationList, "10m", "retry intervals; the last repeats").by("test:directive_retry_after"),
    imp("bounce-after", DOMAIN, K::Duration, "4d12h", "undelivered mail older than this bounces (message-expired)").by("test:directive_bounce_after"),
    imp("notify-of-delay-every", DOMAIN, K::DurationOrNever, "4h", "recipients that asked for delay notices (RCPT TO ... NOTIFY=DELAY) get a delay DSN (Action: delayed, Will-Retry-Until) each time their mail has waited another TIME; without a NOTIFY parameter none are sent (PowerMTA's default), NOTIFY=NEVER also suppresses the failure DSN; never = no delay DSNs").by("test:a_4xx_past_notify_of_delay_every_gives_exactly_one_delay_dsn"),
    imp("max-msg-per-connection", DOMAIN, K::Count, "0", "reconnect after N messages (0 = no limit)").by("test:directive_max_msg_per_connection"),
    imp("max-errors-per-connection", DOMAIN, K::Limit, "unlimited", "close a delivery connection (QUIT) once N recipients on it were refused or deferred; the rest of the queue goes on a new connection").by("test:max_errors_per_connection_closes_the_connection"),
    imp("max-msg-rate", DOMAIN, K::Rate, "unlimited", "most recipients attempted per interval").by("test:directive_max_msg_rate"),
    imp("max-connect-rate", DOMAIN, K::Rate, "unlimited", "most new connections per interval").by("test:connect_rate_and_msg_rate_hold_with_a_deadline"),
    imp("max-rcpt-per-transaction", DOMAIN, K::Count, "1000", "most RCPT TO per transaction; more recipients are sent in further transactions").by("field:max_rcpt_per_transaction"),
    alias("max-rcpt-per-message", "max-rcpt-per-transaction", DOMAIN, K::Count, "PowerMTA name of max-rcpt-per-transaction"),
    imp("connect-timeout", DOMAIN, K::Duration, "2m", "TCP connect timeout").by("test:connect_timeout_gives_up_on_a_silent_address"),
    imp("smtp-greeting-timeout", DOMAIN, K::Duration, "5m", "wait for the 220 banner").by("test:smtp_greeting_timeout_gives_up_on_a_silent_server"),
    imp("data-send-timeout", DOMAIN, K::Duration, "3m", "per chunk of message data").by("test:data_send_timeout_gives_up_on_a_server_that_stops_reading"),
    imp("queue-priority", DOMAIN, K::Priority, "50", "0..100; higher-priority queues get connection slots first").by("test:the_higher_queue_priority_drains_first_when_slots_are_short"),
    alias("delivery-priority", "queue-priority", DOMAIN, K::Priority, "old name of queue-priority"),
    imp("bounce-upon-no-mx", DOMAIN, K::BounceNoMx, "no", "a domain without MX bounces at once (yes), after TIME, or falls back to A/AAAA (no)").by("test:bounce_upon_no_mx_bounces_instead_of_using_the_address_record"),
    imp("smtp-pattern-list", DOMAIN, K::Text, "", "name of the <smtp-pattern-list> applied to replies of this queue").by("test:skip_mx_moves_on_to_the_next_mx_and_keeps_the_mail"),
    imp("queue-to", DOMAIN, K::Text, "", "put this domain's mail into the queue NAME (one queue, one <domain NAME> policy for every domain that names it; without route/smtp-hosts on it, each message goes to its own domain's MX hosts)").by("test:queue_to_merges_domains_by_name_under_one_policy"),
    imp("disable-mx-rollup", DOMAIN, K::Bool, "no", "keep this domain in its own queue even when its MX hosts match an <mx-rollup-list> line").by("field:disable_mx_rollup"),
    imp("max-cold-virtual-mta-msg", DOMAIN, K::DailyLimits, "", "IP warm-up: messages per UTC day this queue's domain may send through the warm virtual MTA's cold-virtual-mta, by day of the cold one's use (the last value repeats); counted per domain when the message is queued and persisted in the spool directory (a message counted for the cold virtual MTA and still queued at a restart goes out through the warm one afterwards, its count kept: the cold one never exceeds its allowance); none = no warm-up traffic").by("test:a_cold_vmta_sends_its_daily_allowance_then_the_warm_one_carries_the_rest"),
    imp("backoff-max-smtp-out", DOMAIN, K::Count, "20", "max-smtp-out while the queue is in backoff").by("test:a_reply_pattern_switches_to_backoff_limits_and_back"),
    imp("backoff-max-msg-rate", DOMAIN, K::Rate, "", "max-msg-rate in backoff (default: max-msg-rate)").by("test:a_reply_pattern_switches_to_backoff_limits_and_back"),
    imp("backoff-max-connect-rate", DOMAIN, K::Rate, "", "max-connect-rate in backoff (default: max-connect-rate)").by("field:backoff_max_connect_rate"),
    imp("backoff-retry-after", DOMAIN, K::DurationList, "1h", "retry-after in backoff").by("test:backoff_to_normal_after_delivery_ends_backoff_at_the_first_delivery"),
    imp("backoff-to-normal-after", DOMAIN, K::DurationOrNever, "never", "return from backoff to normal after this time").by("test:backoff_to_normal_after_delivery_ends_backoff_at_the_first_delivery"),
    imp("log-connections", DOMAIN | SOURCE, K::Bool, "no", "main log lines for each SMTP connection opened and closed: in <source>, the connections of its feeders (\"(  N)accepted connection from [IP]:PORT\"); in <domain>, the queue's outbound connections (\"(out N)connected to HOST [IP]:PORT\", \"closed connection to …\")").by("test:dialogue_is_logged_when_asked_with_data_capped"),
    imp("log-commands", DOMAIN | SOURCE, K::Bool, "no", "every SMTP command and reply of those connections in the main log: >>> what pmtad read, <<< what it wrote (AUTH credentials are never logged)").by("test:dialogue_is_logged_when_asked_with_data_capped"),
    imp("log-data", DOMAIN | SOURCE, K::Bool, "no", "the first 4096 bytes of each message's content on those connections in the main log (\"| LINE\" per line, then \"[data: N bytes, M logged]\"); outbound, as sent (dot-stuffed)").by("test:dialogue_is_logged_when_asked_with_data_capped"),
    // ---- <source> ----
    imp("always-allow-relaying", SOURCE, K::Bool, "no", "accept mail for any recipient domain from this source (feeders)").by("test:feeders_log_in_over_starttls_and_relay"),
    imp("smtp-service", SOURCE, K::Bool, "yes", "no = answer 521 and close").by("field:smtp_service"),
    imp("default-virtual-mta", SOURCE, K::VmtaName, "", "virtual MTA or pool for mail without X-Virtual-MTA").by("test:block_virtual_mta_selection"),
    imp("process-x-virtual-mta", SOURCE, K::Bool, "no", "honour the X-Virtual-MTA header (and remove it)").by("test:a_rewritten_from_is_what_dkim_signs"),
    imp("add-received-header", SOURCE, K::Bool, "yes", "add a Received header").by("field:add_received_header"),
    imp("hide-message-source", SOURCE, K::Bool, "no", "leave the client's name and IP out of the Received header").by("field:hide_message_source"),
    imp("check-iprev-inbound", SOURCE, K::Bool, "no", "PowerMTA: check reverse DNS of clients (with reject-iprev-check-fail = require-rdns)").by("field:require_rdns"),
    imp("reject-iprev-check-fail", SOURCE, K::Bool, "no", "PowerMTA: refuse clients failing the reverse DNS check").by("field:require_rdns"),
    imp("allow-auth", SOURCE, K::Bool, "yes", "offer SMTP AUTH (PLAIN, LOGIN) to this source when <smtp-user>s are configured").by("field:allow_auth"),
    imp("require-auth", SOURCE, K::Bool, "no", "refuse MAIL (530 5.7.0) until the client authenticated").by("field:require_auth"),
    imp("allow-unencrypted-plain-auth", SOURCE, K::Bool, "no", "offer and accept AUTH before STARTTLS (otherwise AUTH is offered only over TLS and refused with 538 5.7.11 in plain text)").by("field:allow_unencrypted_plain_auth"),
    imp("require-starttls-before-auth", SOURCE, K::Bool, "no", "refuse AUTH before STARTTLS (530 5.7.0), even with allow-unencrypted-plain-auth").by("field:require_starttls_before_auth"),
    imp("smtp-max-auth-failure-rate", SOURCE, K::Rate, "unlimited", "N/TIME: after N failed AUTH attempts from one client address in TIME (counted from the first), AUTH is refused with 421 and the connection closed until TIME has passed").by("test:feeders_log_in_over_starttls_and_relay"),
    imp("rewrite-list", SOURCE, K::Text, "", "name of the <rewrite-list> whose mail-from and from-domain rules rewrite this source's envelope senders and From: headers before spooling").by("test:a_rewritten_from_is_what_dkim_signs"),
    imp("pattern-list", SOURCE, K::Text, "", "name of the <pattern-list> that picks the virtual MTA of mail without a processed X-Virtual-MTA header (before default-virtual-mta)").by("test:a_pattern_list_picks_the_virtual_mta"),
    imp("process-x-job", SOURCE, K::Bool, "no", "the X-Job header names the message's job (accounting jobId, show jobs, delete --job); the header is removed unless retain-x-job").by("test:a_job_id_with_spaces_or_controls_is_refused"),
    imp("retain-x-job", SOURCE, K::Bool, "no", "keep a processed X-Job header in the message").by("field:retain_x_job"),
    imp("jobid-header", SOURCE, K::Text, "", "another header that names the job when there is no processed X-Job (the header stays in the message)").by("field:jobid_header"),
    imp("jobid-prefix", SOURCE, K::Text, "", "text put before every job id from this source; {auth} puts the authenticated user's name").by("field:jobid_prefix"),
    imp("process-x-envid", SOURCE, K::Bool, "no", "the X-EnvId header (removed) is the envelope id (accounting envId, DSN Original-Envelope-Id) when MAIL FROM gave no ENVID=").by("field:process_x_envid"),
    imp("allow-starttls", SOURCE, K::Bool, "yes", "offer STARTTLS to this source (needs smtp-server-tls-certificate; PowerMTA's default is no, pmtad offers TLS whenever it has a certificate)").by("field:allow_starttls"),
    imp("require-starttls", SOURCE, K::Bool, "no", "in <source>: refuse MAIL, RCPT, DATA, VRFY and AUTH before STARTTLS (530 5.7.0); needs smtp-server-tls-certificate").by("test:use_starttls_and_require_starttls_decide_tls"),
    // ---- <smtp-listener> ----
    imp("source", LISTENER, K::Text, "", "named <source> whose policy applies to this listener's clients").by("field:source"),
    // ---- <smtp-user> ----
    imp("password", USER, K::Text, "", "the user's password: plain text (as PowerMTA), or an Argon2 hash in PHC form ($argon2id$v=19$m=…,t=…,p=…$SALT$HASH, as `pmtad --hash-password` prints); never logged").by("test:feeders_log_in_over_starttls_and_relay").set(&[S::User(a::user_password)]),
    imp("authentication-method", USER, K::Text, "password", "how the user proves who it is: password (system and certificate are PowerMTA methods pmtad refuses)").by("config:users_load_with_plain_and_hashed_passwords").set(&[S::User(a::user_auth_method)]),
    imp("source", USER, K::Text, "", "named <source> applied to the user's sessions once authenticated (default: <source {auth}>)").by("field:source").set(&[S::User(a::user_source)]),
    not_yet("tls-certificate", USER, "certificate authentication"),
    // ---- <pattern-list> ----
    rep("mail-from", SELECT, K::Text, "/REGEX/ virtual-mta=NAME: mail whose envelope sender matches goes through NAME").by("test:a_pattern_list_picks_the_virtual_mta"),
    rep("rcpt-to", SELECT, K::Text, "/REGEX/ virtual-mta=NAME: the first recipient that matches decides for the whole message").by("test:a_pattern_list_picks_the_virtual_mta"),
    rep("header", SELECT, K::Text, "HEADER /REGEX/ virtual-mta=NAME: matched against the header's first value (unfolded)").by("test:a_pattern_list_picks_the_virtual_mta"),
    rep("*", SELECT, K::Text, "virtual-mta=NAME: what the list selects when no rule above matched").by("config:first_matching_rule_selects"),
    // ---- <rewrite-list> ----
    rep("mail-from", REWRITE, K::Text, "SOURCE-ADDRESS TARGET-ADDRESS: rewrite the envelope sender before spooling (a@x, a@*, *@x, *@*, <>; a * in the target takes that part from the sender); the first matching rule applies").by("test:a_rewrite_list_rewrites_the_envelope_sender").set(&[S::Rewrite(a::rewrite_mail_from)]),
    rep("from-domain", REWRITE, K::Text, "SOURCE-DOMAIN TARGET-DOMAIN: rewrite the domain of the From: header's addresses before spooling (x.com, *.x.com for its subdomains, * for any; the first matching rule applies); DKIM signing then signs the rewritten From:").by("test:a_rewritten_from_is_what_dkim_signs").set(&[S::Rewrite(a::rewrite_from_domain)]),
    // ---- <acct-file> ----
    imp("records", ACCT, K::Records, "d,b", "record types written: d b t tq r f rb rs (or delivery, bounce, transient, transient-queue, receipt, …)").by("test:base_config").set(&[S::Acct(a::acct_records)]),
    rep("record-fields", ACCT, K::RecordFields, "columns per record type: TYPE *,!field,header_NAME").by("field:record_fields").set(&[S::Acct(a::acct_record_fields)]),
    imp("max-size", ACCT, K::Size, "250M", "roll over to a new file at this size").by("field:max_size").set(&[S::Acct(a::acct_max_size)]),
    imp("move-interval", ACCT, K::Duration, "1d", "roll over this often (with move-to: move the old file there)").by("field:move_interval").set(&[S::Acct(a::acct_move_interval)]),
    imp("move-to", ACCT, K::Path, "", "directory rolled-over files move to").by("field:move_to").set(&[S::Acct(a::acct_move_to)]),
    imp("delete-after", ACCT, K::DurationOrNever, "8d", "delete rolled-over files older than this (when not moved)").by("field:delete_after").set(&[S::Acct(a::acct_delete_after)]),
    imp("retry-interval", ACCT, K::Duration, "5m", "<acct-file |COMMAND>: wait this long before restarting a program that exited or failed").by("test:delivery_records_reach_an_accounting_pipe").set(&[S::Acct(a::acct_retry_interval)]),
    imp("write-timeout", ACCT, K::Duration, "1m", "<acct-file |COMMAND>: restart a program that reads nothing for this long").by("field:write_timeout").set(&[S::Acct(a::acct_write_timeout)]),
    imp("user-string", ACCT, K::Text, "", "value of the userString column").by("field:user_string").set(&[S::Acct(a::acct_user_string)]),
    imp("sync", ACCT, K::Bool, "no", "fsync the file after every batch of records (otherwise at rotation and shutdown)").by("field:sync").set(&[S::Acct(a::acct_sync)]),
    // ---- <bounce-processor>, <feedback-loop-processor>, <address-list> ----
    imp("deliver-unmatched-email", PROCESSORS, K::Bool, "yes", "a report that matches no message pmtad sent (no valid X-Pmtad-Ref stamp: foreign, forged, too old a key), or that could not be parsed, is still delivered to its recipient like any mail (no: discarded after its rb/f record)").by("test:each_verdict_follows_the_processor_settings").set(&[S::Processor(a::proc_deliver_unmatched)]),
    imp("deliver-matched-email", PROCESSORS, K::Bool, "no", "a report matched to a message pmtad sent is also delivered to its recipient after its rb/f record (no: discarded)").by("field:deliver_matched").set(&[S::Processor(a::proc_deliver_matched)]),
    imp("forward-unmatched-to", PROCESSORS, K::Text, "", "ADDRESS: unmatched reports go to this address instead of their recipient (whatever deliver-unmatched-email says)").by("test:a_loop_a_broken_report_and_an_oversized_one_are_rejected_not_answered").set(&[S::Processor(a::proc_forward_unmatched)]),
    imp("forward-errors-to", PROCESSORS, K::Text, "", "ADDRESS: reports pmtad could not process (malformed MIME, no report part, over the 10M size cap, a report about a report) go to this address; otherwise they are unmatched").by("field:forward_errors_to").set(&[S::Processor(a::proc_forward_errors)]),
    not_yet("deliver-email", PROCESSORS, "deliver every processed report"),
    rep("address", ADDR_LIST, K::AddressEntry, "a processor mailbox: local@domain (any case), /REGEX/ over the whole address (case-insensitive), or a bare local part (at any domain); mail for it is accepted from any source (no relaying rights needed) and parsed instead of queued").by("test:config").set(&[S::Addresses(a::addr_address)]),
    rep("domain", ADDR_LIST, K::DomainList, "every address at these domains (example.com, *.example.com, [*.]example.com) is a processor mailbox").by("test:config").set(&[S::Addresses(a::addr_domain)]),
    rep("address-file", ADDR_LIST, K::Path, "a file of address lines (the address forms above, one per line, # comments), read when the config loads").by("config:address_file_lines_are_processor_addresses").set(&[S::Addresses(a::addr_file)]),
    // ---- <source-group> ----
    imp("max-smtp-in", SOURCE_GROUP, K::Limit, "unlimited", "most simultaneous inbound SMTP connections from all sources of the group together; the next connection is told 421 4.3.2 and closed at once (reloadable: open connections are never cut)").by("test:refused_inbound_connections_are_counted_per_source_group").set(&[S::Group(a::group_max_smtp_in)]),
    imp("reserved-smtp-in", SOURCE_GROUP, K::Count, "0", "connections of total-max-smtp-in kept for this group: other sources are refused (421 4.3.2) once only the reserved slots are left; the reservations of all groups may not exceed total-max-smtp-in, nor a group's own max-smtp-in").by("field:reserved_smtp_in").set(&[S::Group(a::group_reserved_smtp_in)]),
    // ---- <smtp-pattern-list> ----
    rep("mx", MX_ROLLUP, K::MxRollup, "MX-PATTERN NAME.rollup [rollup-by-ip]: a domain whose most-preferred MX hosts include a host matching every pattern of NAME.rollup (exact, *.suffix or [*.]domain) joins that one queue and its <domain NAME.rollup> policy; with rollup-by-ip the patterns are IP addresses or CIDRs matched against those hosts' addresses; rollup names end in .rollup").by("test:ROLLUP"),
    rep("reply", PATTERNS, K::Reply, "/REGEX/ matched (case-insensitively) against remote replies; actions: mode=backoff|normal, backoff-to-normal-after=TIME, bounce-rcpt, bounce-queue, defer-queue, skip-mx, disable-source-ip, reenable-after=TIME").by("test:a_reply_pattern_switches_to_backoff_limits_and_back"),
    // ---- PowerMTA directives accepted with a warning ----
    not_yet("http-csrf-protection", GLOBAL, "web monitor CSRF protection"),
    not_yet("http-default-sort-order", GLOBAL, "web monitor sort order"),
    not_yet("http-mgmt-source", GLOBAL, "legacy web monitor source"),
    not_yet("run-as-root", GLOBAL, "run the daemon as root"),
    not_yet("log-auto-rotation", GLOBAL, "rotate the main log at midnight"),
    not_yet("log-file-world-readable", GLOBAL, "main log permissions"),
    not_yet("spool-max-recipients", GLOBAL, "recipients kept in memory"),
    not_yet("relay-address", GLOBAL, "addresses accepted from any source"),
    not_yet("relay-debug", GLOBAL, "4xx instead of 5xx for relay denials"),
    not_yet("mx-connection-limit", GLOBAL, "connections per MX host"),
    not_yet("ip-connection-limit", GLOBAL, "connections per destination IP"),
    not_yet("smtp-await-slot", GLOBAL, "wait for an inbound slot"),
    not_yet("host-id", GLOBAL, "host identifier in message ids"),
    not_yet("domain-suffix", GLOBAL, "suffix for unqualified domains"),
    not_yet("alias", GLOBAL, "address forwarding"),
    not_yet("pickup", GLOBAL, "pickup directory"),
    not_yet("dummy-smtp-ip", GLOBAL, "black-hole test listener address"),
    not_yet("dummy-smtp-port", GLOBAL, "black-hole test listener port"),
    imp("smtp-server-tls-ciphers", GLOBAL, K::Text, "", "OpenSSL cipher string of the TLS 1.2 suites inbound STARTTLS offers (default: all pmtad has). pmtad's TLS (rustls with ring) has ECDHE-ECDSA- and ECDHE-RSA- AES128-GCM-SHA256, AES256-GCM-SHA384 and CHACHA20-POLY1305; items are those OpenSSL or IANA names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or keywords (ALL, DEFAULT, HIGH, ECDHE, EECDH, aRSA, aECDSA, AES, AESGCM, AES128, AES256, CHACHA20, SHA256, SHA384, TLSv1.2), A+B for both, !X or -X to remove, +X to move last, @STRENGTH and @SECLEVEL=N accepted, separated by : , or spaces; names and keywords of suites rustls lacks (DHE-RSA-AES256-SHA, RC4, aNULL, ...) select nothing (a named one gets a warning); an unknown word, or a string selecting none, is an error").by("test:the_cipher_directives_decide_the_negotiated_suite").set(&[S::Global(a::global_tls_ciphers)]),
    not_yet("smtp-server-tls-allow-tlsv1", GLOBAL, "inbound TLS 1.0"),
    not_yet("smtp-server-tls-allow-tlsv1.1", GLOBAL, "inbound TLS 1.1"),
    not_yet("custom-dsn-from-header", GLOBAL, "From header of DSNs"),
    not_yet("dsn-failed-from-template", GLOBAL, "DSN template"),
    not_yet("dsn-failed-subject-template", GLOBAL, "DSN template"),
    not_yet("dsn-failed-body-template-from", GLOBAL, "DSN template"),
    not_yet("track-time-first-attempt", GLOBAL, "accounting timeFirstAttempt"),
    not_yet("edns-udp-length", GLOBAL, "DNS EDNS buffer size"),
    not_yet("invalid-virtual-mta-fallback", GLOBAL, "fallback for unknown virtual MTAs"),
    not_yet("max-memory-usage-percent", GLOBAL, "memory pressure threshold"),
    not_yet("sync-msg-create", GLOBAL, "legacy spool sync"),
    not_yet("sync-msg-update", GLOBAL, "legacy spool sync"),
    not_yet("dk-sign", GLOBAL | DOMAIN, "legacy DomainKeys signing"),
    not_yet("remove-received-headers", GLOBAL | DOMAIN, "legacy"),
    not_yet("auto-cold-virtual-mta", GLOBAL, "legacy"),
    not_yet("smtp-ip", GLOBAL, "legacy listener address"),
    not_yet("use-proxy", GLOBAL | VMTA, "HAProxy-protocol egress"),
    not_yet("smtp-proxy-source-host", GLOBAL | VMTA, "proxy source host"),
    not_yet("proxy-protocol", VMTA, "proxy protocol version"),
    not_yet("max-smtp-msg-rate", VMTA | POOL, "message rate across the virtual MTA"),
    not_yet("max-smtp-data-volume-rate", VMTA | POOL, "data rate across the virtual MTA"),
    not_yet("include-headers-from", GLOBAL | VMTA | POOL, "extra headers file"),
    not_yet("max-data-volume-rate", DOMAIN, "bytes per interval"),
    not_yet("backoff-max-data-volume-rate", DOMAIN, "bytes per interval in backoff"),
    not_yet("source-ip-max-msg-rate", DOMAIN, "per source IP message rate"),
    not_yet("source-ip-max-connect-rate", DOMAIN, "per source IP connect rate"),
    not_yet("source-ip-max-data-volume-rate", DOMAIN, "per source IP data rate"),
    not_yet("smtp-out-rampup-interval", DOMAIN, "connection ramp-up"),
    not_yet("allow-priority-interruption", DOMAIN, "priority interruption"),
    not_yet("allow-priority-interruption-during-transfer", DOMAIN, "priority interruption"),
    not_yet("allow-cancel-during-transfer", DOMAIN, "abort mid-DATA on shutdown"),
    not_yet("max-msg-per-hour", DOMAIN, "deprecated message rate"),
    not_yet("backoff-max-msg-per-hour", DOMAIN, "deprecated message rate"),
    not_yet("retry-recipients-after", DOMAIN, "per-recipient retry wait"),
    not_yet("retry-after-dns-error", DOMAIN, "retry after DNS failure"),
    not_yet("retry-upon-new-mail", DOMAIN, "retry when new mail arrives"),
    not_yet("bounce-upon-5xx-greeting", DOMAIN, "bounce on a 5xx banner"),
    not_yet("bounce-upon-transfer-failure", DOMAIN, "bounce after a mid-DATA failure"),
    not_yet("bounce-upon-pix-transfer-failure", DOMAIN, "Cisco PIX workaround"),
    not_yet("pix-bug-workaround", DOMAIN, "Cisco PIX workaround"),
    not_yet("smtp-553-means-invalid-mailbox", DOMAIN, "553 classification"),
    not_yet("smtp-421-means-mx-unavailable", DOMAIN, "421 handling"),
    not_yet("replace-smtp-421-service-response", DOMAIN, "421 text in bounces"),
    not_yet("dsn-format", DOMAIN, "DSN format"),
    not_yet("deliver-local-dsn", DOMAIN, "deprecated"),
    not_yet("disable-acct-records", DOMAIN, "suppress accounting records"),
    not_yet("bcc-upon-delivery", DOMAIN, "copy delivered messages"),
    not_yet("remove-header", DOMAIN | SOURCE, "strip headers"),
    not_yet("track-recipient-events", DOMAIN, "recipient event history"),
    not_yet("max-events-recorded", DOMAIN, "error events kept"),
    imp("backoff-to-normal-after-delivery", DOMAIN, K::Bool, "no", "the first successful delivery returns a queue in backoff to normal mode").by("test:backoff_to_normal_after_delivery_ends_backoff_at_the_first_delivery"),
    not_yet("backoff-upon-all-sources-disabled", DOMAIN, "backoff when all source IPs are disabled"),
    imp("reenable-source-ip-after", DOMAIN, K::DurationOrNever, "never", "use a source address again this long after a disable-source-ip reply pattern took it out of use (a rule's reenable-after= wins)").by("test:reenable_source_ip_after_brings_a_disabled_address_back"),
    not_yet("backoff-notify", DOMAIN, "mail on mode changes"),
    not_yet("disabled-source-ip-notify", DOMAIN, "mail on disabled IPs"),
    not_yet("backoff-reroute-to-virtual-mta", DOMAIN, "reroute in backoff"),
    not_yet("reroute-to-virtual-mta", DOMAIN, "reroute always"),
    not_yet("smtp-data-termination-timeout", DOMAIN, "wait for the reply to the final dot"),
    not_yet("assume-delivery-upon-data-termination-timeout", DOMAIN, "treat that timeout as success"),
    not_yet("smtp-multiple-line-response-timeout", DOMAIN, "multi-line reply timeout"),
    not_yet("mx-connection-attempts", DOMAIN, "MX attempts per try"),
    not_yet("ignore-8bitmime", DOMAIN, "do not use 8BITMIME"),
    not_yet("ignore-chunking", DOMAIN, "do not use CHUNKING"),
    not_yet("ignore-dsn", DOMAIN, "do not use DSN"),
    not_yet("use-dane", DOMAIN, "DANE"),
    not_yet("use-mta-sts", DOMAIN, "MTA-STS"),
    not_yet("reuse-ssl-session", DOMAIN, "TLS session resumption"),
    not_yet("smtp-tls-allow-tlsv1", DOMAIN, "outbound TLS 1.0"),
    not_yet("smtp-tls-allow-tlsv1.1", DOMAIN, "outbound TLS 1.1"),
    not_yet("smtp-tls-allow-tlsv1.2", DOMAIN, "outbound TLS 1.2"),
    not_yet("smtp-tls-allow-tlsv1.3", DOMAIN, "outbound TLS 1.3"),
    not_yet("smtp-tls-ciphers", DOMAIN, "outbound TLS ciphers"),
    not_yet("smtp-tls-tlsv1.3-ciphersuites", DOMAIN, "outbound TLS 1.3 suites"),
    not_yet("smtp-client-certificate", DOMAIN, "outbound client certificate"),
    not_yet("smtp-tls-ca-file", DOMAIN, "outbound CA bundle"),
    not_yet("log-tls", DOMAIN | SOURCE, "log TLS negotiation"),
    not_yet("auth-username", DOMAIN, "outbound SMTP AUTH user"),
    not_yet("auth-password", DOMAIN, "outbound SMTP AUTH password"),
    not_yet("use-unencrypted-plain-auth", DOMAIN, "outbound AUTH without TLS"),
    not_yet("dkim-body-canon", DOMAIN, "DKIM body canonicalization (relaxed is used)"),
    not_yet("dkim-headers-canon", DOMAIN, "DKIM header canonicalization (relaxed is used)"),
    not_yet("dkim-identity-fallback", DOMAIN, "DKIM fallback identity"),
    not_yet("dkim-disallow-adding-headers", DOMAIN, "DKIM h= over-signing"),
    not_yet("dkim-add-body-limit", DOMAIN, "DKIM l= tag"),
    not_yet("dkim-add-timestamp", DOMAIN, "DKIM t= tag"),
    not_yet("dkim-expire-after", DOMAIN, "DKIM x= tag"),
    not_yet("dkim-query-method", DOMAIN, "DKIM q= tag"),
    not_yet("macro-variables-preserve-case", DOMAIN, "command macro case"),
    not_yet("file-format", DOMAIN, "file delivery format"),
    not_yet("file-destination", DOMAIN, "file delivery target"),
    not_yet("discard-as-bounce", DOMAIN, "discard queues bounce"),
    not_yet("http-delivery-url", DOMAIN, "HTTP delivery"),
    not_yet("http-delivery-extra-headers", DOMAIN, "HTTP delivery"),
    not_yet("check-spf-outbound", DOMAIN, "SPF check of own mail"),
    not_yet("add-x-msys-api-header", DOMAIN, "SparkPost relay"),
    not_yet("sparkpost-sandbox", DOMAIN, "SparkPost relay"),
    not_yet("sparkpost-ip-pool", DOMAIN, "SparkPost relay"),
    not_yet("log-resolution", DOMAIN, "log DNS resolution"),
    not_yet("log-transfer-failures", DOMAIN, "log transfer failures"),
    not_yet("log-disabled-ips", DOMAIN, "log disabled source IPs"),
    not_yet("log-messages", DOMAIN, "log bounce-processor messages"),
    not_yet("allow-mailmerge", SOURCE, "XMRG"),
    not_yet("always-allow-api-submission", SOURCE, "API submission"),
    not_yet("retain-x-virtual-mta", SOURCE, "keep the X-Virtual-MTA header"),
    not_yet("add-x-virtual-mta-header", SOURCE, "add X-Virtual-MTA"),
    not_yet("allow-empty-x-virtual-mta", SOURCE, "empty X-Virtual-MTA selects {default}"),
    not_yet("reject-invalid-virtual-mta", SOURCE, "reject unknown virtual MTAs"),
    not_yet("process-x-dkim-options", SOURCE, "X-DKIM-Options"),
    not_yet("retain-x-dkim-options", SOURCE, "keep X-DKIM-Options"),
    not_yet("process-x-dkim-key", SOURCE, "X-DKIM-Key"),
    not_yet("retain-x-dkim-key", SOURCE, "keep X-DKIM-Key"),
    not_yet("process-x-schedule", SOURCE, "X-Schedule"),
    not_yet("retain-x-schedule", SOURCE, "keep X-Schedule"),
    not_yet("add-date-header", SOURCE, "add a Date header"),
    not_yet("date-header-time", SOURCE, "Date header time"),
    not_yet("add-message-id-header", SOURCE, "add a Message-ID header"),
    not_yet("max-message-hops", SOURCE, "most Received headers"),
    not_yet("too-many-rcpts-fails-message", SOURCE, "recipient limit behaviour"),
    not_yet("smtp-data-timeout", SOURCE, "inbound DATA timeout"),
    not_yet("smtp-command-timeout", SOURCE, "inbound command timeout"),
    not_yet("verp-default", SOURCE, "VERP"),
    not_yet("suppress-local-dsn", SOURCE, "no DSNs for this source"),
    not_yet("dsn-return-default", SOURCE, "DSN RET default"),
    not_yet("accept-invalid-recipients", SOURCE, "accept bad recipients"),
    not_yet("suppression-lists", SOURCE, "suppression lists"),
    not_yet("check-spf-inbound", SOURCE, "SPF checks"),
    not_yet("check-dkim-inbound", SOURCE, "DKIM checks"),
    not_yet("trace-spf-inbound", SOURCE, "SPF tracing"),
    not_yet("trace-dkim-inbound", SOURCE, "DKIM tracing"),
    not_yet("trace-iprev-inbound", SOURCE, "reverse DNS tracing"),
    not_yet("reject-spf-check-temperror", SOURCE, "SPF policy"),
    not_yet("reject-spf-check-permerror", SOURCE, "SPF policy"),
    not_yet("reject-spf-check-fail", SOURCE, "SPF policy"),
    not_yet("reject-iprev-check-temperror", SOURCE, "reverse DNS policy"),
    not_yet("reject-iprev-check-permerror", SOURCE, "reverse DNS policy"),
    not_yet("allow-chunking", SOURCE, "inbound CHUNKING"),
    not_yet("allow-smtputf8", SOURCE, "inbound SMTPUTF8"),
    not_yet("auto-qualify-domain", SOURCE, "qualify bare addresses"),
    not_yet("disconnect-on-transient-error", SOURCE, "close instead of 4xx"),
    not_yet("bcc", SOURCE, "copy accepted mail"),
    imp("source-group", SOURCE, K::Text, "", "name of the <source-group> whose inbound connection limits (max-smtp-in, reserved-smtp-in) this source's connections count against; decided by the client address (and the listener's source=) when the client connects").by("test:refused_inbound_connections_are_counted_per_source_group"),
    not_yet("max-rcpt-per-message", SOURCE, "inbound recipients per message"),
    not_yet("queue-filter", ACCT, "record only some queues"),
    not_yet("iso-times", ACCT, "ISO timestamps"),
    not_yet("map-header-to-field", ACCT, "header to field mapping"),
    not_yet("privacy-policy", ACCT, "recipient redaction"),
    not_yet("world-readable", ACCT, "file permissions"),
    not_yet("count-moved-records", ACCT, "log record counts"),
    not_yet("http-webhook-url", ACCT, "accounting webhook"),
    not_yet("deliver-only", SPOOL, "spool accepts no new mail"),
    not_yet("priority", SPOOL, "spool priority"),
    imp("min-free-space", SPOOL, K::Size, "0", "refuse new mail (452 4.3.1) while the spool's file system has less free space than this; delivery goes on, intake resumes by itself (0: only when a write finds the disk full)").by("test:full_spool_refuses_intake_logs_it_and_resumes_by_itself").set(&[S::Spool(a::spool_min_free_space)]),
    not_yet("delete-file-holders", SPOOL, "legacy"),
    not_yet("await-slot", LISTENER, "wait for a slot"),
    not_yet("immediate-tls", LISTENER, "SMTPS"),
    not_yet("tls-certificate", LISTENER, "listener certificate"),
    not_yet("tls-ciphers", LISTENER, "listener ciphers"),
    not_yet("tls-ca-file", LISTENER, "listener CA bundle"),
    not_yet("enable-signals", GLOBAL | VMTA, "SparkPost Signals reporting"),
    not_yet("spool-delete-corrupted", GLOBAL, "delete corrupted spool files"),
    not_yet("spool-min-free-space", GLOBAL, "legacy spool free space (MB)"),
    not_yet("smtp-server-tls-ca-file", GLOBAL, "inbound TLS CA bundle"),
    not_yet("smtp-server-tls-allow-sslv3", GLOBAL, "inbound SSLv3"),
    imp("smtp-server-tls-v1.3-ciphersuites", GLOBAL, K::Text, "", "the TLS 1.3 suites inbound STARTTLS offers, OpenSSL's colon list of TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256 (default: all three); the CCM suites rustls lacks get a warning, other names are errors").by("test:the_cipher_directives_decide_the_negotiated_suite").set(&[S::Global(a::global_tls13_suites)]),
    not_yet("smtp-server-tls-dh-key-length", GLOBAL, "inbound DH key length"),
    not_yet("smtp-port", GLOBAL, "deprecated listener port"),
    not_yet("thread-min-priority", GLOBAL, "thread priorities"),
    not_yet("thread-max-priority", GLOBAL, "thread priorities"),
    not_yet("thread-reuse", GLOBAL, "thread reuse"),
    not_yet("mailmerge-expands-undefined-variables", GLOBAL, "XMRG"),
    not_yet("pmc-acct-min-free-space", GLOBAL, "PowerMTA Management Console"),
    not_yet("volume-audit-api-key", GLOBAL, "licence volume audit"),
    not_yet("pickup-retry-interval", GLOBAL, "pickup directory"),
    not_yet("pickup-remove-dot", GLOBAL, "pickup directory"),
    not_yet("dummy-smtp-await-slot", GLOBAL, "black-hole test listener"),
    not_yet("dummy-smtp-has-chunking", GLOBAL, "black-hole test listener"),
    not_yet("dummy-smtp-has-pipelining", GLOBAL, "black-hole test listener"),
    not_yet("dummy-smtp-has-verp", GLOBAL, "black-hole test listener"),
    not_yet("dummy-smtp-latency", GLOBAL, "black-hole test listener"),
    not_yet("dummy-smtp-update-stats", GLOBAL, "black-hole test listener"),
    not_yet("http-strict-transport-security-max-age", GLOBAL, "web monitor HSTS"),
    not_yet("no-http-mgmt-source", GLOBAL, "legacy web monitor source"),
    not_yet("http-tls-allow-sslv3", GLOBAL, "web monitor TLS"),
    not_yet("http-tls-allow-tlsv1", GLOBAL, "web monitor TLS"),
    not_yet("http-tls-allow-tlsv1.1", GLOBAL, "web monitor TLS"),
    not_yet("http-tls-dh-key-length", GLOBAL, "web monitor TLS"),
    not_yet("http-tls-ca-file", GLOBAL, "web monitor TLS"),
    not_yet("http-log-tls", GLOBAL, "web monitor logging"),
    not_yet("http-log-data", GLOBAL, "web monitor logging"),
    not_yet("http-log-requests", GLOBAL, "web monitor logging"),
    not_yet("broken-auth-clients", SOURCE, "deprecated AUTH workaround"),
    not_yet("trace-dkim-check", SOURCE, "DKIM tracing"),
    not_yet("trace-spf-check", SOURCE, "SPF tracing"),
    not_yet("check-spf-inbound-best-guess", SOURCE, "SPF best guess"),
    not_yet("check-spf-inbound-max-void-lookups", SOURCE, "SPF void lookups"),
    not_yet("trace-iprev-check", SOURCE, "reverse DNS tracing"),
    not_yet("smtp-tls-allow-sslv3", DOMAIN, "outbound SSLv3"),
    not_yet("http-webhook-extra-headers", ACCT, "accounting webhook"),
    not_yet("http-webhook-certificate", ACCT, "accounting webhook"),
    not_yet("http-webhook-ca-file", ACCT, "accounting webhook"),
    not_yet("http-webhook-max-interval", ACCT, "accounting webhook"),
    not_yet("http-webhook-transfer-encoding", ACCT, "accounting webhook"),
    not_yet("http-webhook-log-verbose", ACCT, "accounting webhook"),
    not_yet("http-webhook-connect-timeout", ACCT, "accounting webhook"),
    not_yet("http-webhook-io-timeout", ACCT, "accounting webhook"),
    not_yet("tls-allow-tlsv1.3", LISTENER, "listener TLS 1.3"),
    not_yet("tls-allow-tlsv1.2", LISTENER, "listener TLS 1.2"),
    not_yet("tls-allow-tlsv1.1", LISTENER, "listener TLS 1.1"),
    not_yet("tls-allow-tlsv1", LISTENER, "listener TLS 1.0"),
    not_yet("tls-allow-sslv3", LISTENER, "listener SSLv3"),
    not_yet("tls-tlsv1.3-ciphersuites", LISTENER, "listener TLS 1.3 suites"),
    not_yet("tls-dh-key-length", LISTENER, "listener DH key length"),
];

/// Blocks pmtad understands, with where each may stand.
#[rustfmt::skip]
pub static BLOCKS: &[(&str, Scopes, Scopes, &str)] = &[
    // (tag, its own scope bit, where it may stand, doc)
    ("domain", DOMAIN, GLOBAL | VMTA | POOL, "per recipient-domain (queue) policy: PATTERN is *, example.com, *.example.com or [*.]example.com"),
    ("virtual-mta", VMTA, GLOBAL, "a sending identity: source IPs, EHLO name, keys, nested <domain> blocks"),
    ("virtual-mta-pool", POOL, GLOBAL, "a round-robin group of virtual MTAs"),
    ("source", SOURCE, GLOBAL, "policy for feeders: CIDR (longest prefix wins, 0/0 is the default) or a NAME"),
    ("acct-file", ACCT, GLOBAL, "an accounting CSV file, or |COMMAND: a program that reads the records on its standard input"),
    ("smtp-pattern-list", PATTERNS, GLOBAL, "reply-text rules that change queue behaviour"),
    ("spool", SPOOL, GLOBAL, "a spool directory"),
    ("smtp-listener", LISTENER, GLOBAL, "an inbound listener IP:PORT with settings"),
    ("rewrite-list", REWRITE, GLOBAL, "envelope sender (mail-from) and From: header domain (from-domain) rewriting at intake, before spooling, for the sources, virtual MTAs and pools that name it (rewrite-list NAME); a message gets its source's list, then its virtual MTA's (or pool's)"),
    ("pattern-list", SELECT, GLOBAL, "virtual MTA selection at intake: rules tried top to bottom, the first match picks the virtual MTA (recipient-priority=, call-to: and nested lists are not supported)"),
    ("smtp-user", USER, GLOBAL, "a user that may log in with SMTP AUTH; its sessions take <source {auth}> (or its own source) on top of the client address's"),
    ("mx-rollup-list", MX_ROLLUP, GLOBAL, "MX rollup: mx lines naming the shared queue of domains hosted on the same MX hosts (a provider's limits hold across all its hosted domains); the membership is learnt from each domain's MX answer at delivery time and follows DNS changes"),
    ("bounce-processor", BOUNCE_PROC, GLOBAL, "asynchronous bounces: mail for its <address-list> (DSNs per RFC 3464, and the plain-text bounces of Gmail, Microsoft, qmail and others, recognised by patterns) is parsed, matched by its X-Pmtad-Ref stamp to the recipient, job and virtual MTA pmtad sent it for, and written as an rb accounting record (rs for a DSN's delayed, delivered, relayed or expanded recipients) (bounceCat from <bounce-category-patterns>); pmtad never answers a report with a DSN; see pmtactl show bounces"),
    ("feedback-loop-processor", FBL_PROC, GLOBAL, "complaints: mail for its <address-list> in ARF (RFC 5965, as Yahoo, AOL and Microsoft JMRP send it) is parsed, matched like bounces and written as an f accounting record; see pmtactl show feedback"),
    ("address-list", ADDR_LIST, BOUNCE_PROC | FBL_PROC, "the mailboxes of a processor: address, domain and address-file lines (a named top-level <address-list>, a suppression list, is not implemented yet and loads with a warning)"),
    ("source-group", SOURCE_GROUP, GLOBAL, "inbound connection limits shared by the sources that name the group (source-group NAME in <source>): max-smtp-in caps them together, reserved-smtp-in keeps slots of total-max-smtp-in for them; connections beyond a limit get 421 4.3.2 and are closed before any session starts"),
    ("bounce-category-patterns", BOUNCE_CATS, GLOBAL, "lines /REGEX/ CATEGORY giving the bounceCat of a failure: the regex runs case-insensitively over \"X.Y.Z;reply text\" (enhanced status, a semicolon, the reply), first match wins; these lines are tried before the shipped PowerMTA set (spam-related, bad-mailbox, quota-issues, policy-related, message-expired, ...), then 'other'; the category goes into the accounting bounceCat of b and t records, the DSN's X-PowerMTA-BounceCategory and domain detail's recent errors"),
];

/// Real PowerMTA blocks pmtad does not act on yet: loaded with a warning, contents skipped.
pub static NOT_YET_BLOCKS: &[&str] = &[
    "domain-key-list",
    "aliases",
    "dns",
    "proxy",
    "vault",
    "transmissions-api",
    "transmissions-api-listener",
    "signals",
    "email-patterns",
];

/// Finds the definition of `name` valid in `scope`; else any definition of that name.
pub fn lookup(name: &str, scope: Scopes) -> Option<(usize, &'static DirectiveDef)> {
    static BY_NAME: OnceLock<HashMap<&'static str, Vec<usize>>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (i, d) in DIRECTIVES.iter().enumerate() {
            map.entry(d.name).or_default().push(i);
        }
        map
    });
    let ids = by_name.get(name)?;
    let found = ids.iter().find(|&&i| DIRECTIVES[i].scopes & scope != 0);
    let i = *found.unwrap_or(&ids[0]);
    Some((i, &DIRECTIVES[i]))
}

/// The slot a directive's value lands in: aliases share their target's slot.
pub fn slot_of(index: usize) -> usize {
    match DIRECTIVES[index].status {
        Status::AliasOf(target) => DIRECTIVES
            .iter()
            .position(|d| d.name == target && d.status != Status::NotYet)
            .unwrap_or(index),
        _ => index,
    }
}

/// Every block where some row named `name` may stand (the rows of one name split by block
/// when the value differs, like `max-smtp-out`).
pub fn scopes_of(name: &str) -> Scopes {
    DIRECTIVES
        .iter()
        .filter(|d| d.name == name && d.status != Status::NotYet)
        .fold(0, |all, d| all | d.scopes)
}

/// "top level, <domain>" for a scope set.
pub fn scope_list(scopes: Scopes) -> String {
    SCOPE_NAMES
        .iter()
        .filter(|(bit, _)| scopes & bit != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest known directive or block name, when one is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // Names with control or non-ASCII characters are not typos of a directive name.
    if !name.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let len = name.len();
    candidates
        .filter_map(|c| {
            let limit = (c.len() / 4).max(2);
            // Cheap length check first: most candidates are far off and skip the distance.
            if len.abs_diff(c.len()) > limit {
                return None;
            }
            let dist = strsim::osa_distance(name, c);
            (dist <= limit).then_some((dist, c))
        })
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, c)| c)
}

/// Compile-time index of an implemented directive, so resolved slots are read without
/// string lookups (a missing name fails the build).
pub const fn idx(name: &str) -> usize {
    let mut i = 0;
    while i < DIRECTIVES.len() {
        let d = &DIRECTIVES[i];
        if matches!(d.status, Status::Implemented) && str_eq(d.name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no implemented directive of that name in the table");
}

/// Compile-time index of the implemented directive `name` valid in `scope` (for names with
/// one row per scope, such as `max-message-size`).
pub const fn idx_in(name: &str, scope: Scopes) -> usize {
    let mut i = 0;
    while i < DIRECTIVES.len() {
        let d = &DIRECTIVES[i];
        if matches!(d.status, Status::Implemented) && d.scopes & scope != 0 && str_eq(d.name, name)
        {
            return i;
        }
        i += 1;
    }
    panic!("no implemented directive of that name in that scope");
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_scope_and_aliases_resolve() {
        for (i, a) in DIRECTIVES.iter().enumerate() {
            for b in &DIRECTIVES[i + 1..] {
                assert!(
                    a.name != b.name || a.scopes & b.scopes == 0,
                    "duplicate {}",
                    a.name
                );
            }
            if let Status::AliasOf(target) = a.status {
                assert_ne!(slot_of(i), i, "alias {} has no target {target}", a.name);
            }
        }
    }

    #[test]
    fn suggestions() {
        let names = || DIRECTIVES.iter().map(|d| d.name);
        assert_eq!(suggest("max-smtp-outt", names()), Some("max-smtp-out"));
        assert_eq!(suggest("retry-afer", names()), Some("retry-after"));
        assert_eq!(suggest("completely-different", names()), None);
    }
}
