//! Every directive of the table: parses, resolves to its typed field, and a bad value is
//! reported at the right line and column.

mod common;

use common::*;
use config::{
    BounceUponNoMx, DEFAULT_VMTA, DIRECTIVES, Delivery, DkimAlgorithm, Host, Kind, PatternAction,
    RecordType, Status, TlsMode,
};
use std::net::IpAddr;
use std::time::Duration;

/// A valid value of each kind, and how `show settings` prints it.
fn good(kind: Kind) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        Kind::Bool => ("yes", "yes"),
        Kind::Count => ("7", "7"),
        Kind::Limit => ("7", "7"),
        Kind::Size => ("10M", "10M"),
        Kind::Duration => ("90", "1m30s"),
        Kind::DurationOrNever => ("2h", "2h"),
        Kind::DurationList => ("5m,1h", "5m,1h"),
        Kind::Rate => ("83/10m", "83/10m"),
        Kind::Text | Kind::VmtaName => ("some-name", "some-name"),
        Kind::Path => ("/var/x.csv", "/var/x.csv"),
        Kind::Hosts => ("a.example:2525; [192.0.2.1]", "a.example:2525; [192.0.2.1]"),
        Kind::Ip => ("192.0.2.7", "192.0.2.7"),
        Kind::Port => ("587", "587"),
        Kind::Tls => ("required", "required"),
        Kind::DeliveryType => ("discard", "discard"),
        Kind::Local => ("no", "smtp"),
        Kind::BounceNoMx => ("yes", "yes"),
        Kind::Priority => ("80", "80"),
        Kind::DkimAlgorithm => ("ed25519-sha256", "ed25519-sha256"),
        Kind::SourceIpLimit => ("10/8 3", "10.0.0.0/8 3"),
        Kind::Words => ("X-A, X-B", "X-A,X-B"),
        Kind::DailyLimits => ("3/day, 5/day", "3/day,5/day"),
        _ => return None,
    })
}

/// An invalid value of each kind (its error is at the value's first column).
fn bad(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Bool | Kind::Tls | Kind::Local | Kind::BounceNoMx => "maybe",
        Kind::Count | Kind::Limit => "many",
        Kind::Size => "big",
        Kind::Duration | Kind::DurationOrNever | Kind::DurationList => "soon",
        Kind::Rate => "fast",
        Kind::Hosts => "bad!host",
        Kind::Ip => "1.2.3",
        Kind::Port => "0",
        Kind::DeliveryType => "fax",
        Kind::Priority => "101",
        Kind::DkimAlgorithm => "md5",
        Kind::SourceIpLimit => "nonsense 5",
        Kind::DailyLimits => "lots",
        _ => return None,
    })
}

/// The settings row a domain directive lands in.
fn shown_as(name: &str) -> &str {
    match name {
        "use-starttls" | "require-starttls" => "tls",
        _ => DIRECTIVES
            .iter()
            .find(|d| d.name == name && d.scopes & config_domain_scope() != 0)
            .and_then(|d| match d.status {
                Status::AliasOf(t) => Some(t),
                _ => None,
            })
            .unwrap_or(name),
    }
}

fn config_domain_scope() -> u32 {
    DIRECTIVES
        .iter()
        .find(|d| d.name == "retry-after")
        .unwrap()
        .scopes
}

fn domain_directives() -> impl Iterator<Item = &'static config::DirectiveDef> {
    let scope = config_domain_scope();
    DIRECTIVES
        .iter()
        .filter(move |d| d.scopes & scope != 0 && d.status != Status::NotYet)
}

