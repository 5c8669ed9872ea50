//! man/pmta.conf.5 is generated from the directive table; this fails when they differ.

#[test]
fn committed_man_page_matches_the_directive_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man/pmta.conf.5");
    let committed = std::fs::read_to_string(&path).expect("man/pmta.conf.5 exists");
    let generated = config::man::render();
    assert!(
        committed == generated,
        "man/pmta.conf.5 is stale: run scripts/gen-docs and commit the result"
    );
    for def in config::DIRECTIVES {
        let name = def.name.replace('-', "\\-");
        assert!(
            generated.contains(&format!(".B {name}")),
            "{} missing from the page",
            def.name
        );
    }
}
