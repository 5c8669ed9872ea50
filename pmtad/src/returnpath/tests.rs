//! The parser and matching over real report shapes, the bad inputs of issue #17, and a
//! bounded fuzz run over mutated reports.

use super::process::{Source, Verdict, process};
use super::{Key, samples};
use crate::bouncecat::BounceCategories;

const RCPT: &str = "gone@remote.example";

fn key() -> Key {
    Key::from_bytes(&[3; 32])
}

fn src() -> Source<'static> {
    Source {
        ip: Some("127.0.0.9".parse().unwrap()),
        helo: Some("mx.remote.example"),
        feedback_processor: false,
        now: 1_800_000_000,
    }
}

fn original(key: &Key) -> String {
    let value = key.stamp(0x1234, Some("job-7"), "vmta-a", &[RCPT]);
    samples::original(&format!("{}: {value}\r\n", super::HEADER), RCPT)
}

fn run(raw: &str) -> super::Processed {
    process(
        raw.as_bytes(),
        Some(&key()),
        BounceCategories::shared_default(),
        src(),
    )
}

#[test]
fn each_report_shape_matches_the_recipient_job_and_vmta() {
    let o = original(&key());
    let cases = [
        (samples::dsn(&o, RCPT), "dsn", "bad-mailbox"),
        (samples::gmail(&o, RCPT), "gmail", "bad-mailbox"),
        (samples::microsoft(&o, RCPT), "microsoft", "bad-mailbox"),
        (samples::arf(&o, RCPT, "192.0.2.7"), "arf", "abuse"),
    ];
    for (raw, format, category) in cases {
        let p = run(&raw);
        assert_eq!(p.verdict, Verdict::Matched, "{format}: {p:#?}");
        let e = &p.entries[0];
        assert_eq!((e.format.as_str(), e.category.as_str()), (format, category));
        assert_eq!(
            (e.rcpt.as_str(), e.job_id.as_deref()),
            (RCPT, Some("job-7"))
        );
        assert_eq!(
            (e.vmta.as_deref(), e.message),
            (Some("vmta-a"), Some(0x1234))
        );
        assert_eq!(
            e.message_id.as_deref(),
            Some("<m1@pmtad.example>"),
            "{format}"
        );
        let (facts, kind) = &p.records[0];
        assert_eq!(kind.code(), if format == "arf" { "f" } else { "rb" });
        assert_eq!(facts.orig, "sender@pmtad.example");
    }
    let p = run(&samples::dsn(&o, RCPT));
    let f = &p.records[0].0;
    assert_eq!(f.status, "5.1.1 (bad destination mailbox address)");
    assert_eq!(
        (f.reporting_mta.as_str(), f.env_id.as_str()),
        ("mx.remote.example", "ENV-42")
    );
    assert!(f.diag.starts_with("smtp;550 5.1.1"), "{}", f.diag);
    let a = run(&samples::arf(&o, RCPT, "192.0.2.7"));
    let f = &a.records[0].0;
    assert_eq!(
        (f.user_agent.as_str(), f.source_ip.as_str()),
        ("Yahoo!-Mail-Feedback/2.0", "192.0.2.7")
    );
    assert_eq!(f.reported_domain, "pmtad.example");
}

#[test]
fn a_delay_notice_is_an_rs_record_with_its_action() {
    let o = original(&key());
    let raw = samples::dsn(&o, RCPT)
        .replace("Action: failed", "Action: delayed")
        .replace("Status: 5.1.1", "Status: 4.4.1");
    let p = run(&raw);
    assert_eq!(p.verdict, Verdict::Matched);
    let (facts, kind) = &p.records[0];
    assert_eq!((kind.code(), facts.action.as_str()), ("rs", "delayed"));
    assert!(facts.status.starts_with("4.4.1 "), "{}", facts.status);
    assert_eq!(p.entries[0].action, "delayed");
}