#[test]
fn every_domain_directive_parses_and_shows_with_its_line() {
    for def in domain_directives() {
        let Some((value, shown)) = good(def.kind) else {
            panic!("no sample for {:?}", def.kind)
        };
        let name = def.name.to_uppercase();
        let text = format!(
            "# {}\n<domain example.org>\n  {name} {value}\n</domain>\n\
             <smtp-pattern-list some-name>\n</smtp-pattern-list>\n",
            def.name
        );
        let cfg = load(&text).config;
        let s = cfg.settings("example.org", DEFAULT_VMTA);
        let row = setting(&s, shown_as(def.name));
        let expected = match def.name {
            "use-starttls" => "optional",
            "require-starttls" => "required",
            _ => shown,
        };
        assert_eq!(row.value, expected, "{}", def.name);
        assert_eq!(line(row), Some(3), "{}", def.name);
        // Other domains keep the default.
        let other = cfg.settings("example.net", DEFAULT_VMTA);
        assert_eq!(
            line(setting(&other, shown_as(def.name))),
            None,
            "{}",
            def.name
        );
    }
}

#[test]
fn every_bad_domain_value_is_reported_at_its_column() {
    for def in domain_directives() {
        let Some(value) = bad(def.kind) else { continue };
        let text = format!(
            "<domain example.org>\n    {} {value}\n</domain>\n",
            def.name
        );
        let col = 5 + def.name.chars().count() as u32 + 1;
        assert_one_error(&text, 2, col, def.name);
    }
}

#[test]
fn every_bad_source_value_is_reported_at_its_column() {
    let scope = DIRECTIVES
        .iter()
        .find(|d| d.name == "smtp-service")
        .unwrap()
        .scopes;
    for def in DIRECTIVES
        .iter()
        .filter(|d| d.scopes & scope != 0 && d.status != Status::NotYet)
    {
        let Some(value) = bad(def.kind) else { continue };
        let text = format!("<source 10/8>\n{} {value}\n</source>\n", def.name);
        assert_one_error(&text, 2, def.name.len() as u32 + 2, def.name);
    }
}

