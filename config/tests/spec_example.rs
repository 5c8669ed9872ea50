//! The example config of spec.md §1 (examples/pmta.conf) loads and resolves as documented.

use config::{Delivery, EffectiveSetting, Origin, TlsMode};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pmta.conf")
}

fn line_of(text: &str, needle: &str) -> u32 {
    let idx = text.lines().position(|l| l.contains(needle)).expect(needle);
    u32::try_from(idx + 1).unwrap()
}

fn setting<'a>(settings: &'a [EffectiveSetting], name: &str) -> &'a EffectiveSetting {
    settings.iter().find(|s| s.name == name).expect(name)
}

fn from_line(s: &EffectiveSetting, line: u32) -> bool {
    matches!(&s.origin, Origin::File { line: l, .. } if *l == line)
}

#[test]
fn yahoo_settings_show_values_and_lines() {
    let path = example();
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = config::load(&path).unwrap_or_else(|d| panic!("{d}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let s = loaded.config.settings("yahoo.com", config::DEFAULT_VMTA);
    for (name, value, needle) in [
        ("max-smtp-out", "2", "max-smtp-out 2 "),
        ("max-smtp-out-per-ip", "1", "max-smtp-out-per-ip 1"),
        ("smtp-pipeline-depth", "5", "smtp-pipeline-depth 5"),
        ("delivery-interval", "10s", "delivery-interval 10"),
    ] {
        let got = setting(&s, name);
        assert_eq!(got.value, value, "{name}");
        assert!(
            from_line(got, line_of(&text, needle)),
            "{name}: {:?}",
            got.origin
        );
    }
    assert_eq!(setting(&s, "smtp-port").origin, Origin::Default);
    let q = loaded.config.queue("Yahoo.COM", config::DEFAULT_VMTA);
    assert_eq!((q.max_smtp_out, q.max_smtp_out_per_ip), (2, Some(1)));
    assert_eq!(q.delivery_interval, Duration::from_secs(10));
    assert!(q.pipelining());
}

#[test]
fn gmail_in_domain_specific_uses_the_route() {
    let path = example();
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = config::load(&path).unwrap().config;
    let s = cfg.settings("gmail.com", "domain-specific");
    let route = setting(&s, "route");
    assert_eq!(route.value, "alt4.gmail-smtp-in.l.google.com:25");
    assert!(from_line(route, line_of(&text, "route alt4")));
    assert_eq!(setting(&s, "max-smtp-out").value, "20");
    // The same domain outside the virtual MTA keeps the defaults.
    let plain = cfg.queue("gmail.com", config::DEFAULT_VMTA);
    assert_eq!((plain.max_smtp_out, plain.route), (20, None));
    assert_eq!(cfg.queue("example.com", "domain-specific").max_smtp_out, 10);
    assert!(cfg.queue("example.com", "domain-specific").log_entries);
}

#[test]
fn local_domain_globals_and_sources() {
    let cfg = config::load(&example()).unwrap().config;
    let local = cfg.queue("mylocal.com", config::DEFAULT_VMTA);
    assert_eq!(
        local.delivery,
        Delivery::Local {
            argv: vec!["/usr/bin/procmail".into()]
        }
    );
    assert!(cfg.is_local_domain("mylocal.com") && !cfg.is_local_domain("yahoo.com"));
    assert!(cfg.relays("mylocal.com") && !cfg.relays("yahoo.com"));
    assert_eq!(
        cfg.queue("yahoo.com", config::DEFAULT_VMTA).tls,
        TlsMode::Optional
    );
    assert_eq!(
        cfg.smtp_listeners[0].bind_addr().to_string(),
        "127.0.0.1:2525"
    );
    let dir = example().parent().unwrap().to_path_buf();
    assert_eq!(cfg.spool_dir(), dir.join("var/spool"));
    assert_eq!(
        cfg.domain_log_path("Yahoo.com").unwrap(),
        dir.join("var/log/domains/yahoo.com.log")
    );
    assert_eq!(
        cfg.domain_accounting_logs(),
        [dir.join("var/log/acct-example.csv")]
    );
    let vmta = cfg.vmta("domain-specific").unwrap();
    assert_eq!(vmta.source_hosts[0].ip.to_string(), "192.168.1.100");
    let feeder = cfg.source("127.0.0.1".parse().unwrap());
    assert!(feeder.always_allow_relaying && feeder.process_x_virtual_mta);
    assert_eq!(feeder.max_message_size, Some(25 << 20));
    let other = cfg.source("192.0.2.1".parse().unwrap());
    assert!(!other.always_allow_relaying && other.add_received_header && other.smtp_service);
}
