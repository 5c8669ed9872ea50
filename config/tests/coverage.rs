//! Directive coverage: every directive of PowerMTA's v5 guide is in the table for its block
//! (implemented, an alias, or accepted with a warning), and a config listing every
//! directive and block pmtad does not implement — generated from the table — loads with
//! zero errors and exactly one warning naming each.

mod common;

use config::{BLOCKS, DIRECTIVES, NOT_YET_BLOCKS, Severity, Status};

/// Scope bit of a block name as the guide list writes it (`global` = top level).
fn scope_of(block: &str) -> Option<u32> {
    if block == "global" {
        return Some(1);
    }
    BLOCKS
        .iter()
        .find(|(tag, ..)| *tag == block)
        .map(|&(_, own, ..)| own)
}

#[test]
fn every_powermta_v5_directive_is_known_in_its_block() {
    let list = std::fs::read_to_string(common::data("powermta-v5-directives.txt")).unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for line in list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (block, name) = line.split_once(' ').unwrap();
        checked += 1;
        let Some(scope) = scope_of(block) else {
            // A block pmtad does not implement: its contents are skipped with the block.
            assert!(
                NOT_YET_BLOCKS.contains(&block),
                "<{block}> (for {name}) is neither implemented nor accepted"
            );
            continue;
        };
        if !DIRECTIVES
            .iter()
            .any(|d| d.name == name && d.scopes & scope != 0)
        {
            missing.push(line.to_string());
        }
    }
    assert!(checked > 350, "the guide list is incomplete: {checked}");
    assert!(missing.is_empty(), "not in the table: {missing:#?}");
}

/// A block of scope `bit` wrapping `body`, as the generated config writes it.
fn wrap(bit: u32, body: &str, n: usize) -> String {
    let (open, close) = match bit {
        1 => return body.to_string(),
        b if b == scope_of("domain").unwrap() => ("domain *", "domain"),
        b if b == scope_of("virtual-mta").unwrap() => {
            (&*format!("virtual-mta v{n}"), "virtual-mta")
        }
        b if b == scope_of("virtual-mta-pool").unwrap() => {
            (&*format!("virtual-mta-pool p{n}"), "virtual-mta-pool")
        }
        b if b == scope_of("source").unwrap() => ("source 0/0", "source"),
        b if b == scope_of("acct-file").unwrap() => {
            ("acct-file /tmp/pmtad-coverage.csv", "acct-file")
        }
        b if b == scope_of("smtp-pattern-list").unwrap() => {
            ("smtp-pattern-list l", "smtp-pattern-list")
        }
        b if b == scope_of("spool").unwrap() => ("spool /tmp/pmtad-coverage", "spool"),
        b if b == scope_of("smtp-listener").unwrap() => {
            ("smtp-listener 127.0.0.1:0", "smtp-listener")
        }
        b if b == scope_of("smtp-user").unwrap() => (&*format!("smtp-user u{n}"), "smtp-user"),
        b if b == scope_of("rewrite-list").unwrap() => {
            (&*format!("rewrite-list r{n}"), "rewrite-list")
        }
        b if b == scope_of("bounce-processor").unwrap() => ("bounce-processor", "bounce-processor"),
        b if b == scope_of("feedback-loop-processor").unwrap() => {
            ("feedback-loop-processor", "feedback-loop-processor")
        }
        other => panic!("no wrapper for scope bit {other}"),
    };
    format!("<{open}>\n{body}</{close}>\n")
}

#[test]
fn every_unimplemented_directive_and_block_loads_with_one_warning_naming_it() {
    let mut text = String::from("<virtual-mta v>\n</virtual-mta>\n");
    let mut expected = Vec::new();
    for def in DIRECTIVES.iter().filter(|d| d.status == Status::NotYet) {
        for bit in (0..32).map(|i| 1u32 << i).filter(|b| def.scopes & b != 0) {
            let line = format!("{} 1\n", def.name);
            // A pool needs a member, a user a password; those lines warn about nothing.
            let body = if scope_of("virtual-mta-pool") == Some(bit) {
                format!("virtual-mta v\n{line}")
            } else if scope_of("smtp-user") == Some(bit) {
                format!("password x\n{line}")
            } else if scope_of("bounce-processor") == Some(bit)
                || scope_of("feedback-loop-processor") == Some(bit)
            {
                format!("<address-list>\naddress b@x.example\n</address-list>\n{line}")
            } else {
                line
            };
            text.push_str(&wrap(bit, &body, expected.len()));
            expected.push(format!("'{}'", def.name));
        }
    }
    for block in NOT_YET_BLOCKS {
        text.push_str(&format!("<{block} x>\n  anything at all\n</{block}>\n"));
        expected.push(format!("<{block}>"));
    }
    let loaded = config::load_str(&text, "coverage.conf")
        .unwrap_or_else(|d| panic!("errors loading the generated config:\n{d}"));
    let warnings: Vec<String> = loaded
        .warnings
        .iter()
        .inspect(|w| assert_eq!(w.severity, Severity::Warning))
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (w, name) in warnings.iter().zip(&expected) {
        assert!(
            w.contains(name.as_str()),
            "warning {w} does not name {name}"
        );
    }
    assert!(warnings.iter().any(|w| w.contains("'enable-signals'")));
}