#[test]
fn domain_directives_resolve_to_typed_fields() {
    let cfg = load(
        "<smtp-pattern-list errs>\nreply /try later/ mode=backoff\n</smtp-pattern-list>\n\
         <domain a.example>\n\
         max-smtp-out 3\nmax-smtp-out-per-ip 2\nsource-ip-max-smtp-out 192.0.2.0/24 4\n\
         smtp-pipeline-depth 8\ndelivery-interval 1m\nsmtp-port 2525\n\
         route relay.example, [192.0.2.9]:26; lookup-mx:b.example\nresolve-to 127.0.0.5\n\
         max-message-size 1M\nrequire-rdns yes\ndkim-sign yes\ndkim-identity @a.example\n\
         dkim-headers List-Unsubscribe\ndkim-algorithm ed25519-sha256\ntls required\n\
         log-entries yes\naccounting-log /tmp/a.csv\nretry-after 1m,5m\nbounce-after 2d\n\
         max-msg-per-connection 50\nmax-msg-rate 500/h\nmax-connect-rate 10/m\n\
         max-rcpt-per-transaction 100\nconnect-timeout 30s\nsmtp-greeting-timeout 1m\n\
         data-send-timeout 2m\nqueue-priority 90\nbounce-upon-no-mx 1h\nsmtp-pattern-list errs\n\
         backoff-max-smtp-out 1\nbackoff-max-msg-rate 10/h\nbackoff-retry-after 30m\n\
         backoff-to-normal-after 2h\nlog-connections yes\nlog-commands yes\nlog-data yes\n\
         </domain>\n",
    )
    .config;
    let q = cfg.queue("a.example", DEFAULT_VMTA);
    let secs = Duration::from_secs;
    assert_eq!((q.max_smtp_out, q.max_smtp_out_per_ip), (3, Some(2)));
    assert_eq!(
        q.source_ip_max_smtp_out,
        Some(("192.0.2.0/24".parse().unwrap(), 4))
    );
    assert_eq!(
        (q.smtp_pipeline_depth, q.delivery_interval, q.smtp_port),
        (8, secs(60), 2525)
    );
    let route = q.route.as_ref().unwrap();
    assert_eq!(route.len(), 2);
    assert_eq!(route[0][0].host, Host::Name("relay.example".into()));
    assert_eq!(route[0][1].host, Host::Ip("192.0.2.9".parse().unwrap()));
    assert_eq!(route[0][1].port, Some(26));
    assert_eq!(route[1][0].host, Host::LookupMx("b.example".into()));
    assert_eq!(q.resolve_to, Some("127.0.0.5".parse::<IpAddr>().unwrap()));
    assert_eq!(
        (q.max_message_size, q.require_rdns, q.dkim_sign),
        (Some(1 << 20), true, true)
    );
    assert_eq!(q.dkim_identity, "@a.example");
    assert_eq!(q.dkim_headers, vec!["List-Unsubscribe".to_string()]);
    assert_eq!(
        (q.dkim_algorithm, q.tls),
        (DkimAlgorithm::Ed25519Sha256, TlsMode::Required)
    );
    assert!(q.log_entries);
    assert_eq!(
        q.accounting_log.as_deref(),
        Some(std::path::Path::new("/tmp/a.csv"))
    );
    assert_eq!(
        (q.retry_after.clone(), q.bounce_after),
        (vec![secs(60), secs(300)], secs(172_800))
    );
    assert_eq!(q.retry_interval(5, false), secs(300));
    assert_eq!(q.max_msg_per_connection, Some(50));
    assert_eq!(q.max_msg_rate.unwrap().count, 500);
    assert_eq!(q.max_connect_rate.unwrap().per, secs(60));
    assert_eq!(q.max_rcpt_per_transaction, 100);
    assert_eq!(
        (
            q.connect_timeout,
            q.smtp_greeting_timeout,
            q.data_send_timeout
        ),
        (secs(30), secs(60), secs(120))
    );
    assert_eq!(
        (q.queue_priority, q.bounce_upon_no_mx),
        (90, BounceUponNoMx::After(secs(3600)))
    );
    assert_eq!(q.smtp_pattern_list.as_deref(), Some("errs"));
    assert_eq!(q.backoff_max_smtp_out, 1);
    assert_eq!(q.backoff_max_msg_rate.unwrap().count, 10);
    assert_eq!(
        q.backoff_max_connect_rate, q.max_connect_rate,
        "backoff rate defaults to the normal one"
    );
    assert_eq!(
        (q.backoff_retry_after.clone(), q.backoff_to_normal_after),
        (vec![secs(1800)], Some(secs(7200)))
    );
    assert!(q.log_connections && q.log_commands && q.log_data);
    let rule = cfg
        .smtp_pattern_list("errs")
        .unwrap()
        .matching("421 Try LATER please")
        .unwrap();
    assert_eq!(rule.actions, vec![PatternAction::ModeBackoff]);
}

#[test]
fn defaults_follow_the_spec() {
    let q = load("").config.queue("any.example", DEFAULT_VMTA);
    let secs = Duration::from_secs;
    assert_eq!(
        (q.max_smtp_out, q.max_smtp_out_per_ip, q.smtp_pipeline_depth),
        (20, None, 0)
    );
    assert_eq!(
        (q.delivery_interval, q.smtp_port, q.route.clone()),
        (secs(0), 25, None)
    );
    assert_eq!(
        (q.max_message_size, q.require_rdns, q.dkim_sign, q.tls),
        (None, false, false, TlsMode::Optional)
    );
    assert_eq!((q.delivery.clone(), q.log_entries), (Delivery::Smtp, false));
    assert_eq!(
        (q.retry_after.clone(), q.bounce_after),
        (vec![secs(600)], secs(4 * 86_400 + 12 * 3600))
    );
    assert_eq!(
        (
            q.max_msg_per_connection,
            q.max_msg_rate,
            q.max_rcpt_per_transaction
        ),
        (None, None, 1000)
    );
    assert_eq!(
        (
            q.connect_timeout,
            q.smtp_greeting_timeout,
            q.data_send_timeout
        ),
        (secs(120), secs(300), secs(180))
    );
    assert_eq!(
        (
            q.queue_priority,
            q.bounce_upon_no_mx,
            q.backoff_to_normal_after
        ),
        (50, BounceUponNoMx::No, None)
    );
    assert!(!q.pipelining());
}

