//! The language itself: comments, quotes, case, include with globs, block errors, the
//! warnings for PowerMTA directives we do not implement, all errors in one run, and a
//! fuzz-style test that no input panics.

mod common;

use common::*;
use config::{DEFAULT_VMTA, Severity};
use rand::{Rng, SeedableRng, rngs::StdRng};

#[test]
fn comments_case_and_quotes() {
    let cfg = load(
        "# a comment\n<DOMAIN a.com> # after a tag\n  MAX-SMTP-OUT 4 # after a value\n  \
         mailbox-command \"/bin/deliver --tag \\\"x # y\\\"\"\n  Type Pipe\n</Domain>\n",
    )
    .config;
    let q = cfg.queue("a.com", DEFAULT_VMTA);
    assert_eq!(q.max_smtp_out, 4);
    assert_eq!(
        q.delivery,
        config::Delivery::Local {
            argv: ["/bin/deliver", "--tag", "\"x", "#", "y\""]
                .map(String::from)
                .to_vec()
        }
    );
}

#[test]
fn include_with_globs_relative_to_the_including_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("conf.d")).unwrap();
    std::fs::write(
        d.join("conf.d/10-a.conf"),
        "<domain a.com>\nmax-smtp-out 3\n</domain>\n",
    )
    .unwrap();
    std::fs::write(
        d.join("conf.d/20-b.conf"),
        "<domain b.com>\ninclude ../limits.inc\n</domain>\n",
    )
    .unwrap();
    std::fs::write(
        d.join("conf.d/ignored.txt"),
        "garbage that would not parse\n",
    )
    .unwrap();
    std::fs::write(d.join("limits.inc"), "max-smtp-out 8\n").unwrap();
    let main = d.join("main.conf");
    std::fs::write(&main, "include conf.d/*.conf\n").unwrap();
    let loaded = config::load(&main).unwrap_or_else(|e| panic!("{e}"));
    let cfg = loaded.config;
    assert_eq!(cfg.queue("a.com", DEFAULT_VMTA).max_smtp_out, 3);
    assert_eq!(cfg.queue("b.com", DEFAULT_VMTA).max_smtp_out, 8);
    let s = cfg.settings("b.com", DEFAULT_VMTA);
    let origin = setting(&s, "max-smtp-out").origin.to_string();
    assert!(origin.ends_with("limits.inc:1"), "{origin}");
}

#[test]
fn errors_in_included_files_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inc.conf"), "\n\nmax-smtp-out 3\n").unwrap();
    let main = dir.path().join("main.conf");
    std::fs::write(
        &main,
        "include inc.conf\ninclude missing.conf\ninclude nothing-*.conf\n",
    )
    .unwrap();
    let d = config::load(&main).unwrap_err();
    let text = d.to_string();
    assert!(
        text.contains("inc.conf:3:1: error: 'max-smtp-out' has no meaning in top level"),
        "{text}"
    );
    assert!(
        text.contains("main.conf:2:9: error: cannot read included file"),
        "{text}"
    );
    assert!(
        text.contains("main.conf:3:9: warning: include pattern"),
        "{text}"
    );
}

#[test]
fn include_cycles_stop() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.conf");
    std::fs::write(&main, "include main.conf\n").unwrap();
    let d = config::load(&main).unwrap_err();
    assert!(d.to_string().contains("include nested more than"), "{d}");
}

#[test]
fn repeated_setting_in_one_block_warns() {
    let loaded =
        load("<domain a.com>\nmax-smtp-out 1\nroute x.example\nmax-smtp-out 2\n</domain>\n");
    let w: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "t.conf:4:1: warning: 'max-smtp-out' is set again in this block (first at line 2); the later value wins"
        ]
    );
    assert_eq!(loaded.config.queue("a.com", DEFAULT_VMTA).max_smtp_out, 2);
}

#[test]
fn several_host_names_the_first_names_the_host() {
    let cfg = load("host-name a.example\nhost-name b.example\n").config;
    assert_eq!(cfg.host_name.as_deref(), Some("a.example"));
    assert!(cfg.relays("b.example") && cfg.relays("A.example"));
}

