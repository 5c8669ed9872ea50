//! `<pattern-list>`: rules load, results must name a virtual MTA, a source must name a
//! defined list, and selection works on the loaded config.

mod common;

use common::*;
use config::Facts;

#[test]
fn a_pattern_list_loads_and_selects() {
    let cfg = load(
        "<virtual-mta a>\n</virtual-mta>\n<virtual-mta b>\n</virtual-mta>\n\
         <pattern-list pl>\n  header X-Camp /^x/ virtual-mta=a\n  rcpt-to /@b\\.example$/ virtual-mta=b\n  * virtual-mta=a,recipient-priority=2\n</pattern-list>\n\
         <source 0/0>\n  pattern-list pl\n</source>\n",
    );
    assert_eq!(
        loaded_warnings(&cfg),
        1,
        "recipient-priority is ignored, with a warning"
    );
    let cfg = cfg.config;
    assert_eq!(
        cfg.source("192.0.2.1".parse().unwrap())
            .pattern_list
            .as_deref(),
        Some("pl")
    );
    let pl = &cfg.pattern_lists["pl"];
    let facts = Facts {
        mail_from: "s@x",
        rcpts: &["u@b.example"],
        headers: &[],
    };
    assert_eq!(pl.select(&facts), Some("b"));
    assert_eq!(pl.header_names(), ["X-Camp"]);
}

fn loaded_warnings(l: &config::Loaded) -> usize {
    l.warnings.len()
}

#[test]
fn bad_pattern_lists_are_errors() {
    assert_one_error(
        "<pattern-list pl>\n  mail-from /x/ virtual-mta=nowhere\n</pattern-list>\n",
        2,
        13,
        "virtual MTA or pool 'nowhere' is not defined",
    );
    assert_one_error(
        "<source 0/0>\n  pattern-list nope\n</source>\n",
        2,
        3,
        "<pattern-list> 'nope' is not defined",
    );
    assert_one_error(
        "<virtual-mta a>\n</virtual-mta>\n<pattern-list pl>\n  mail-from x virtual-mta=a\n</pattern-list>\n",
        4,
        13,
        "expected /REGEX/",
    );
}

#[test]
fn a_rewrite_list_loads_and_must_exist() {
    let cfg = load(
        "<rewrite-list r>\n  mail-from *@old.example *@new.example\n  from-domain *.a.example b.example\n</rewrite-list>\n\
         <source 0/0>\n  rewrite-list r\n</source>\n",
    );
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let cfg = cfg.config;
    assert_eq!(
        cfg.source("192.0.2.1".parse().unwrap())
            .rewrite_list
            .as_deref(),
        Some("r")
    );
    let r = &cfg.rewrite_lists["r"];
    assert_eq!(
        r.mail_from("x@old.example").as_deref(),
        Some("x@new.example")
    );
    assert_eq!(r.from_domain("c.a.example"), Some("b.example"));
    assert_eq!(r.from_domain("a.example"), None);
    assert_one_error(
        "<virtual-mta v>\n  rewrite-list nope\n</virtual-mta>\n",
        2,
        16,
        "<rewrite-list> 'nope' is not defined",
    );
    assert_one_error(
        "<rewrite-list r>\n  from-domain x.example a@b\n</rewrite-list>\n",
        2,
        25,
        "not a domain name",
    );
    assert_one_error(
        "<source 0/0>\n  rewrite-list nope\n</source>\n",
        2,
        3,
        "<rewrite-list> 'nope' is not defined",
    );
    assert_one_error(
        "<rewrite-list r>\n  mail-from <> *@x.example\n</rewrite-list>\n",
        2,
        16,
        "needs a source address",
    );
}