#[test]
fn powermta_names_map_onto_the_same_fields() {
    let cfg = load(
        "<domain a.example>\nsmtp-hosts [127.0.0.1]:2525\ndefault-smtp-port 587\nuse-starttls no\n\
         max-rcpt-per-message 5\ndelivery-priority 70\nignore-pipelining yes\nsmtp-pipeline-depth 9\n</domain>\n\
         <domain b.example>\ntype pipe\ncommand \"/usr/bin/deliver $user\"\nrequire-starttls yes\n</domain>\n\
         <domain c.example>\nlocal yes\nmailbox-command /bin/cat -u\n</domain>\n\
         <domain d.example>\ntype discard\n</domain>\n",
    )
    .config;
    let a = cfg.queue("a.example", DEFAULT_VMTA);
    assert_eq!(a.route.unwrap()[0][0].port, Some(2525));
    assert_eq!(
        (
            a.smtp_port,
            a.tls,
            a.max_rcpt_per_transaction,
            a.queue_priority
        ),
        (587, TlsMode::No, 5, 70)
    );
    assert_eq!(
        a.smtp_pipeline_depth, 0,
        "ignore-pipelining wins over a depth"
    );
    let b = cfg.queue("b.example", DEFAULT_VMTA);
    assert_eq!(
        b.delivery,
        Delivery::Local {
            argv: vec!["/usr/bin/deliver".into(), "$user".into()]
        }
    );
    assert_eq!(b.tls, TlsMode::Required);
    let c = cfg.queue("c.example", DEFAULT_VMTA);
    assert_eq!(
        c.delivery,
        Delivery::Local {
            argv: vec!["/bin/cat".into(), "-u".into()]
        }
    );
    assert_eq!(
        cfg.queue("d.example", DEFAULT_VMTA).delivery,
        Delivery::Discard
    );
    assert!(cfg.is_local_domain("d.example"));
}

#[test]
fn source_directives_resolve() {
    let cfg = load(
        "<source 0/0>\nsmtp-service no\nlog-connections yes\n</source>\n\
         <source 10/8>\nsmtp-service yes\nalways-allow-relaying yes\nmax-message-size 5M\n\
         default-virtual-mta v1\nprocess-x-virtual-mta yes\nadd-received-header no\n\
         hide-message-source yes\nlog-commands yes\nlog-data yes\n</source>\n\
         <source 10.1.0.0/16>\ncheck-iprev-inbound yes\nreject-iprev-check-fail yes\n</source>\n\
         <source feeders>\nrequire-rdns yes\n</source>\n\
         <virtual-mta v1>\n</virtual-mta>\n",
    )
    .config;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let outside = cfg.source(ip("192.0.2.1"));
    assert!(!outside.smtp_service && outside.log_connections && !outside.always_allow_relaying);
    let ten = cfg.source(ip("10.9.9.9"));
    assert!(ten.smtp_service && ten.always_allow_relaying && ten.process_x_virtual_mta);
    assert!(ten.log_connections, "inherited from 0/0");
    assert_eq!(
        (ten.max_message_size, ten.default_virtual_mta.as_deref()),
        (Some(5 << 20), Some("v1"))
    );
    assert!(
        !ten.add_received_header && ten.hide_message_source && ten.log_commands && ten.log_data
    );
    assert!(!ten.require_rdns);
    let deeper = cfg.source(ip("10.1.2.3"));
    assert!(
        deeper.require_rdns && deeper.always_allow_relaying,
        "iprev pair = require-rdns; 10/8 inherited"
    );
    assert!(
        cfg.source_named(ip("192.0.2.1"), Some("feeders"))
            .require_rdns
    );
    let v6 = cfg.source(ip("::1"));
    assert!(
        v6.smtp_service,
        "0/0 is IPv4; IPv6 clients get the defaults"
    );
}