#[test]
fn jmrp_without_an_arf_part_is_a_complaint() {
    let o = original(&key());
    let raw = format!(
        "From: staff@hotmail.example\r\nTo: fbl@pmtad.example\r\nSubject: complaint\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"J\"\r\n\r\n\
         --J\r\nContent-Type: text/plain\r\n\r\nThis is a JMRP report.\r\n\
         --J\r\nContent-Type: message/rfc822\r\n\r\nX-HmXmrOriginalRecipient: <{RCPT}>\r\n{o}\r\n\r\nbody\r\n--J--\r\n"
    );
    let p = run(&raw);
    assert_eq!(p.verdict, Verdict::Matched);
    assert_eq!(
        (p.entries[0].format.as_str(), p.entries[0].category.as_str()),
        ("jmrp", "abuse")
    );
}

#[test]
fn forged_and_foreign_reports_are_unmatched_and_make_no_record() {
    let other = Key::from_bytes(&[4; 32]);
    let forged = run(&samples::dsn(&original(&other), RCPT));
    assert_eq!(forged.verdict, Verdict::Unmatched);
    assert!(forged.records.is_empty());
    assert_eq!(forged.entries[0].rcpt, RCPT);
    let plain = samples::original("", RCPT);
    let foreign = run(&samples::gmail(&plain, RCPT));
    assert_eq!(foreign.verdict, Verdict::Unmatched);
    assert_eq!(foreign.entries[0].job_id.as_deref(), Some("job-7"));
}

#[test]
fn bad_input_is_rejected_with_a_reason() {
    let o = original(&key());
    let loop_original =
        format!("{o}\r\nContent-Type: multipart/report; report-type=delivery-status");
    let cases = [
        (samples::dsn(&loop_original, RCPT), "loop"),
        ("no header at all".to_string(), "malformed"),
        ("Subject: hi\r\n\r\njust text\r\n".to_string(), "no-report"),
        (
            "Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\nContent-Type: message/delivery-status\r\n\r\n\r\n--x--\r\n".to_string(),
            "no-report",
        ),
    ];
    for (raw, code) in cases {
        let p = run(&raw);
        assert_eq!(p.verdict, Verdict::Rejected, "{code}");
        assert_eq!(p.entries[0].rejected.as_deref(), Some(code));
    }
    let big = "X".repeat(super::MAX_REPORT_SIZE + 1);
    assert_eq!(run(&big).entries[0].rejected.as_deref(), Some("too-large"));
}

/// xorshift64*: a fixed-seed generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random edit: flip a byte, cut, duplicate or delete a span, or splice in a MIME
/// token.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    const TOKENS: [&[u8]; 8] = [
        b"\r\n\r\n",
        b"--B1",
        b"Content-Type: message/delivery-status\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"=?utf-8?B?",
        b"\r\n ",
        b";",
        b"\xff\xfe",
    ];
    let at = rng.below(data.len());
    match rng.below(5) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data.truncate(at),
        2 => {
            let end = (at + rng.below(200)).min(data.len());
            let span = data[at..end].to_vec();
            data.splice(at..at, span);
        }
        3 => {
            let end = (at + rng.below(200)).min(data.len());
            data.drain(at..end);
        }
        _ => {
            let t = TOKENS[rng.below(TOKENS.len())];
            data.splice(at..at, t.iter().copied());
        }
    }
}

#[test]
fn fuzz_mutated_reports_never_panic() {
    let o = original(&key());
    let seeds = [
        samples::dsn(&o, RCPT),
        samples::gmail(&o, RCPT),
        samples::microsoft(&o, RCPT),
        samples::arf(&o, RCPT, "192.0.2.7"),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let k = key();
    for i in 0..4000 {
        let mut data = seeds[i % seeds.len()].clone().into_bytes();
        for _ in 0..=rng.below(8) {
            if !data.is_empty() {
                mutate(&mut rng, &mut data);
            }
        }
        let p = process(&data, Some(&k), BounceCategories::shared_default(), src());
        assert!(!p.entries.is_empty() || p.verdict != Verdict::Rejected);
    }
}
