//! `<source-group>`: inbound connection limits shared by the sources that name the group.

mod common;

use common::*;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_source_names_its_group_and_the_longest_prefix_wins() {
    let cfg = load(
        "total-max-smtp-in 50\n\
         <source-group bulk>\n  max-smtp-in 20\n  reserved-smtp-in 5\n</source-group>\n\
         <source-group vip>\n  reserved-smtp-in 10\n</source-group>\n\
         <source 10.0.0.0/8>\n  source-group bulk\n</source>\n\
         <source 10.1.0.0/16>\n  always-allow-relaying yes\n</source>\n\
         <source 10.2.0.0/16>\n  source-group vip\n</source>\n\
         <source feed>\n  source-group vip\n</source>\n",
    )
    .config;
    let bulk = &cfg.source_groups["bulk"];
    assert_eq!((bulk.max_smtp_in, bulk.reserved_smtp_in), (Some(20), 5));
    assert_eq!(cfg.source_groups["vip"].max_smtp_in, None);
    let group =
        |a: &str, named: Option<&str>| cfg.source_group_of(ip(a), named).map(|g| g.name.clone());
    assert_eq!(
        group("10.1.2.3", None).as_deref(),
        Some("bulk"),
        "inherited from 10/8"
    );
    assert_eq!(group("10.2.2.3", None).as_deref(), Some("vip"));
    assert_eq!(group("192.0.2.1", None), None);
    assert_eq!(
        group("10.1.2.3", Some("feed")).as_deref(),
        Some("vip"),
        "named last"
    );
    let policy = cfg.source_named(ip("10.2.0.1"), None);
    assert_eq!(policy.source_group.as_deref(), Some("vip"));
}

#[test]
fn limits_that_cannot_hold_are_errors() {
    assert_one_error(
        "<source-group g>\n  max-smtp-in 2\n  reserved-smtp-in 3\n</source-group>\n",
        1,
        1,
        "reserves 3 connections but allows at most 2",
    );
    assert_one_error(
        "total-max-smtp-in 10\n<source-group a>\n  reserved-smtp-in 6\n</source-group>\n\
         <source-group b>\n  reserved-smtp-in 6\n</source-group>\n",
        5,
        1,
        "reserve 12 inbound connections",
    );
    assert_one_error(
        "<source 0/0>\n  source-group nobody\n</source>\n",
        2,
        3,
        "<source-group> 'nobody' is not defined",
    );
}