#[test]
fn global_directives_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let key = common::data("ed25519.pem");
    let text = format!(
        "host-name MX.Example\nsmtp-listener 0/0:25\nsmtp-listener [::1]:2526 source=feeders\n\
         <smtp-listener 127.0.0.2:2527>\nsource feeders\n</smtp-listener>\n\
         spool spool-a\n<spool /var/spool/b>\n</spool>\ncontrol-socket ctl.sock\n\
         name-server 127.0.0.1:5353, ::1\nlog-file log/pmtad.log\nlog-domain log/%d.log\n\
         postmaster ops@example.test\nrelay-domain a.example, [*.]b.example\nrelay-domain c.example\n\
         total-max-smtp-in 7\ntotal-max-smtp-out 9\ndomain-key s1, example.test, {}\n\
         smtp-source-host 192.0.2.5 out.example.test\n<source feeders>\n</source>\n",
        key.display()
    );
    let name = dir.path().join("main.conf");
    let cfg = config::load_str(&text, name.to_str().unwrap())
        .unwrap()
        .config;
    assert_eq!(cfg.host_name.as_deref(), Some("MX.Example"));
    let l: Vec<String> = cfg
        .smtp_listeners
        .iter()
        .map(|l| l.bind_addr().to_string())
        .collect();
    assert_eq!(l, ["0.0.0.0:25", "[::1]:2526", "127.0.0.2:2527"]);
    assert_eq!(cfg.smtp_listeners[1].source.as_deref(), Some("feeders"));
    assert_eq!(cfg.smtp_listeners[2].source.as_deref(), Some("feeders"));
    assert_eq!(
        cfg.spool_dirs,
        [dir.path().join("spool-a"), "/var/spool/b".into()]
    );
    assert_eq!(cfg.control_socket, dir.path().join("ctl.sock"));
    let ns: Vec<String> = cfg.name_servers.iter().map(ToString::to_string).collect();
    assert_eq!(ns, ["127.0.0.1:5353", "[::1]:53"]);
    assert_eq!(cfg.log_file, dir.path().join("log/pmtad.log"));
    assert_eq!(
        cfg.domain_log_path("X.com").unwrap(),
        dir.path().join("log/x.com.log")
    );
    assert_eq!(cfg.postmaster.as_deref(), Some("ops@example.test"));
    assert!(cfg.relays("a.example") && cfg.relays("x.b.example") && cfg.relays("c.example"));
    assert!(cfg.relays("mx.example") && !cfg.relays("d.example"));
    assert_eq!((cfg.total_max_smtp_in, cfg.total_max_smtp_out), (7, 9));
    assert_eq!(
        cfg.dkim_key(DEFAULT_VMTA, "mail.example.test")
            .unwrap()
            .selector,
        "s1"
    );
    assert_eq!(
        cfg.source_hosts[0].host_name.as_deref(),
        Some("out.example.test")
    );
    let empty = load("").config;
    assert_eq!(
        empty.smtp_listeners[0].bind_addr().to_string(),
        "0.0.0.0:25"
    );
    assert_eq!(
        empty.control_socket,
        std::path::Path::new("/run/pmtad/control.sock")
    );
    assert!(empty.name_servers.is_empty());
}

