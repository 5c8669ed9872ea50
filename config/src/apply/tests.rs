//! The setters and the table agree: every block row has one, and each takes the value
//! its row's kind parses.

use super::Setter;
use crate::table::{
    ACCT, ADDR_LIST, BOUNCE_PROC, DIRECTIVES, DirectiveDef, FBL_PROC, GLOBAL, Kind, POOL, REWRITE,
    SOURCE_GROUP, SPOOL, Scopes, Status, USER, VMTA,
};

/// The block bits whose rows are applied by setters, and the setter each needs.
const BLOCKS: [(Scopes, &str); 10] = [
    (ADDR_LIST, "address-list"),
    (REWRITE, "rewrite-list"),
    (GLOBAL, "top level"),
    (VMTA, "virtual-mta"),
    (POOL, "virtual-mta-pool"),
    (ACCT, "acct-file"),
    (BOUNCE_PROC | FBL_PROC, "processor"),
    (USER, "smtp-user"),
    (SPOOL, "spool"),
    (SOURCE_GROUP, "source-group"),
];

fn block_of(s: &Setter) -> &'static str {
    let name = format!("{s:?}");
    BLOCKS
        .iter()
        .map(|(_, b)| *b)
        .find(|b| name == format!("Setter({b})"))
        .unwrap()
}

fn implemented() -> impl Iterator<Item = &'static DirectiveDef> {
    DIRECTIVES
        .iter()
        .filter(|d| d.status == Status::Implemented)
}

#[test]
fn every_block_row_has_a_setter_for_each_of_its_blocks_and_no_other() {
    for def in implemented() {
        for (bits, block) in BLOCKS {
            let stands = def.scopes & bits != 0;
            let has = def.setters.iter().any(|s| block_of(s) == block);
            assert_eq!(stands, has, "{} in <{block}>", def.name);
        }
    }
}

/// A well-formed value of `kind` (its content need not make sense in the config).
fn sample(kind: Kind) -> &'static str {
    match kind {
        Kind::Bool => "yes",
        Kind::Count | Kind::Limit => "3",
        Kind::Size => "1M",
        Kind::Duration => "1m",
        Kind::DurationOrNever => "never",
        Kind::Ip => "127.0.0.1",
        Kind::Records => "d,b",
        Kind::RecordFields => "d *",
        Kind::DomainKey => "s1, example.com, missing.pem",
        Kind::SourceHost => "127.0.0.1 out.example.com",
        Kind::VmtaName => "v",
        Kind::Text | Kind::Path => "ops@example.com",
        Kind::Listener => "127.0.0.1:0",
        Kind::NameServers => "127.0.0.1",
        Kind::DomainList => "example.com",
        Kind::HttpPort => "0",
        Kind::HttpAccess => "127.0.0.1/32 monitor",
        Kind::Macro => "tld com, net",
        Kind::AddressEntry => "b@example.com",
        other => panic!("no sample for {other:?}: add one"),
    }
}

/// A config where `line` stands in `block` (with what that block needs around it).
fn config_with(block: &str, line: &str) -> String {
    match block {
        "top level" => format!("{line}\n"),
        "address-list" => format!(
            "<bounce-processor>\n<address-list>\n{line}\n</address-list>\n</bounce-processor>\n"
        ),
        "rewrite-list" => format!("<rewrite-list r>\n{line}\n</rewrite-list>\n"),
        "virtual-mta" => format!("<virtual-mta v>\n{line}\n</virtual-mta>\n"),
        "virtual-mta-pool" => format!(
            "<virtual-mta v>\n</virtual-mta>\n<virtual-mta-pool p>\nvirtual-mta v\n{line}\n</virtual-mta-pool>\n"
        ),
        "acct-file" => format!("<acct-file a.csv>\n{line}\n</acct-file>\n"),
        "processor" => format!(
            "<bounce-processor>\n{line}\n<address-list>\naddress b@example.com\n</address-list>\n</bounce-processor>\n"
        ),
        "smtp-user" => format!("<smtp-user u>\npassword p\n{line}\n</smtp-user>\n"),
        "spool" => format!("<spool s>\n{line}\n</spool>\n"),
        _ => format!("<source-group g>\n{line}\n</source-group>\n"),
    }
}

/// Each setter is run through the loader on a value of its row's kind: a setter that
/// does not take that kind trips the resolver's `debug_assert` and fails this test.
#[test]
fn every_setter_takes_the_value_of_its_rows_kind() {
    let mut ran = 0;
    for def in implemented() {
        for s in def.setters {
            for value in [sample(def.kind), "\"\""] {
                let line = format!("{} {value}", def.name);
                let text = config_with(block_of(s), &line);
                let _ = crate::load_str(&text, "/tmp/pmtad-setters/pmta.conf");
            }
            ran += 1;
        }
    }
    assert!(ran >= 65, "only {ran} setters");
}

#[test]
fn a_vmta_max_smtp_out_is_a_limit_and_a_domain_one_a_count() {
    let text = "<virtual-mta v>\nmax-smtp-out unlimited\n</virtual-mta>\n\
                <virtual-mta-pool p>\nvirtual-mta v\nmax-smtp-out 7\n</virtual-mta-pool>\n";
    let cfg = crate::load_str(text, "/tmp/x/pmta.conf").unwrap().config;
    assert_eq!(cfg.virtual_mtas["v"].max_smtp_out, None);
    assert_eq!(cfg.pools["p"].max_smtp_out, Some(7));
    let err = crate::load_str(
        "<domain a.com>\nmax-smtp-out unlimited\n</domain>\n",
        "/t/p.conf",
    )
    .unwrap_err();
    assert!(format!("{err:?}").contains("max-smtp-out"), "{err:?}");
    let misplaced = crate::load_str("max-smtp-out 3\n", "/t/p.conf").unwrap_err();
    assert!(
        format!("{misplaced:?}")
            .contains("it belongs in <domain>, <virtual-mta>, <virtual-mta-pool>"),
        "{misplaced:?}"
    );
}
