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