#[test]
fn config_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<config::Config>();
    assert_send_sync::<config::Diagnostics>();
}

#[test]
fn known_powermta_directives_and_blocks_warn_by_name() {
    let loaded = load(
        "http-csrf-protection yes\nrun-as-root no\n<domain *>\nuse-dane yes\n</domain>\n\
         <dns>\nprecached-max-domains 5\n</dns>\n<source 0/0>\nallow-mailmerge yes\n</source>\n",
    );
    let w: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(w.len(), 5, "{w:#?}");
    for (i, name) in [
        "http-csrf-protection",
        "run-as-root",
        "use-dane",
        "<dns>",
        "allow-mailmerge",
    ]
    .iter()
    .enumerate()
    {
        assert!(w[i].contains(name) && w[i].contains("warning"), "{}", w[i]);
    }
    assert!(w[0].starts_with("t.conf:1:1: warning:"));
}

#[test]
fn unknown_names_get_suggestions() {
    assert_one_error(
        "<domain a.com>\n  max-smtp-outt 3\n</domain>\n",
        2,
        3,
        "did you mean 'max-smtp-out'?",
    );
    assert_one_error(
        "<domian a.com>\n</domian>\n",
        1,
        1,
        "did you mean <domain>?",
    );
    assert_one_error("frobnicate yes\n", 1, 1, "unknown directive 'frobnicate'");
    let d = errors("frobnicate yes\n");
    assert!(
        !d.to_string().contains("did you mean"),
        "no suggestion when nothing is close"
    );
}

#[test]
fn block_structure_errors() {
    assert_one_error(
        "<domain a.com>\nmax-smtp-out 3\n",
        1,
        1,
        "missing </domain>",
    );
    assert_one_error(
        "<domain a.com>\n</source>\n</domain>\n",
        2,
        1,
        "does not close",
    );
    assert_one_error("</domain>\n", 1, 1, "without a matching");
    assert_one_error(
        "<source 0/0>\n<domain a.com>\n</domain>\n</source>\n",
        2,
        1,
        "<domain> cannot stand in <source>",
    );
    assert_one_error(
        "<domain a.com>\nalways-allow-relaying yes\n</domain>\n",
        2,
        1,
        "has no meaning in <domain>",
    );
    assert_one_error("<domain a b>\n</domain>\n", 1, 9, "not a domain pattern");
    assert_one_error("<domain a.com\n", 1, 1, "missing its closing '>'");
}

#[test]
fn semantic_checks() {
    assert_one_error("<source 10.0.0.0/33>\n</source>\n", 1, 9, "prefix length");
    assert_one_error(
        "<source 10.300.0.0/8>\n</source>\n",
        1,
        9,
        "not an IP address or CIDR",
    );
    assert_one_error(
        "<source 0/0>\ndefault-virtual-mta nope\n</source>\n",
        2,
        1,
        "virtual MTA or pool 'nope' is not defined",
    );
    assert_one_error(
        "<virtual-mta-pool p>\nvirtual-mta ghost\n</virtual-mta-pool>\n",
        2,
        13,
        "virtual MTA 'ghost' is not defined",
    );
    assert_one_error(
        "<domain a.com>\nsmtp-pattern-list nope\n</domain>\n",
        2,
        1,
        "'nope' is not defined",
    );
    assert_one_error(
        "smtp-listener 0/0:25 source=ghost\n",
        1,
        15,
        "named <source> 'ghost'",
    );
    assert_one_error(
        "<domain a.com>\ntype pipe\n</domain>\n",
        2,
        1,
        "needs a mailbox-command",
    );
    assert_one_error(
        "<virtual-mta v>\n</virtual-mta>\n<virtual-mta v>\n</virtual-mta>\n",
        3,
        14,
        "defined twice",
    );
    assert_one_error(
        "<virtual-mta v>\n</virtual-mta>\n<virtual-mta-pool v>\n</virtual-mta-pool>\n",
        3,
        1,
        "share one namespace",
    );
    assert_one_error(
        "domain-key s1, example.com, /nonexistent/key.pem\n",
        1,
        29,
        "cannot read domain-key file",
    );
    // A pipe whose command is inherited from a more general block is fine.
    load("<domain *>\nmailbox-command /bin/cat\n</domain>\n<domain a.com>\nlocal yes\n</domain>\n");
}