#[test]
fn virtual_mtas_pools_acct_files_and_patterns() {
    let rsa = common::data("rsa-pkcs1.pem");
    let cfg = load(&format!(
        "<virtual-mta v1>\nsmtp-source-host 192.0.2.1 v1.example\nbind-to-source-ip 192.0.2.2\n\
         host-name v1-default.example\nmax-smtp-out 40\ndomain-key k1, example.org, {}\n</virtual-mta>\n\
         <virtual-mta v2>\n</virtual-mta>\n\
         <virtual-mta-pool p>\nvirtual-mta v1\nvirtual-mta v2\nmax-smtp-out 60\n</virtual-mta-pool>\n\
         <acct-file /var/log/acct.csv>\nrecords d, b, transient, tq\nrecord-fields d *,!orcpt,header_Message-Id\n\
         max-size 1G\nmove-interval 5m\nmove-to /var/log/old\ndelete-after never\n</acct-file>\n\
         <smtp-pattern-list p1>\nreply /^421 .* too many/ mode=backoff,backoff-to-normal-after=10m\n\
         reply /(?-i)Quota/ bounce-rcpt\nreply /x/ skip-mx, defer-queue, bounce-queue, disable-source-ip, reenable-after=1h, mode=normal\n\
         </smtp-pattern-list>\n",
        rsa.display()
    ))
    .config;
    let v1 = cfg.vmta("v1").unwrap();
    assert_eq!(v1.source_hosts.len(), 2);
    assert_eq!(v1.max_smtp_out, Some(40));
    let hosts = cfg.source_hosts_of("v1");
    assert_eq!(cfg.ehlo_name("v1", Some(&hosts[0])), Some("v1.example"));
    assert_eq!(
        cfg.ehlo_name("v1", Some(&hosts[1])),
        Some("v1-default.example")
    );
    assert_eq!(cfg.dkim_key("v1", "example.org").unwrap().selector, "k1");
    assert!(cfg.dkim_key("v2", "example.org").is_none());
    let pool = cfg.pool("p").unwrap();
    assert_eq!(
        (pool.members.clone(), pool.max_smtp_out),
        (vec!["v1".to_string(), "v2".to_string()], Some(60))
    );
    assert!(
        cfg.vmta_exists("p")
            && cfg.vmta_exists("v2")
            && cfg.vmta_exists(DEFAULT_VMTA)
            && !cfg.vmta_exists("v3")
    );
    let acct = &cfg.acct_files[0];
    assert_eq!(
        acct.records,
        [
            RecordType::Delivery,
            RecordType::Bounce,
            RecordType::Transient,
            RecordType::TransientQueue
        ]
    );
    assert_eq!(
        acct.record_fields[0].fields,
        ["*", "!orcpt", "header_Message-Id"]
    );
    assert_eq!(
        (acct.max_size, acct.move_interval, acct.delete_after),
        (Some(1 << 30), Duration::from_secs(300), None)
    );
    assert_eq!(
        acct.move_to.as_deref(),
        Some(std::path::Path::new("/var/log/old"))
    );
    let list = cfg.smtp_pattern_list("p1").unwrap();
    let r = list.matching("421 4.7.0 TOO MANY connections").unwrap();
    assert_eq!(
        r.actions,
        [
            PatternAction::ModeBackoff,
            PatternAction::BackoffToNormalAfter(Duration::from_secs(600))
        ]
    );
    assert!(
        list.matching("552 quota").is_none(),
        "(?-i) makes it case-sensitive"
    );
    assert_eq!(list.rules[2].actions.len(), 6);
}

#[test]
fn domain_macros_expand_and_lose_to_explicit_patterns() {
    let cfg = load(
        "<domain yahoo.$tld>\nmax-smtp-out 3\nretry-after 1m\n</domain>\n<domain yahoo.de>\nmax-smtp-out 4\n</domain>\n\
         <domain yahoo.$com>\nmax-smtp-out 5\n</domain>\n\
         domain-macro tld $com, co.uk\ndomain-macro com com, de\n",
    )
    .config;
    let q = |d: &str| {
        let p = cfg.queue(d, DEFAULT_VMTA);
        (p.max_smtp_out, p.retry_after[0].as_secs())
    };
    assert_eq!(q("yahoo.co.uk"), (3, 60));
    assert_eq!(
        q("yahoo.de"),
        (4, 60),
        "explicit beats both macro blocks; retry-after still merged"
    );
    assert_eq!(
        q("yahoo.com"),
        (5, 60),
        "later macro block wins among macro blocks"
    );
    assert_eq!(q("yahoo.fr"), (20, 600));
    assert_one_error(
        "<domain a.$nope>\n</domain>\n",
        1,
        9,
        "unknown domain macro $nope",
    );
    assert_one_error("domain-macro bad-name x\n", 1, 14, "not a macro name");
}

