//! The provider-level directives: `<bounce-category-patterns>`, and (as they land) MX
//! rollup, warm-up and delay notices.

mod common;

use common::*;

#[test]
fn bounce_category_patterns_keep_case_spaces_and_order() {
    let cfg = load(
        "<bounce-category-patterns>\n  /junk mail\\S*/ Spam-Related\n  /over quota/ quota-issues # a comment\n</bounce-category-patterns>\n\
         <bounce-category-patterns>\n  /later/ custom\n</bounce-category-patterns>\n",
    )
    .config;
    let rules: Vec<(&str, &str)> = cfg
        .bounce_category_patterns
        .iter()
        .map(|r| (r.regex.as_str(), r.category.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("junk mail\\S*", "spam-related"),
            ("over quota", "quota-issues"),
            ("later", "custom")
        ]
    );
    assert_eq!(cfg.bounce_category_patterns[0].span.line, 2);
}

#[test]
fn bad_bounce_category_lines_are_errors_at_their_line() {
    assert_one_error(
        "<bounce-category-patterns>\n  /(/ x\n</bounce-category-patterns>\n",
        2,
        4,
        "bad regex",
    );
    assert_one_error(
        "<bounce-category-patterns>\n  spam spam-related\n</bounce-category-patterns>\n",
        2,
        3,
        "expected /REGEX/ CATEGORY",
    );
    assert_one_error(
        "<bounce-category-patterns>\n  /spam/\n</bounce-category-patterns>\n",
        2,
        9,
        "one category word",
    );
    assert_one_error(
        "<domain x.test>\n<bounce-category-patterns>\n</bounce-category-patterns>\n</domain>\n",
        2,
        1,
        "cannot stand in <domain>",
    );
}

#[test]
fn mx_rollup_lines_group_by_name_and_match_every_pattern() {
    let cfg = load(
        "<mx-rollup-list>\n  mx mx1.provider.test Provider.Rollup\n  mx *.pool.provider.test provider.rollup\n  \
         mx 192.0.2.0/24 byip.rollup rollup-by-ip\n</mx-rollup-list>\n",
    )
    .config;
    assert_eq!(cfg.mx_rollups.len(), 2);
    let p = &cfg.mx_rollups[0];
    assert_eq!(p.name, "provider.rollup");
    assert!(p.matches(&["mx1.provider.test", "a.pool.provider.test"], &[]));
    assert!(
        !p.matches(&["mx1.provider.test"], &[]),
        "every pattern must match"
    );
    let ip = &cfg.mx_rollups[1];
    assert!(ip.by_ip());
    assert!(ip.matches(&[], &["192.0.2.9".parse().unwrap()]));
    assert_eq!(
        cfg.mx_rollup_for(&["mx1.provider.test", "b.pool.provider.test"], &[])
            .map(|r| r.name.as_str()),
        Some("provider.rollup")
    );
}

#[test]
fn bad_mx_rollup_lines_are_errors_at_their_column() {
    assert_one_error(
        "<mx-rollup-list>\n  mx mx.test provider\n</mx-rollup-list>\n",
        2,
        14,
        "must end in .rollup",
    );
    assert_one_error(
        "<mx-rollup-list>\n  mx mx.test p.rollup by-magic\n</mx-rollup-list>\n",
        2,
        23,
        "only rollup-by-ip",
    );
    assert_one_error(
        "<mx-rollup-list>\n  mx not-an-ip p.rollup rollup-by-ip\n</mx-rollup-list>\n",
        2,
        6,
        "not an IP",
    );
}

#[test]
fn queue_to_disable_mx_rollup_and_warm_up_settings_resolve() {
    let cfg = load(
        "<virtual-mta cold>\n</virtual-mta>\n<virtual-mta warm>\n  cold-virtual-mta cold\n</virtual-mta>\n\
         <virtual-mta-pool pool>\n  virtual-mta other\n  cold-virtual-mta cold\n</virtual-mta-pool>\n\
         <virtual-mta other>\n</virtual-mta>\n\
         <domain a.test>\n  queue-to Merged.Queue\n  disable-mx-rollup yes\n  max-cold-virtual-mta-msg 10/day,20/day\n</domain>\n",
    )
    .config;
    let q = cfg.queue("a.test", "warm");
    assert_eq!(q.queue_to.as_deref(), Some("merged.queue"));
    assert!(q.disable_mx_rollup);
    assert_eq!(q.max_cold_virtual_mta_msg, [10, 20]);
    assert!(cfg.uses_queue_to());
    assert_eq!(cfg.cold_vmta_of("warm"), Some("cold"));
    assert_eq!(cfg.cold_vmta_of("other"), Some("cold"), "from its pool");
    assert_eq!(cfg.cold_vmta_of("cold"), None);
    assert_one_error(
        "<virtual-mta warm>\n  cold-virtual-mta nosuch\n</virtual-mta>\n",
        2,
        20,
        "'nosuch' is not defined",
    );
}

