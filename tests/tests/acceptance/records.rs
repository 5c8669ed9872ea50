//! Accounting per domain (`log-entries`, `accounting-log`), retries and expiry
//! (`retry-after`, `bounce-after`), observed in the CSV files and in `pmtactl list`.

use pmta_tests::sink::{Phase, reply};

use super::world::*;

/// example.com of the example has `log-entries yes` + `accounting-log`: its records go to
/// that file, other domains' do not; yahoo.com given an `accounting-log` but no
/// `log-entries` gets no file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_log_entries() {
    let w = World::builder(140)
        .extra("<domain yahoo.com>\n  accounting-log log/acct-yahoo.csv\n</domain>\n")
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com", "b@gmail.com", "c@yahoo.com"]))
        .await;
    w.wait_delivered(3).await;
    w.wait_acct(|r| r.iter().filter(|r| r["type"] == "d").count() == 3)
        .await;
    let rows = w.wait_csv("log/acct-example.csv", |r| !r.is_empty()).await;
    let rcpts: Vec<&str> = rows.iter().map(|r| r["rcpt"].as_str()).collect();
    assert_eq!(rcpts, ["a@example.com"]);
    assert!(
        acct_files(&w.path("log/acct-yahoo.csv")).is_empty(),
        "log-entries no: no file"
    );
}

/// `accounting-log log/acct-example.csv`: the same CSV format as the `<acct-file>`, holding
/// example.com's deliveries and bounces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_accounting_log() {
    let w = World::builder(141)
        .sink(|b| b.on_rcpt("gone@example.com", reply(550, "5.1.1 no such user")))
        .start()
        .await;
    w.inject_ok(&[
        msg("", &["ok@example.com"], 1),
        msg("", &["gone@example.com"], 2),
    ])
    .await;
    let rows = w.wait_csv("log/acct-example.csv", |r| r.len() >= 2).await;
    let kind = |rcpt: &str| {
        rows.iter()
            .find(|r| r["rcpt"] == rcpt)
            .map(|r| r["type"].clone())
    };
    assert_eq!(kind("ok@example.com").as_deref(), Some("d"), "{rows:?}");
    assert_eq!(kind("gone@example.com").as_deref(), Some("b"), "{rows:?}");
    let header = |rel: &str| {
        let files = acct_files(&w.path(rel));
        std::fs::read_to_string(files.first().expect("a file"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    w.wait_acct(|r| r.len() >= 2).await;
    assert_eq!(header("log/acct-example.csv"), header("log/acct.csv"));
}

/// example.com with `retry-after 10m,1h`: after the first temporary failure the next attempt
/// is 10 minutes away, after the second and third (forced with `schedule`) one hour: the last
/// interval repeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_retry_after() {
    let w = World::builder(142)
        .sink(|b| b.on(Phase::Rcpt, reply(451, "4.3.0 later")))
        .extra("<domain example.com>\n  retry-after 10m,1h\n</domain>\n")
        .start()
        .await;
    w.inject_ok(&each(&["a@example.com"])).await;
    for (attempt, wait) in [(1, 600), (2, 3600), (3, 3600)] {
        if attempt > 1 {
            w.json(&["schedule", "example.com"]);
        }
        let l = w
            .json_until(&["list", "--queue=example.com"], |l| {
                l["items"][0]["attempts"] == attempt && l["items"][0]["next_retry"].is_string()
            })
            .await;
        let next = secs(l["items"][0]["next_retry"].as_str().unwrap());
        let now = secs(w.json(&["show", "status"])["time_now"].as_str().unwrap());
        let delay = next - now;
        assert!(
            (wait - 60..=wait + 1).contains(&delay),
            "attempt {attempt}: next retry in {delay}s, want about {wait}s"
        );
    }
}

/// example.com with `bounce-after 2s`: mail that keeps failing temporarily bounces as
/// `message-expired`, with a DSN to the sender.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directive_bounce_after() {
    let w = World::builder(143)
        .sink(|b| b.on_rcpt("a@example.com", reply(451, "4.7.1 later")))
        .dns(|d| d.mx("src.test", 10, "mx.gmail.com"))
        .extra("<domain example.com>\n  bounce-after 2s\n</domain>\n")
        .start()
        .await;
    w.inject_ok(&[msg("sender@src.test", &["a@example.com"], 1)])
        .await;
    let rows = w.wait_acct(|r| r.iter().any(|r| r["type"] == "b")).await;
    let b = rows.iter().find(|r| r["type"] == "b").unwrap();
    assert_eq!(b["rcpt"], "a@example.com");
    assert_eq!(b["bounceCat"], "message-expired", "{b:?}");
    let dsn = w.wait_delivered(1).await;
    assert_eq!(dsn[0].rcpts, ["sender@src.test"]);
    assert!(dsn[0].mail_from.is_empty());
    assert!(
        rows.iter().any(|r| r["type"] == "t"),
        "it was retried first"
    );
}

/// Unix seconds of an RFC 3339 UTC time (`2026-11-25T16:00:00Z`, optional fraction).
pub fn secs(t: &str) -> i64 {
    let t = t.trim_end_matches('Z');
    let (date, time) = t.split_once('T').expect("RFC 3339");
    let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let time = time.split(['.', '+']).next().unwrap();
    let hms: Vec<i64> = time.split(':').map(|x| x.parse().unwrap()).collect();
    days_from_civil(d[0], d[1], d[2]) * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