#[test]
fn source_host_cidrs_expand_to_their_addresses() {
    let cfg =
        load("<virtual-mta v>\nsmtp-source-host 192.0.2.0/30 out.example\n</virtual-mta>\n").config;
    let ips: Vec<String> = cfg
        .vmta("v")
        .unwrap()
        .source_hosts
        .iter()
        .map(|h| h.ip.to_string())
        .collect();
    assert_eq!(ips, ["192.0.2.1", "192.0.2.2"]);
    assert_one_error("smtp-source-host 10/8 x.example\n", 1, 18, "too large");
}

#[test]
fn bad_values_outside_domain_and_source_blocks_point_at_the_fault() {
    let cases: [(&str, u32, u32, &str); 22] = [
        (
            "total-max-smtp-in many\n",
            1,
            19,
            "not a non-negative whole number",
        ),
        ("total-max-smtp-out -1\n", 1, 20, "total-max-smtp-out"),
        ("smtp-listener 0/0:http\n", 1, 19, "not a TCP port"),
        ("smtp-listener 0/0:25 sauce=x\n", 1, 22, "only source=NAME"),
        ("name-server 1.2.3.4, x\n", 1, 22, "not an IP address"),
        ("relay-domain a.com, b c\n", 1, 21, "not a domain pattern"),
        (
            "smtp-source-host 999.1.1.1 x.example\n",
            1,
            18,
            "not an IP address",
        ),
        (
            "smtp-source-host 192.0.2.1 bad!name\n",
            1,
            28,
            "not a host name",
        ),
        ("spool\n", 1, 6, "a value is missing"),
        (
            "<virtual-mta v>\nbind-to-source-ip nope\n</virtual-mta>\n",
            2,
            19,
            "not an IP address",
        ),
        (
            "<virtual-mta v>\nmax-smtp-out x\n</virtual-mta>\n",
            2,
            14,
            "max-smtp-out",
        ),
        (
            "<virtual-mta v>\nalways-allow-relaying yes\n</virtual-mta>\n",
            2,
            1,
            "has no meaning in <virtual-mta>",
        ),
        (
            "<virtual-mta-pool p>\nmax-smtp-out x\n</virtual-mta-pool>\n",
            2,
            14,
            "max-smtp-out",
        ),
        (
            "<acct-file a.csv>\nrecords d, x\n</acct-file>\n",
            2,
            12,
            "not a record type",
        ),
        (
            "<acct-file a.csv>\nmax-size huge\n</acct-file>\n",
            2,
            10,
            "not a size",
        ),
        (
            "<acct-file a.csv>\nmove-interval soon\n</acct-file>\n",
            2,
            15,
            "not a duration",
        ),
        (
            "<acct-file a.csv>\nrecord-fields z *\n</acct-file>\n",
            2,
            15,
            "not a record type",
        ),
        ("<acct-file>\n</acct-file>\n", 1, 11, "needs a file path"),
        (
            "<smtp-pattern-list p>\nreply /(/ mode=backoff\n</smtp-pattern-list>\n",
            2,
            8,
            "bad regex",
        ),
        (
            "<smtp-pattern-list p>\nreply /x/ mode=fast\n</smtp-pattern-list>\n",
            2,
            11,
            "unknown action 'mode=fast'",
        ),
        (
            "<smtp-pattern-list p>\nreply x mode=backoff\n</smtp-pattern-list>\n",
            2,
            7,
            "expected /REGEX/",
        ),
        (
            "<smtp-listener 1.2.3.4>\n</smtp-listener>\n",
            1,
            16,
            "needs a port",
        ),
    ];
    for (text, line, col, part) in cases {
        assert_one_error(text, line, col, part);
    }
}