#[test]
fn the_shipped_provider_defaults_load_with_no_error_or_warning() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("provider-defaults.conf");
    let loaded = config::load(&path).unwrap_or_else(|d| panic!("{d}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let names: Vec<&str> = loaded
        .config
        .mx_rollups
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    for want in [
        "gmail.rollup",
        "outlook.rollup",
        "yahoo.rollup",
        "icloud.rollup",
        "gmx.rollup",
        "webde.rollup",
        "orange.rollup",
        "mailru.rollup",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let gmail = loaded
        .config
        .mx_rollup_for(&["gmail-smtp-in.l.google.com"], &[])
        .map(|r| r.name.clone());
    assert_eq!(gmail.as_deref(), Some("gmail.rollup"));
    assert_eq!(
        loaded
            .config
            .queue("yahoo.rollup", config::DEFAULT_VMTA)
            .max_smtp_out,
        5
    );
    // Included from an operator's file, whose later lines override it.
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("pmta.conf");
    std::fs::write(
        &main,
        format!(
            "include {}\n<domain yahoo.rollup>\n  max-smtp-out 9\n</domain>\n",
            path.display()
        ),
    )
    .unwrap();
    let loaded = config::load(&main).unwrap_or_else(|d| panic!("{d}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(
        loaded
            .config
            .queue("yahoo.rollup", config::DEFAULT_VMTA)
            .max_smtp_out,
        9
    );
}

#[test]
fn return_path_processors_resolve_their_address_lists_and_settings() {
    let cfg = load(
        "<bounce-processor>\n  deliver-unmatched-email no\n  forward-unmatched-to ops@sink.example\n\
         <address-list>\n    address Bounces@Mail.Example\n    address /^vb-.*@mail\\.example$/\n\
             domain bounce.example\n  </address-list>\n</bounce-processor>\n\
         <feedback-loop-processor>\n  deliver-matched-email yes\n  <address-list>\n\
             address fbl\n  </address-list>\n</feedback-loop-processor>\n",
    )
    .config;
    let b = cfg.bounce_processor.as_ref().unwrap();
    assert!(!b.deliver_unmatched && !b.deliver_matched);
    assert_eq!(b.forward_unmatched_to.as_deref(), Some("ops@sink.example"));
    for a in [
        "bounces@mail.example",
        "VB-7@mail.example",
        "x@bounce.example",
    ] {
        assert_eq!(
            cfg.processor_for(a).map(|p| p.kind),
            Some(config::ProcessorKind::Bounce),
            "{a}"
        );
    }
    assert_eq!(
        cfg.processor_for("fbl@any.example").map(|p| p.kind),
        Some(config::ProcessorKind::FeedbackLoop)
    );
    assert!(cfg.processor_for("someone@mail.example").is_none());
    let f = cfg.feedback_loop_processor.as_ref().unwrap();
    assert!(f.deliver_unmatched && f.deliver_matched);
}

#[test]
fn processor_mistakes_are_reported_and_top_level_address_lists_warn() {
    assert_one_error(
        "<bounce-processor>\n<address-list>\naddress /(/\n</address-list>\n</bounce-processor>\n",
        3,
        10,
        "bad regex",
    );
    let loaded = config::load_str(
        "<address-list suppressed>\naddress a@b.example\n</address-list>\n",
        "t.conf",
    )
    .unwrap();
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].to_string().contains("address-list"));
}

#[test]
fn address_file_lines_are_processor_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("bounce-addresses");
    std::fs::write(
        &list,
        "# mailboxes\nreturns@mail.example\n\n/^rp-.*@mail\\.example$/\n",
    )
    .unwrap();
    let conf = dir.path().join("pmta.conf");
    let text = "<bounce-processor>\n  <address-list>\n    address-file bounce-addresses\n  \
                </address-list>\n</bounce-processor>\n";
    std::fs::write(&conf, text).unwrap();
    let cfg = config::load(&conf).unwrap().config;
    for a in ["returns@mail.example", "rp-42@mail.example"] {
        assert_eq!(
            cfg.processor_for(a).map(|p| p.kind),
            Some(config::ProcessorKind::Bounce),
            "{a}"
        );
    }
    assert!(cfg.processor_for("other@mail.example").is_none());
}