#[test]
fn ten_distinct_errors_are_all_reported() {
    let text = "\
max-smtp-outt 3
smtp-listener 0/0
<domain a.com>
  max-smtp-out lots
  retry-after 10m,soon
  tls maybe
  always-allow-relaying yes
</domain>
<source 10.0.0.0/40>
</source>
<virtual-mta-pool p>
  virtual-mta ghost
</virtual-mta-pool>
<domian b.com>
</domian>
name-server 1.2.3.4.5
<domain c.com>
  max-msg-rate 5/fortnight
";
    let d = errors(text);
    let errs = only_errors(&d);
    let at: Vec<(u32, u32)> = errs.iter().map(|e| (e.span.line, e.span.col)).collect();
    assert_eq!(
        at,
        [
            (1, 1),
            (2, 15),
            (4, 16),
            (5, 19),
            (6, 7),
            (7, 3),
            (9, 9),
            (12, 15),
            (14, 1),
            (16, 13),
            (17, 1),
            (18, 18)
        ],
        "{d}"
    );
    let distinct: std::collections::HashSet<&str> = errs
        .iter()
        .map(|e| e.message.split(':').next().unwrap())
        .collect();
    assert!(distinct.len() >= 10, "{d}");
    assert!(d.0.iter().all(|e| e.severity == Severity::Error));
    for line in d.to_string().lines() {
        assert!(
            line.starts_with("t.conf:") && line.contains(": error: "),
            "{line}"
        );
    }
}

fn mutate(rng: &mut StdRng, base: &[u8]) -> Vec<u8> {
    const PIECES: [&[u8]; 12] = [
        b"<",
        b">",
        b"</domain>",
        b"\"",
        b"\"\"",
        b"#",
        b"\n",
        b"/",
        b":",
        b"<domain *>",
        b"include x*",
        b"\\",
    ];
    let mut out = base.to_vec();
    for _ in 0..rng.random_range(1..8) {
        let at = rng.random_range(0..=out.len());
        match rng.random_range(0..4) {
            0 if !out.is_empty() => {
                let end = (at + rng.random_range(1..20)).min(out.len());
                out.drain(at.min(end)..end);
            }
            1 => out
                .splice(
                    at..at,
                    PIECES[rng.random_range(0..PIECES.len())].iter().copied(),
                )
                .for_each(drop),
            2 => out.insert(at, rng.random()),
            _ => {
                let n = rng.random_range(0..40);
                let junk: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                out.splice(at..at, junk).for_each(drop);
            }
        }
    }
    out
}

#[test]
fn random_and_mutated_configs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("fuzz.conf");
    let name = name.to_str().unwrap();
    let example = std::fs::read(data("../../../examples/pmta.conf")).unwrap();
    let realistic = std::fs::read(data("powermta-3.7.conf")).unwrap();
    let mut rng = StdRng::seed_from_u64(0x9e37_79b9);
    for i in 0..1200 {
        let bytes = match i % 3 {
            0 => mutate(&mut rng, &example),
            1 => mutate(&mut rng, &realistic),
            _ => (0..rng.random_range(0..300))
                .map(|_| rng.random())
                .collect(),
        };
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(loaded) = config::load_str(&text, name) {
            let cfg = loaded.config;
            for domain in ["yahoo.com", "gmail.com", "x.port25.com", "[127.0.0.1]"] {
                let _ = cfg.queue(domain, DEFAULT_VMTA);
                let _ = cfg.settings(domain, "domain-specific");
            }
            let _ = cfg.source("127.0.0.1".parse().unwrap());
        }
    }
}
